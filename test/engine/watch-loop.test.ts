/**
 * Loop guard of `mbuild watch` (fixture test/fixtures/watch/loop), one watch process:
 *  - gen's outputs land inside its own context and inside peer's, and differ on every
 *    build: an edit of gen rebuilds gen once, the outputs are written (through temporary
 *    siblings), and nothing else runs: no loop, peer untouched;
 *  - the --on-rebuild hook writes into hooked's context after each of its builds: hooked is
 *    rebuilt by itself until the limit, then paused with the reason, and later edits of it
 *    are ignored.
 * Needs the compiled CLI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SELF_TRIGGER_LIMIT } from '../../src/watch/loop-guard.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession } from '../fixtures/watch/watch-session.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const HOOK = 'if [ "$MBUILD_IMAGE" = hooked ]; then cat /proc/sys/kernel/random/uuid > hooked/stamp.txt; fi';

it('outputs inside watched contexts trigger no loop; a hook that keeps triggering its image gets it paused', async () => {
  const p: TestProject = copyFixture('../watch/loop', 'wloop');
  const w = new WatchSession(p, ['--on-rebuild', HOOK]);
  cleanups.push(() => {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  });
  await w.ready();

  // Outputs: one build, then quiet (a second settle proves no run was still coming).
  let m = w.mark();
  const stampBefore = readFileSync(join(p.dir, 'peer/from-gen.txt'), 'utf8');
  writeFileSync(join(p.dir, 'gen/src.txt'), 'gen v2\n');
  await w.settle();
  await w.settle();
  expect(w.starts(m, 'gen'), w.describe()).toBe(1);
  expect(w.since(m, 'run-started').length, 'one run, no follow-up').toBe(1);
  expect(w.starts(m, 'peer')).toBe(0);
  expect(readFileSync(join(p.dir, 'gen/generated/src.txt'), 'utf8')).toBe('gen v2\n');
  expect(readFileSync(join(p.dir, 'peer/from-gen.txt'), 'utf8'), 'the output was written again').not.toBe(stampBefore);
  expect(new Set(w.since(m, 'watch-change').flatMap((e) => e['paths'] as string[])), 'outputs and their temporary siblings are not changes').toEqual(
    new Set(['gen/src.txt']),
  );

  // The hook: hooked rebuilds itself SELF_TRIGGER_LIMIT times in a row, then is paused.
  m = w.mark();
  writeFileSync(join(p.dir, 'hooked/src.txt'), 'hooked v2\n');
  const pausedAt = await w.waitFor((e) => e.type === 'watch-paused' && e['image'] === 'hooked', 'watch-paused hooked', { from: m });
  await w.settle();
  expect(String(w.events[pausedAt]!['reason'])).toMatch(/hook ran after its own build, 3 runs in a row \(last: hooked\/stamp\.txt\)/);
  expect(w.starts(m, 'hooked'), w.describe()).toBe(SELF_TRIGGER_LIMIT);
  expect(w.since(pausedAt, 'image-started')).toEqual([]);

  // Paused: an edit of hooked is ignored.
  m = w.mark();
  writeFileSync(join(p.dir, 'hooked/src.txt'), 'hooked v3\n');
  await w.settle();
  expect(w.since(m, 'image-started')).toEqual([]);
  expect(w.since(m, 'watch-change')).toEqual([]);
  expect((await w.stop('SIGINT')).code).toBe(130);
});
