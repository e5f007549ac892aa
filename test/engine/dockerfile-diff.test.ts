/**
 * DiffOp in Dockerfiles (`a..b`) on the real engine, both builders: golden trees of what
 * `COPY --from=a..b`, `FROM a..b` and (BuildKit) `RUN --mount=from=a..b` give, each equal to
 * the build file's diff mount of the same pair; sides as in-file images (by name and by tag),
 * a local reference and stages of the same Dockerfile; a deletion warns; a second run is up
 * to date; the Dockerfiles on disk are unchanged; no temporary container nor internal image
 * is left, also after a failure (a local side that does not exist: exit 1, named).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileInImage, internalImagesOf } from '../helpers/engine-docker.js';
import { imageTree, mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const TREE = {
  'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  base:
    dockerfile_inline: |
      FROM busybox
      LABEL mbt.project=__NAME__
      RUN mkdir -p /opt && echo base-__NAME__ > /opt/base.txt && echo gone > /opt/gone.txt
  tools:
    tags: ["__NAME__/tools:dev"]
    args: {BASE: {image: base}}
    dockerfile_inline: |
      ARG BASE
      FROM $\${BASE}
      RUN mkdir -p /usr/local/bin && printf 'tool\\n' > /usr/local/bin/tool && chmod 755 /usr/local/bin/tool \\
       && ln -s tool /usr/local/bin/t && rm /opt/gone.txt && echo changed > /opt/base.txt
  viamount:
    context: viamount
    mounts: [{from: base..tools, path: /, to: d}]
  copydiff:
    context: copydiff
  fromdiff:
    context: fromdiff
  mountdiff:
    context: mountdiff
  stagediff:
    context: stagediff
  localdiff:
    context: localdiff
  missing:
    context: missing
`,
  'viamount/Dockerfile': 'FROM busybox\nCOPY d/ /d/\n',
  // By name, and by tag: the same diff.
  'copydiff/Dockerfile': 'FROM busybox\nCOPY --from=base..tools / /d/\nCOPY --from=base..__NAME__/tools:dev /usr/local/bin/tool /tool\n',
  'fromdiff/Dockerfile': 'FROM base..tools AS x\nFROM busybox\nCOPY --from=x / /d/\n',
  'mountdiff/Dockerfile': 'FROM busybox\nRUN --mount=from=base..tools,target=/m cp -a /m /d\n',
  'stagediff/Dockerfile':
    'FROM busybox AS a\nRUN mkdir -p /opt && echo a-__NAME__ > /opt/a.txt\nFROM a AS b\nRUN mkdir -p /srv && echo b > /srv/b.txt && echo a2 > /opt/a.txt\nFROM busybox\nCOPY --from=a..b / /d/\n',
  'localdiff/Dockerfile': 'FROM busybox\nCOPY --from=busybox:latest..tools /usr/local/bin /bin2\n',
  'missing/Dockerfile':
    'FROM busybox AS a\nFROM a AS b\nRUN echo b-__NAME__ > /b\nFROM busybox\nCOPY --from=a..b /b /b\nCOPY --from=busybox:latest..__NAME__-nowhere:1 / /x\n',
};

/** base..tools below /d, whichever form read it. */
const BASE_TOOLS = [
  '. 755 dir',
  './opt 755 dir',
  './opt/base.txt 644 file 8',
  './usr 755 dir',
  './usr/local 755 dir',
  './usr/local/bin 755 dir',
  './usr/local/bin/t 777 symlink 4 -> tool',
  './usr/local/bin/tool 755 file 5',
];

const projects: MountsProject[] = [];
afterAll(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

/** mbuild's internal images (diff side stages) of project `p` (other test files build their own meanwhile). */
const internalImages = (p: MountsProject): string[] => internalImagesOf([p.name]);
const dockerfiles = (p: MountsProject): string =>
  Object.keys(TREE)
    .filter((f) => f.endsWith('Dockerfile'))
    .map((f) =>
      createHash('sha256')
        .update(readFileSync(join(p.dir, f)))
        .digest('hex'),
    )
    .join(' ');

describe.each(['classic', 'buildkit'] as const)('Dockerfile diffs with the %s builder', (builder) => {
  // Made when the tests run, not when vitest collects the file: a filtered or aborted run leaves no folder.
  let p: MountsProject;
  let before: string;
  beforeAll(() => {
    p = mountsProject(`dfdiff-${builder}`, TREE);
    projects.push(p);
    before = dockerfiles(p);
  });
  const tag = (image: string): string => `${p.name}-${image}:latest`;
  const images = ['viamount', 'copydiff', 'fromdiff', 'stagediff', 'localdiff', ...(builder === 'buildkit' ? ['mountdiff'] : [])];

  it('every form gives the files of the build-file diff mount; a deletion warns; nothing left behind', async () => {
    const internal = internalImages(p);
    const r = await p.run(['up', '--builder', builder, '--progress', 'plain', ...images]);
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.includes('warning: mount base..'))).toEqual([]);
    expect(r.code).toBe(0);
    expect(imageTree(tag('viamount'), '/d')).toEqual(BASE_TOOLS);
    expect(imageTree(tag('copydiff'), '/d')).toEqual(BASE_TOOLS);
    expect(fileInImage(tag('copydiff'), '/tool')).toBe('tool\n');
    expect(imageTree(tag('fromdiff'), '/d')).toEqual(BASE_TOOLS);
    if (builder === 'buildkit') expect(imageTree(tag('mountdiff'), '/d')).toEqual(BASE_TOOLS);
    expect(imageTree(tag('stagediff'), '/d')).toEqual(['. 755 dir', './opt 755 dir', './opt/a.txt 644 file 3', './srv 755 dir', './srv/b.txt 644 file 2']);
    expect(imageTree(tag('localdiff'), '/bin2')).toEqual(['. 755 dir', './t 777 symlink 4 -> tool', './tool 755 file 5']);
    expect(r.stderr).toMatch(
      /\[copydiff\] warning: mount base\.\.tools:\/ -> \.mbuild-diff\/0: 1 path deleted in tools .* cannot be expressed in a build context: opt\/gone\.txt/,
    );
    expect(dockerfiles(p)).toBe(before);
    expect(tempContainersOf(process.pid)).toEqual([]);
    expect(internalImages(p)).toEqual(internal);
  });

  it('a second run is up to date', async () => {
    const r = await p.run(['up', '--builder', builder, '--progress', 'plain', ...images]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\bbuilt\b/);
    for (const i of images) expect(r.stdout).toMatch(new RegExp(`${i}\\s+up to date`));
  });

  it('a local side that does not exist fails the image, named; the stages built for it are removed', async () => {
    const internal = internalImages(p);
    const r = await p.run(['up', '--builder', builder, '--progress', 'plain', 'missing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`diff side ${p.name}-nowhere:1`);
    expect(r.stderr).toContain(`image ${p.name}-nowhere:1 does not exist locally`);
    expect(tempContainersOf(process.pid)).toEqual([]);
    expect(internalImages(p)).toEqual(internal);
    expect(dockerfiles(p)).toBe(before);
  });

  if (builder === 'classic')
    it('the classic builder refuses RUN --mount=from=a..b at its line, building nothing', async () => {
      const r = await p.run(['up', '--builder', 'classic', 'mountdiff']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('mountdiff/Dockerfile:2:18: error: RUN --mount=from=base..tools: the classic builder has no RUN --mount');
    });
});
