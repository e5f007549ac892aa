/**
 * `clean` with two checkouts of one project name on one engine: each removes only the
 * images its own state recorded (never by the project label alone), and keeps an image
 * of its own that a current tag (here the other checkout's) still names.
 *
 *   A: app (tag :a)            B: app (tag :b), other (tag other:b)
 *   A builds X; B, with no state yet, finds X by its key and reuses it (both record X);
 *   A moves on to X2 then X3 (X keeps B's tag, X2 is untagged); B moves other from O1 to O2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOf, removeProjectImages } from '../helpers/engine-docker.js';
import { uniqueName } from '../helpers/engine-project.js';
import { runCli } from '../helpers/run-cli.js';
import { writeTree } from '../helpers/testdir.js';

const name = uniqueName('clean');
// Made when the tests run, not when vitest collects the file: a filtered run leaves no folder.
let root = '';
let a = '';
let b = '';
const image = (tag: string) => `  ${tag}: {context: ${tag}, tags: ["${name}/${tag}:$CHECKOUT"]}\n`;
const buildFile = (checkout: string, images: string[]) =>
  `version: 1\nname: ${name}\nvars: {CHECKOUT: ${checkout}}\ndefaults: {network: none}\nimages:\n${images.map(image).join('')}`.replaceAll(
    '$CHECKOUT',
    checkout,
  );
const dockerfile = (file: string) => `FROM busybox\nCOPY ${file} /${file}\n`;

const cli = async (dir: string, ...args: string[]) => {
  const r = await runCli([...args, '--builder', 'buildkit'], { cwd: dir, env: { ...process.env, CI: '1' } });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const short = (id: string) => id.slice('sha256:'.length, 'sha256:'.length + 12);
const exists = (id: string) => idOf(id) !== undefined;
const ids: Record<string, string> = {};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mbt-up-clean-'));
  a = join(root, 'a');
  b = join(root, 'b');
  writeTree(a, { 'mbuild.yaml': buildFile('a', ['app']), 'app/Dockerfile': dockerfile('f.txt'), 'app/f.txt': 'shared\n' });
  writeTree(b, {
    'mbuild.yaml': buildFile('b', ['app', 'other']),
    'app/Dockerfile': dockerfile('f.txt'),
    'app/f.txt': 'shared\n',
    'other/Dockerfile': dockerfile('g.txt'),
    'other/g.txt': 'o1\n',
  });
  await cli(a, 'up');
  ids['X'] = idOf(`${name}/app:a`)!;
  expect(await cli(b, 'up')).toContain('[app] up to date');
  expect(idOf(`${name}/app:b`)).toBe(ids['X']);
  ids['O1'] = idOf(`${name}/other:b`)!;
  writeTree(b, { 'other/g.txt': 'o2\n' });
  await cli(b, 'up');
  ids['O2'] = idOf(`${name}/other:b`)!;
  for (const version of ['X2', 'X3']) {
    writeTree(a, { 'app/f.txt': `${version}\n` });
    await cli(a, 'up');
    ids[version] = idOf(`${name}/app:a`)!;
  }
  expect(new Set(Object.values(ids)).size).toBe(5);
});

afterAll(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
  expect(removeProjectImages(name)).toEqual([]);
});

describe('clean with two checkouts of one project name', () => {
  it("lists and removes only this checkout's recorded images that nothing names", async () => {
    const dry = await cli(a, 'clean', '--dry-run');
    expect(dry).toBe(`would remove ${short(ids['X2']!)} (app)\nwould remove the local state ${join(a, '.mbuild')}\n1 image would be removed\n`);
    expect(Object.values(ids).every(exists)).toBe(true);
    expect(await cli(a, 'clean')).toBe(`removing ${short(ids['X2']!)} (app)\n1 image removed\n`);
    expect(exists(ids['X2']!)).toBe(false);
    // B's images, and X, which B's current tag names, are all still there.
    for (const kept of ['X', 'X3', 'O1', 'O2']) expect(exists(ids[kept]!), kept).toBe(true);
  });

  it('the other checkout removes its own, never the first one', async () => {
    expect(await cli(b, 'clean')).toBe(`removing ${short(ids['O1']!)} (other)\n1 image removed\n`);
    for (const kept of ['X', 'X3', 'O2']) expect(exists(ids[kept]!), kept).toBe(true);
  });
});
