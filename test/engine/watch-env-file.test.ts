/**
 * The env file under `mbuild watch` (fixture test/fixtures/watch/env-file: a's arg comes
 * from `.env`, b reads none of it), one watch process, in order:
 *  1. `.env` changes the value: the build file is reloaded and only a is rebuilt, with it;
 *  2. `.env` gets a bad line: the reload is refused at `.env:line:col`, without the line
 *     itself, and nothing is built; an edit of b still rebuilds b under the last good plan;
 *  3. the fixed `.env` is reloaded and a is rebuilt with its value.
 * Needs the compiled CLI.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { fileInImage } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession } from '../fixtures/watch/watch-session.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

it('a change of .env reloads the build file and rebuilds what its values reach; a bad .env keeps the last good plan', async () => {
  const p: TestProject = copyFixture('../watch/env-file', 'wenv');
  const w = new WatchSession(p);
  cleanups.push(() => {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  });
  await w.ready();
  const env = join(p.dir, '.env');
  const builds = (m: number) => Object.fromEntries(['a', 'b'].map((n) => [n, w.starts(m, n)]));
  expect(fileInImage(`${p.name}/a:t`, '/version')).toBe('1\n');

  // 1. A new value.
  let m = w.mark();
  writeFileSync(env, 'VERSION=2\n');
  await w.settle();
  expect(w.since(m, 'watch-reload').at(-1), w.describe()).toMatchObject({ ok: true, message: 'changed: a' });
  expect(builds(m), w.describe()).toEqual({ a: 1, b: 0 });
  expect(fileInImage(`${p.name}/a:t`, '/version')).toBe('2\n');

  // 2. A bad line: refused where it is, its text never printed.
  m = w.mark();
  writeFileSync(env, 'VERSION=3\nPASSWORD="s3cret-never-shown\n');
  await w.settle();
  const refused = w.since(m, 'watch-reload').at(-1);
  expect(refused?.['ok']).toBe(false);
  expect(String(refused?.['message'])).toBe('.env:2:10: error: unterminated double-quoted value: the " opened here is never closed');
  expect(JSON.stringify(w.since(m))).not.toContain('s3cret');
  expect(builds(m)).toEqual({ a: 0, b: 0 });
  m = w.mark();
  writeFileSync(join(p.dir, 'b/v.txt'), 'b2\n');
  await w.settle();
  expect(builds(m), 'still watching with the last good plan').toEqual({ a: 0, b: 1 });

  // 3. Fixed.
  m = w.mark();
  writeFileSync(env, 'VERSION=4\nPASSWORD="fixed"\n');
  await w.settle();
  expect(w.since(m, 'watch-reload').at(-1)).toMatchObject({ ok: true, message: 'changed: a' });
  expect(builds(m), w.describe()).toEqual({ a: 1, b: 0 });
  expect(fileInImage(`${p.name}/a:t`, '/version')).toBe('4\n');
  expect((await w.stop('SIGINT')).code).toBe(130);
});
