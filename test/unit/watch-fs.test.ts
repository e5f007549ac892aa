/**
 * The file watcher on real files in a temp folder (no engine):
 *  - ENOSPC injected into chokidar's error handler: one clear note, a polling watcher
 *    replaces the inotify one once its first stats are taken (a write at once is seen),
 *    one rescan is asked for; other errors are warnings;
 *  - the same through a whole Watcher (fake executor): watch-ready says polling, with the
 *    note, every image is checked again, and the next edit still runs a build of its image;
 *  - a chmod of a file that was read after its last write is seen (chokidar alone drops it);
 *  - with inotify, only folders are watched (inotify watches counted in /proc), and writes,
 *    chmods, removals and renames of files are all still seen;
 *  - restart() replaces the watcher without a gap;
 *  - a folder removed and made again at once (chokidar keeps its dead watch) is watched again.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { watch, type ChokidarOptions, type FSWatcher } from 'chokidar';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadPlan } from '../../src/load/load-plan.js';
import type { Executor, RunReport } from '../../src/execute/executor.js';
import type { WatchEvent } from '../../src/core/events.js';
import { ENOSPC_NOTE, FileWatch } from '../../src/watch/fs-watch.js';
import { Watcher } from '../../src/watch/watcher.js';
import { testdir } from '../helpers/testdir.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Waits for a condition (checked every 5 ms), with a deadline. */
const until = (what: string, test: () => boolean, timeout = 10_000) =>
  vi.waitFor(
    () => {
      if (!test()) throw new Error(`${what}: not yet`);
    },
    { timeout, interval: 5 },
  );

/**
 * Writes `file` again and again until the watcher reports it: fails when nothing in its
 * folder is watched. (A single write can land before a new watch takes its first look:
 * a polling watcher is ready before its first stat of each file.)
 */
const seesWritesTo = (seen: string[], file: string) => {
  let n = 0;
  return until(
    `a write to ${file}`,
    () => {
      writeFileSync(file, `${n++}\n`);
      return seen.includes(file);
    },
    5_000,
  );
};

/** inotify watches held by this process (each `inotify wd:` line of an inotify fd's fdinfo). */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

const enospc = () =>
  Object.assign(new Error('ENOSPC: System limit for number of file watchers reached, watch'), { code: 'ENOSPC', errno: -28, syscall: 'watch' });

function recordingFactory(created: { w: FSWatcher; polling: boolean }[]) {
  return (root: string, options: ChokidarOptions) => {
    const w = watch(root, options);
    created.push({ w, polling: options.usePolling === true });
    return w;
  };
}

describe('FileWatch', () => {
  it('ENOSPC: says so once, falls back to polling, and still sees edits', async () => {
    const { dir, cleanup } = testdir({ 'ctx/a.txt': 'a1\n' }, 'mbt-watchfs-');
    cleanups.push(cleanup);
    const created: { w: FSWatcher; polling: boolean }[] = [];
    const notes: string[] = [];
    const warnings: string[] = [];
    const seen: string[] = [];
    let rescans = 0;
    const fw = new FileWatch({
      root: dir,
      poll: false,
      interval: 20,
      ignored: () => false,
      watch: recordingFactory(created),
      onPath: (p) => seen.push(p),
      onFallback: (n) => notes.push(n),
      onWarning: (m) => warnings.push(m),
      onRescan: () => rescans++,
    });
    cleanups.push(() => fw.close());
    await fw.start();
    expect(fw.polling).toBe(false);

    created[0]!.w.emit('error', enospc());
    created[0]!.w.emit('error', enospc());
    created[0]!.w.emit('error', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    await fw.settled(); // the replacement is in place
    expect(notes).toEqual([ENOSPC_NOTE]);
    expect(ENOSPC_NOTE).toMatch(/inotify watch limit is reached \(ENOSPC\).*polling.*max_user_watches/);
    expect(warnings).toEqual(['file watcher: EACCES: permission denied']);
    expect(fw.polling).toBe(true);
    expect(created.map((c) => c.polling)).toEqual([false, true]);
    expect(created[0]!.w.closed, 'the inotify watcher is closed').toBe(true);
    expect(rescans, 'what inotify missed is checked again').toBe(1);

    // In place means its first stats are taken: one write at once is seen by polling.
    writeFileSync(join(dir, 'ctx/a.txt'), 'a2, longer\n');
    await until('the write seen by polling', () => seen.includes(join(dir, 'ctx/a.txt')));
  });

  it('sees a chmod of a file that was read after its last write', async () => {
    const { dir, cleanup } = testdir({ 'ctx/a.txt': 'a1\n' }, 'mbt-watchfs-');
    cleanups.push(cleanup);
    const seen: string[] = [];
    const fw = new FileWatch({
      root: dir,
      poll: false,
      ignored: () => false,
      onPath: (p) => seen.push(p),
      onFallback: () => undefined,
      onWarning: () => undefined,
    });
    cleanups.push(() => fw.close());
    await fw.start();
    readFileSync(join(dir, 'ctx/a.txt')); // atime > mtime now, as after a build hashed it
    chmodSync(join(dir, 'ctx/a.txt'), 0o755);
    await until('the chmod seen', () => seen.includes(join(dir, 'ctx/a.txt')));
  });

  it('restart() replaces the watcher and the new one sees what the old one pruned', async () => {
    const { dir, cleanup } = testdir({ 'ctx/a.txt': 'a1\n', 'ctx/gen/b.txt': 'b1\n' }, 'mbt-watchfs-');
    cleanups.push(cleanup);
    let prune = true;
    const created: { w: FSWatcher; polling: boolean }[] = [];
    const seen: string[] = [];
    const fw = new FileWatch({
      root: dir,
      poll: false,
      watch: recordingFactory(created),
      ignored: (p) => prune && p.endsWith('/gen'),
      onPath: (p) => seen.push(p),
      onFallback: () => undefined,
      onWarning: () => undefined,
    });
    cleanups.push(() => fw.close());
    await fw.start();
    prune = false;
    await fw.restart();
    expect(created.length).toBe(2);
    expect(created[0]!.w.closed).toBe(true);
    writeFileSync(join(dir, 'ctx/gen/c.txt'), 'c\n');
    await until('an edit in the folder pruned before', () => seen.includes(join(dir, 'ctx/gen/c.txt')));
  });

  /** A FileWatch on `files`, recording the paths it reports. */
  async function watching(files: Record<string, string>) {
    const { dir, cleanup } = testdir(files, 'mbt-watchfs-');
    cleanups.push(cleanup);
    const seen: string[] = [];
    const fw = new FileWatch({
      root: dir,
      poll: false,
      ignored: () => false,
      onPath: (p) => seen.push(p),
      onFallback: () => undefined,
      onWarning: () => undefined,
    });
    cleanups.push(() => fw.close());
    await fw.start();
    return { dir, seen };
  }

  it('with inotify, watches folders, not files, and still sees every kind of change to a file', async () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 4; d++) for (let f = 0; f < 100; f++) files[`ctx/d${d}/f${f}.txt`] = `${d}/${f}\n`;
    const before = inotifyWatches();
    const { dir, seen } = await watching(files);
    // root, ctx and 4 folders: 6 watches, where a watch per file would be 406.
    expect(inotifyWatches() - before).toBeLessThanOrEqual(6);
    const f = (d: number, n: number) => join(dir, `ctx/d${d}/f${n}.txt`);
    writeFileSync(f(0, 1), 'edited\n');
    await until('a write to an existing file', () => seen.includes(f(0, 1)));
    chmodSync(f(1, 2), 0o700);
    await until('a chmod', () => seen.includes(f(1, 2)));
    rmSync(f(2, 3));
    await until('a removal', () => seen.includes(f(2, 3)));
    renameSync(f(3, 4), f(3, 99) + '.moved');
    await until('a rename, both names', () => seen.includes(f(3, 4)) && seen.includes(f(3, 99) + '.moved'));
  });

  it('reports a new folder again once its watch is in place (what was written before that reached no watch)', async () => {
    const { dir, cleanup } = testdir({ 'ctx/a.txt': 'a\n' }, 'mbt-watchfs-');
    cleanups.push(cleanup);
    const created: { w: FSWatcher; polling: boolean }[] = [];
    const d = join(dir, 'ctx/new');
    let reportedWhileWatched = false;
    const fw = new FileWatch({
      root: dir,
      poll: false,
      watch: recordingFactory(created),
      ignored: () => false,
      onPath: (p) => {
        if (p === d && created[0]!.w._closers.has(d)) reportedWhileWatched = true;
      },
      onFallback: () => undefined,
      onWarning: () => undefined,
    });
    cleanups.push(() => fw.close());
    await fw.start();
    mkdirSync(d);
    writeFileSync(join(d, 'early.txt'), 'written before the folder is watched\n');
    await until('the folder reported with its watch in place', () => reportedWhileWatched);
  });

  it('keeps watching a folder removed and made again before chokidar reads its parent', async () => {
    const { dir, seen } = await watching({ 'ctx/d/a.txt': 'a\n', 'ctx/d/sub/b.txt': 'b\n' });
    const d = join(dir, 'ctx/d');
    rmSync(d, { recursive: true });
    mkdirSync(join(d, 'sub'), { recursive: true }); // same tick: chokidar's read of ctx finds d in both lists
    await until('the removal', () => seen.includes(d));
    await seesWritesTo(seen, join(d, 'new.txt'));
    await seesWritesTo(seen, join(d, 'sub/new.txt'));
  });

  it('keeps watching a folder whose entry of the same name is removed (d/d)', async () => {
    const { dir, seen } = await watching({ 'ctx/d/d': 'same name\n', 'ctx/d/a.txt': 'a\n' });
    rmSync(join(dir, 'ctx/d/d'));
    await until('the removal', () => seen.includes(join(dir, 'ctx/d')) || seen.includes(join(dir, 'ctx/d/d')));
    await seesWritesTo(seen, join(dir, 'ctx/d/new.txt'));
    await seesWritesTo(seen, join(dir, 'ctx/d/a.txt'));
  });
});

describe('Watcher with ENOSPC', () => {
  it('reports the fallback in watch-ready and keeps building what edits affect', async () => {
    const { dir, cleanup } = testdir(
      {
        'mbuild.yaml': 'version: 1\nname: wfs\nimages:\n  a:\n    context: a\n  b:\n    context: b\n',
        // x.txt is read: an edit to a file no instruction reads triggers nothing.
        'a/Dockerfile': 'FROM busybox\nCOPY x.txt /\n',
        'a/x.txt': '1\n',
        'b/Dockerfile': 'FROM busybox\n',
      },
      'mbt-watchfs-',
    );
    cleanups.push(cleanup);
    const planned = await loadPlan({ cwd: dir, env: {} }, []);
    if (!planned.ok) throw new Error(JSON.stringify(planned.error.diagnostics));

    const runs: string[][] = [];
    const events: WatchEvent[] = [];
    const created: { w: FSWatcher; polling: boolean }[] = [];
    const controller = new AbortController();
    const watcher = new Watcher({
      initial: planned.value,
      builder: 'buildkit',
      signal: controller.signal,
      poll: false,
      debounceMs: 20,
      reload: async () => ({ message: 'not used', files: [] }),
      watchFactory: recordingFactory(created),
      emit: (e) => events.push(e),
      executor: (_file, p) =>
        ({
          run: async (): Promise<RunReport> => {
            runs.push(p.images.map((i) => i.name));
            return {
              results: p.images.map((i) => ({ image: i.name, outcome: { kind: 'built', imageId: `sha256:${i.name}${runs.length}`, durationMs: 1, size: 1 } })),
              interrupted: false,
              durationMs: 1,
            };
          },
          restart: () => false,
        }) as unknown as Executor,
    });
    const running = watcher.run();
    cleanups.push(async () => {
      controller.abort();
      await running;
    });
    await until('watch-ready', () => events.some((e) => e.type === 'watch-ready'));
    expect(events.find((e) => e.type === 'watch-ready')).toEqual({ type: 'watch-ready', images: ['a', 'b'], polling: false });
    expect(runs).toEqual([['a', 'b']]);

    created[0]!.w.emit('error', enospc());
    expect(events.filter((e) => e.type === 'watch-ready').at(-1)).toEqual({ type: 'watch-ready', images: ['a', 'b'], polling: true, note: ENOSPC_NOTE });
    // Once the polling watcher has replaced the inotify one, an edit still builds its image.
    await until('the polling watcher in place', () => created.length === 2 && created[1]!.polling && created[0]!.w.closed);
    // What inotify could not watch was never reported: every image is checked again.
    await until('the rescan', () => runs.length === 2);
    expect(runs[1]).toEqual(['a', 'b']);
    await watcher.settled();
    writeFileSync(join(dir, 'a/x.txt'), '2, longer\n');
    await until('a rebuilt', () => runs.length === 3);
    expect(runs.at(-1)).toEqual(['a']);
    expect(events.some((e) => e.type === 'watch-rebuilt' && e.image === 'a')).toBe(true);
  });
});
