/**
 * bin/mbuild.js runs the bundle (dist/bundle/main.cjs, made by `npm run build`) with a V8
 * code cache per command next to it: a cache V8 rejects (junk here) does not stop the run and
 * is written again; a cache V8 accepts is left as it is. `graph` is used because no other
 * test runs it as a real process, so no other run touches its cache meanwhile.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO, spawnCli } from '../helpers/run-cli.js';

const CACHE = join(REPO, 'dist', 'bundle', 'main.graph.v8cache');
const graph = () => spawnCli(['-f', 'examples/shop/mbuild.yaml', 'graph', '--format', 'json'], { cwd: REPO }).done;

it('a rejected code cache is written again, an accepted one is kept, and the output is the same', async () => {
  const junk = Buffer.from('not a V8 code cache');
  writeFileSync(CACHE, junk);
  const first = await graph();
  expect(first.code).toBe(0);
  expect(first.stderr).toBe('');
  const written = readFileSync(CACHE);
  expect(written.equals(junk)).toBe(false);
  expect(written.length).toBeGreaterThan(1000);
  const mtime = statSync(CACHE).mtimeMs;

  const second = await graph();
  expect(second.code).toBe(0);
  expect(second.stdout).toBe(first.stdout);
  expect(JSON.parse(second.stdout)).toHaveProperty('nodes');
  expect(statSync(CACHE).mtimeMs, 'an accepted cache is not rewritten').toBe(mtime);
  expect(readFileSync(CACHE).equals(written)).toBe(true);
});
