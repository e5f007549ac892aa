/**
 * Outputs that cannot be copied, on the real engine: a path missing from the built image
 * fails the image with `output failed` (after it was built and tagged), the previous output
 * stays exactly as it was, and no temporary sibling or container is left. Outputs are
 * written only after the image's build succeeded: a failing build leaves them alone.
 * (The previous outputs are put there by the test, hence `replace: true`.)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idOf } from '../helpers/engine-docker.js';
import { mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const projects: MountsProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

const TREE = {
  'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  gen:
    context: gen
    outputs:
      - {path: /out/report.txt, to: out/report.txt}
      - {path: /out/missing, to: out/missing, replace: true}
  broken:
    context: broken
    outputs:
      - {path: /out/report.txt, to: out/broken.txt}
`,
  'gen/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nRUN mkdir /out && echo fresh > /out/report.txt\n',
  'broken/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nRUN mkdir /out && echo fresh > /out/report.txt && exit 3\n',
};

describe('outputs that fail', () => {
  it('leave the previous output, no temporary and no container; a failed build writes none', async () => {
    const p = mountsProject('out-fail', TREE);
    projects.push(p);
    mkdirSync(join(p.dir, 'out/missing'), { recursive: true });
    writeFileSync(join(p.dir, 'out/missing/previous.txt'), 'previous');
    writeFileSync(join(p.dir, 'out/broken.txt'), 'previous');
    const r = await p.run(['up', '-k', '--progress', 'plain']);
    expect(r.code).toBe(1);
    const id = idOf(`${p.name}-gen:latest`);
    expect(id, 'the image was built and tagged before its outputs were copied').toBeDefined();
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('error: '))
        .sort(),
    ).toEqual([
      expect.stringMatching(/^error: image 'broken' failed at /),
      `error: image 'gen' output failed: output /out/missing -> out/missing: /out/missing does not exist in image gen`,
    ]);
    // The first output was copied; the second left the previous one as it was.
    expect(readFileSync(join(p.dir, 'out/report.txt'), 'utf8')).toBe('fresh\n');
    expect(readdirSync(join(p.dir, 'out/missing'))).toEqual(['previous.txt']);
    expect(readFileSync(join(p.dir, 'out/broken.txt'), 'utf8')).toBe('previous');
    expect(readdirSync(join(p.dir, 'out')).sort()).toEqual(['broken.txt', 'missing', 'report.txt']);
    expect(existsSync(join(p.dir, 'out/report.txt.mbuild-tmp'))).toBe(false);
    expect(tempContainersOf(process.pid)).toEqual([]);
  });
});
