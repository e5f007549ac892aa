/**
 * .dockerignore semantics end to end: `mbuild up` with each builder, then the list of
 * files the engine actually received, read from the built image (every Dockerfile does
 * COPY . /ctx and writes `find . | sort` to /list). The lists are compared with docker's
 * documented semantics, written out by hand below, and BuildKit's with the classic one's.
 *
 * Fixture test/fixtures/up/dockerignore:
 *   app:  tricky rules (anchoring, **, exceptions below an excluded folder, ?, classes,
 *         ./ and trailing slashes, surrounding spaces, names with spaces, symlinks)
 *   alt:  docker/alt.Dockerfile.dockerignore wins over alt/.dockerignore
 *   self: .dockerignore excludes the Dockerfile and itself (the builder still gets the Dockerfile)
 *   inline: dockerfile_inline; the context has no Dockerfile and no .dockerignore of its own
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileInImage, runInImage } from '../helpers/engine-docker.js';
import { imageIdOf, outcomes, parseEvents } from '../helpers/engine-events.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';

const byteSort = (xs: readonly string[]): string[] => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

const EXPECTED: Record<string, string[]> = {
  app: byteSort([
    '.',
    './.dockerignore', //            not listed
    './.hidden-file', //             `.hidden/` only matches the folder .hidden
    './Dockerfile',
    './a',
    './a/b', //                      `*/generated` excludes a/generated, one level deep only
    './a/b/generated',
    './a/b/generated/g',
    './build', //                    `build` excluded, `!build/out` re-includes below it
    './build/out',
    './build/out/app.js', //         build/out/*.map excluded again; build/out.o stays excluded
    './cache12', //                  `cache?` is one character: cache1 excluded
    './cache12/c',
    './dangling-ish', //             a symlink to the excluded sub/vendor is itself kept
    './docs',
    './docs/README.md', //           `docs/**/*.md` with `**` matching no folder, re-included
    './docs/guide',
    './docs/guide/README.md',
    './docs/guide/deep', //          d.md excluded, the folder kept
    './docs/notes.txt',
    './empty-dir', //                made by the test: git keeps no empty folders
    './generated', //                at the top, not matched by `*/generated`
    './generated/g',
    './keep.tmp', //                 `!keep.tmp` after `*.tmp`
    './link-to-keep',
    './space dir',
    './space dir/kept file.txt', //  `./space dir/ignored file.txt` cleaned and matched
    './sub',
    './sub/c.tmp', //                `*.tmp` matches at the top only
    './sub/secret.txt', //           `/secret.txt` is anchored
    './xy.dat', //                   `[xy].dat` is one character
    './z.dat',
    // gone: a.tmp, **/vendor (vendor, sub/vendor), build/out.o, build/out/app.js.map, secret.txt,
    // docs/intro.md, docs/guide/g.md, docs/guide/deep/d.md, cache1, a/generated,
    // space dir/ignored file.txt, trailing-space.txt (the pattern's spaces are trimmed), .hidden, x.dat
  ]),
  // b.tmp excluded by docker/alt.Dockerfile.dockerignore; a.bak kept: alt/.dockerignore does not apply.
  alt: byteSort(['.', './.dockerignore', './a.bak', './c.txt', './docker', './docker/alt.Dockerfile', './docker/alt.Dockerfile.dockerignore']),
  // The Dockerfile was used for the build, but COPY . does not see it, nor the .dockerignore.
  self: ['.', './app.txt'],
  // Nothing of mbuild's own making: not the Dockerfile it sends, not an ignore file.
  inline: ['.', './data.txt'],
};

/**
 * BuildKit behind POST /build (no session) reads the Dockerfile from the context tar and
 * does not delete it afterwards, so an excluded or inline Dockerfile stays visible to
 * `COPY .` (documented in docs/build-file.md). The .dockerignore is not sent when excluded.
 */
const BUILDKIT_SEES: Record<string, string[]> = { self: ['./Dockerfile'], inline: ['./.mbuild.Dockerfile'] };
const expectedFor = (builder: string, image: string): string[] =>
  builder === 'buildkit' ? byteSort([...EXPECTED[image]!, ...(BUILDKIT_SEES[image] ?? [])]) : EXPECTED[image]!;

const seen: Record<string, Record<string, string[]>> = {};
const projects: TestProject[] = [];
afterAll(() => {
  expect(
    projects.flatMap((p) => p.cleanup()),
    'images left behind',
  ).toEqual([]);
});

describe.each(['buildkit', 'classic'] as const)('mbuild up --builder %s: .dockerignore', (builder) => {
  it('the engine receives exactly the files docker semantics keep', async () => {
    const p = copyFixture('dockerignore', `ign-${builder.slice(0, 2)}`);
    projects.push(p);
    mkdirSync(join(p.dir, 'app', 'empty-dir'));
    const r = await p.up(['--builder', builder, '--progress', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = parseEvents(r.stdout);
    expect(outcomes(events)).toEqual({ app: 'built', alt: 'built', self: 'built', inline: 'built' });
    seen[builder] = {};
    for (const image of ['app', 'alt', 'self', 'inline']) {
      const list = fileInImage(imageIdOf(events, image), '/list')
        .split('\n')
        .filter((l) => l !== '');
      seen[builder][image] = list;
      expect.soft(list, `files of ${image}`).toEqual(expectedFor(builder, image));
    }
    // Symlinks arrive as symlinks.
    expect(runInImage(imageIdOf(events, 'app'), 'readlink', '/ctx/link-to-keep')).toBe('keep.tmp\n');
    expect(runInImage(imageIdOf(events, 'app'), 'readlink', '/ctx/dangling-ish')).toBe('sub/vendor\n');
  });
});

describe('both builders', () => {
  it('received the same files, but for the Dockerfile BuildKit must read from the tar', () => {
    expect(Object.keys(seen).sort()).toEqual(['buildkit', 'classic']);
    const withoutDockerfiles = (lists: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(lists).map(([image, list]) => [image, list.filter((f) => !(BUILDKIT_SEES[image] ?? []).includes(f))]));
    expect(withoutDockerfiles(seen['buildkit']!)).toEqual(seen['classic']);
  });
});
