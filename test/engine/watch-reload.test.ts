/**
 * Build file and Dockerfile changes under `mbuild watch` (fixture test/fixtures/watch/reload:
 * x, y with a literal arg, z), one watch process, in order:
 *  1. a broken build file: the diagnostics are printed (watch-reload ok: false), nothing is
 *     built, and watch goes on with the last good file (an edit of x still rebuilds x);
 *  2. the fixed file with y's arg changed: only y is rebuilt, with the new value;
 *  3. z's Dockerfile gains `FROM <x's tag>`: the plan is made again, so the next edit of x
 *     rebuilds z too, from the new x;
 *  4. z's FROM names x by a tag x does not carry: the reload is refused with the same
 *     diagnostic as `validate` (it runs the same checks), and z waits: built under the last
 *     good plan from its refused Dockerfile, it would lose its edge to x; once the Dockerfile
 *     passes again, z is built from it.
 * Needs the compiled CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { fileInImage } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession } from '../fixtures/watch/watch-session.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

it('a broken build file keeps the last good one; the fixed one rebuilds only what changed; a new FROM edge is planned', async () => {
  const p: TestProject = copyFixture('../watch/reload', 'wrel');
  const w = new WatchSession(p);
  cleanups.push(() => {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  });
  await w.ready();
  const file = join(p.dir, 'mbuild.yaml');
  const good = readFileSync(file, 'utf8');
  const builds = (m: number) => Object.fromEntries(['x', 'y', 'z'].map((n) => [n, w.starts(m, n)]));

  // 1. Broken: a YAML syntax error and a schema error.
  let m = w.mark();
  writeFileSync(file, good.replace('args: {VERSION: "1"}', 'args: {VERSION: ["1"]}\n    bogus: [unclosed'));
  await w.settle();
  const failed = w.since(m, 'watch-reload');
  expect(failed.map((e) => e['ok'])).toContain(false);
  expect(String(failed.find((e) => e['ok'] === false)?.['message'])).toMatch(/mbuild\.yaml:\d+:\d+: error/);
  expect(w.since(m, 'image-started')).toEqual([]);
  m = w.mark();
  writeFileSync(join(p.dir, 'x/v.txt'), 'x2\n');
  await w.settle();
  expect(builds(m), 'still watching with the last good file').toEqual({ x: 1, y: 0, z: 0 });
  expect(fileInImage(`${p.name}/x:t`, '/x.txt')).toBe('x2\n');

  // 2. Fixed, with y's arg changed.
  m = w.mark();
  writeFileSync(file, good.replace('args: {VERSION: "1"}', 'args: {VERSION: "2"}'));
  await w.settle();
  const reloaded = w.since(m, 'watch-reload').at(-1);
  expect(reloaded?.['ok']).toBe(true);
  expect(reloaded?.['message']).toBe('changed: y');
  expect(builds(m), w.describe()).toEqual({ x: 0, y: 1, z: 0 });
  expect(fileInImage(`${p.name}/y:t`, '/version')).toBe('2\n');

  // 3. z is now built FROM x: planned again, so x's next edit reaches z.
  m = w.mark();
  writeFileSync(join(p.dir, 'z/Dockerfile'), `FROM ${p.name}/x:t\nCOPY v.txt /z.txt\n`);
  await w.settle();
  expect(w.since(m, 'watch-reload').at(-1)?.['message']).toBe('changed: z');
  expect(builds(m)).toEqual({ x: 0, y: 0, z: 1 });
  m = w.mark();
  writeFileSync(join(p.dir, 'x/v.txt'), 'x3\n');
  await w.settle();
  expect(builds(m), w.describe()).toEqual({ x: 1, y: 0, z: 1 });
  expect(fileInImage(`${p.name}/z:t`, '/x.txt')).toBe('x3\n');

  // 4. z's FROM names x by a tag x does not carry: the reload is refused with validate's diagnostic.
  m = w.mark();
  writeFileSync(join(p.dir, 'z/Dockerfile'), `FROM ${p.name}/x:old\nCOPY v.txt /z.txt\n`);
  await w.settle();
  const refused = w.since(m, 'watch-reload').at(-1);
  expect(refused?.['ok']).toBe(false);
  expect(String(refused?.['message'])).toContain(`z/Dockerfile:1:6: error: FROM ${p.name}/x:old names image 'x' by a tag it does not carry`);
  expect(w.since(m, 'watch-waiting'), w.describe()).toEqual([expect.objectContaining({ image: 'z', invalid: ['z/Dockerfile'] })]);
  expect(builds(m), 'z waits while its Dockerfile is refused').toEqual({ x: 0, y: 0, z: 0 });
  m = w.mark();
  writeFileSync(join(p.dir, 'z/v.txt'), 'z2\n');
  await w.settle();
  expect(builds(m), 'an edit of z still waits').toEqual({ x: 0, y: 0, z: 0 });
  m = w.mark();
  writeFileSync(join(p.dir, 'z/Dockerfile'), 'FROM busybox\nCOPY v.txt /z.txt\n');
  await w.settle();
  expect(w.since(m, 'watch-reload').at(-1)?.['ok']).toBe(true);
  expect(builds(m), w.describe()).toEqual({ x: 0, y: 0, z: 1 });
  expect(fileInImage(`${p.name}/z:t`, '/z.txt')).toBe('z2\n');
  expect((await w.stop('SIGINT')).code).toBe(130);
});
