/**
 * An edit in the middle of a build (fixture test/fixtures/watch/slow: slow's RUN step
 * sleeps 2 s; `after` is built from slow): the in-flight build is cancelled on the daemon
 * (its RUN shell is gone from the host) and started again, so slow is built exactly once
 * more, `after` waits for it and is built once, the queued follow-up run builds nothing,
 * and both images hold the final file content. Needs the compiled CLI.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { fileInImage, processesWith } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession, type WEvent } from '../fixtures/watch/watch-session.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const of = (e: WEvent): string | undefined => (e as { image?: string }).image;

it('an edit during a build restarts it: exactly one extra build, dependents wait, final content wins', async () => {
  const p: TestProject = copyFixture('../watch/slow', 'wmid');
  const w = new WatchSession(p);
  cleanups.push(async () => {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  });
  await w.ready();
  const marker = `${p.name}-sleeping`;

  const m = w.mark();
  writeFileSync(join(p.dir, 'slow/v.txt'), 'v2\n');
  // The RUN step of the first build is sleeping on the daemon.
  await w.waitFor((e) => e.type === 'image-step' && of(e) === 'slow' && /RUN sleep 2/.test(String(e['step'])) && e['cached'] === false, 'slow RUN step', {
    from: m,
  });
  await expect.poll(() => processesWith(marker).length, { timeout: 30_000, interval: 50 }).toBeGreaterThan(0);
  const firstShells = processesWith(marker);
  writeFileSync(join(p.dir, 'slow/v.txt'), 'v3\n');
  await w.settle();

  expect(w.starts(m, 'slow'), `slow: the first build and exactly one restart\n${w.describe()}`).toBe(2);
  const done = w.since(m, 'image-done').filter((e) => of(e) === 'slow');
  // Built once (the restarted build); the queued follow-up run finds it up to date.
  expect(done.map((e) => (e['outcome'] as { kind: string }).kind)).toEqual(['built', 'up-to-date']);
  expect(w.starts(m, 'after'), 'after is built once').toBe(1);
  const slowDone = w.events.findIndex((e, i) => i >= m && e.type === 'image-done' && of(e) === 'slow');
  const afterStarted = w.events.findIndex((e, i) => i >= m && e.type === 'image-started' && of(e) === 'after');
  expect(afterStarted, 'after waits for the restarted build').toBeGreaterThan(slowDone);
  expect(w.since(m, 'watch-rebuilt').map(of)).toEqual(['slow', 'after']);
  // The cancelled build's shell is gone from the host (cancelled on the daemon, not just abandoned).
  for (const pid of firstShells) expect(processesWith(marker)).not.toContain(pid);

  expect(fileInImage(`${p.name}/slow:t`, '/final')).toBe('v3\n');
  expect(fileInImage(`${p.name}/after:t`, '/after-final')).toBe('v3\n');
  const r = await w.stop('SIGINT');
  expect(r.code).toBe(130);
});
