/**
 * The file watcher under watch mode: chokidar on the project root folder (never globs),
 * with an `ignored` function that prunes every tree that holds no input.
 *
 * Two event sources feed `onPath`:
 *  - chokidar's own events: addDir/unlinkDir (with inotify it watches folders only, see
 *    `isEntry`), which also cover files created in a new folder before a watch is placed on
 *    it (the folder's images are rebuilt and the build walks it); add/change/unlink when polling;
 *  - its `raw` events, straight from fs.watch, synchronously and in the kernel's order:
 *    with inotify, every change to a file arrives here, from its folder's watch.
 *    chokidar drops some changes we must not lose: a chmod of a file read since its last
 *    write (it compares atime with mtime), a second write within its 5 ms throttle, and
 *    names like `x~` or `.x.swp` (its `atomic` filter, turned off here too).
 * Both may report one change several times; the dirty set and the cache make that free.
 *
 * When inotify runs out of watches (ENOSPC), it says so once and replaces itself with a
 * polling watcher, then asks for a rescan (`onRescan`): what changed in folders inotify
 * could not watch was never reported. `restart()` (the ignore rules or contexts changed) starts the new
 * watcher and closes the old one only once the new one is ready, so nothing is missed.
 */
import { lstatSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { watch as chokidarWatch, type ChokidarOptions, type FSWatcher } from 'chokidar';

export type WatchFactory = (root: string, options: ChokidarOptions) => FSWatcher;

export interface FileWatchOptions {
  readonly root: string;
  /** `--poll`: poll from the start. */
  readonly poll: boolean;
  readonly ignored: (path: string, stats?: Stats) => boolean;
  /** A path may have changed; `isDir` when known. Called synchronously for raw events. */
  readonly onPath: (path: string, isDir: boolean | undefined) => void;
  /** inotify is exhausted: watch now polls. */
  readonly onFallback: (note: string) => void;
  /**
   * The polling watcher that replaced an exhausted inotify one is in place: anything may
   * have changed unseen meanwhile (in folders inotify could not watch), so check everything.
   */
  readonly onRescan?: () => void;
  readonly onWarning: (message: string) => void;
  /** Polling interval in ms (default 100). */
  readonly interval?: number;
  /** chokidar's `watch`, replaceable in tests. */
  readonly watch?: WatchFactory;
}

export const ENOSPC_NOTE =
  'the inotify watch limit is reached (ENOSPC): watch falls back to polling, which costs more CPU. ' +
  'Raise the limit (sudo sysctl fs.inotify.max_user_watches=524288), add what need not be watched to .dockerignore, or pass --poll to poll from the start.';

/** The path a raw event is about: fs.watch reports a name inside the watched folder (or the watched file's own name); polling reports the path. */
export function rawPath(evPath: unknown, details: unknown): string | undefined {
  const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
  if (typeof watched !== 'string') return typeof evPath === 'string' ? evPath : undefined;
  if (typeof evPath !== 'string' || evPath === '' || evPath === basename(watched)) return watched;
  return join(watched, evPath);
}

/**
 * A watched folder was deleted or moved away (inotify's DELETE_SELF / MOVE_SELF reach its own
 * watch as a `rename` of its own name): its watch is dead. chokidar notices only when a read
 * of the parent finds the folder missing, so a folder removed and made again before that
 * read (`rm -r d && mkdir d`, a checkout) keeps the dead watch and nothing in it is seen
 * again. Forget the folder now, as chokidar does for a removal it sees, and watch it afresh
 * when it is there again (if it is made later, the parent's CREATE event does that).
 * A folder holding an entry of its own name (`d/d`) reports that entry the same way: then
 * the folder is forgotten and watched again for nothing, which costs a rescan, not an event.
 */
function forgetDeadFolder(w: FSWatcher, path: string, details: unknown): void {
  const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
  if (typeof watched !== 'string' || resolve(watched) !== resolve(path)) return; // an entry of the folder, not the folder itself
  const full = resolve(path);
  if (!w._watched.has(full) || dirname(full) === full) return; // not a folder chokidar reads, or the file system root
  w._remove(dirname(full), basename(full));
  let isDir = false;
  try {
    isDir = lstatSync(full).isDirectory();
  } catch {
    /* gone: nothing to watch until it is made again */
  }
  if (isDir) w.add(full);
}

/**
 * With inotify, chokidar watches folders only. A folder's watch reports every change to the
 * entries in it (write, chmod, create, delete, rename) as a raw event naming the entry, so
 * a file needs no watch of its own. A watch per file would cost an inotify watch and about
 * 2.5 KB of heap each (100,000 files: 100,000 watches, 250 MB of heap that V8's memory
 * reducer then marks again and again while watch is idle). Polling sees only a folder's own
 * stat, not its files' contents, so a polling watcher still watches every file.
 */
const isEntry = (stats: Stats | undefined): boolean => stats !== undefined && !stats.isDirectory();

/**
 * A new folder is reported (addDir) before chokidar has read it and placed its watch: what
 * is written in it meanwhile reaches no watch, and a build that walked the folder before
 * that write would miss it. So the folder is reported again once its watch is in place
 * (chokidar then holds a closer for it); the build that follows walks it again, and from
 * then on its watch reports every change. Checked every 5 ms, for at most 10 s.
 */
function reportOnceWatched(w: FSWatcher, path: string, report: () => void, deadline = performance.now() + 10_000): void {
  if (w.closed || performance.now() > deadline) return;
  if (w._closers.has(path)) return report();
  setTimeout(() => reportOnceWatched(w, path, report, deadline), 5).unref();
}

/**
 * Waits until the stats fs.watchFile queued for a new polling watcher have been taken: one
 * polling interval, then as many stats as the thread pool has threads, queued behind them.
 */
async function firstStatsTaken(root: string, interval: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, interval));
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  await Promise.all(Array.from({ length: threads }, () => stat(root).catch(() => undefined)));
}

export class FileWatch {
  readonly #o: FileWatchOptions;
  #polling: boolean;
  #current: FSWatcher | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(o: FileWatchOptions) {
    this.#o = o;
    this.#polling = o.poll;
  }

  get polling(): boolean {
    return this.#polling;
  }

  /** Starts watching; resolves once a watcher is ready, including a fallback that happened while starting. */
  async start(): Promise<void> {
    await this.restart();
    await this.settled();
  }

  /** Resolves when no replacement is pending. */
  async settled(): Promise<void> {
    for (let seen = this.#chain; ; seen = this.#chain) {
      await seen;
      if (seen === this.#chain) return;
    }
  }

  /** A fresh watcher (what `ignored` says changed); the old one reports until the new one is ready. */
  restart(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#replace());
    return this.#chain;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain;
    await this.#current?.close();
    this.#current = undefined;
  }

  async #replace(): Promise<void> {
    if (this.#closed) return;
    const polling = this.#polling;
    const next = this.#create();
    await new Promise<void>((resolve) => next.once('ready', () => resolve()));
    // A polling watcher is ready before its first stat of each file (fs.watchFile takes it
    // in the thread pool): a change before that stat would be its baseline, never reported.
    // The old watcher keeps reporting until those stats are taken.
    if (polling) await firstStatsTaken(this.#o.root, this.#o.interval ?? 100);
    const old = this.#current;
    this.#current = next;
    await old?.close();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- close() may have run during the awaits above
    if (this.#closed) await next.close();
  }

  #create(): FSWatcher {
    const interval = this.#o.interval ?? 100;
    const polling = this.#polling;
    const w = (this.#o.watch ?? chokidarWatch)(this.#o.root, {
      ignoreInitial: true,
      usePolling: polling,
      interval,
      binaryInterval: interval,
      atomic: false,
      followSymlinks: false,
      ignored: (path: string, stats?: Stats) => (!polling && isEntry(stats)) || this.#o.ignored(path, stats),
    });
    w.on('all', (event, path) =>
      this.#o.onPath(
        path,
        event === 'addDir' || event === 'unlinkDir' ? true : event === 'add' || event === 'change' || event === 'unlink' ? false : undefined,
      ),
    );
    w.on('addDir', (path) => reportOnceWatched(w, path, () => this.#o.onPath(path, true)));
    w.on('raw', (event, evPath, details) => {
      // Polling reports a folder whose entries changed: chokidar's add/unlink say which.
      if ((details as { curr?: Stats } | undefined)?.curr?.isDirectory()) return;
      const path = rawPath(evPath, details);
      if (path === undefined) return;
      if (event === 'rename' && !polling) forgetDeadFolder(w, path, details);
      this.#o.onPath(path, undefined);
    });
    w.on('error', (e) => this.#onError(e as NodeJS.ErrnoException));
    return w;
  }

  #onError(e: NodeJS.ErrnoException): void {
    if (e.code === 'ENOSPC') {
      if (this.#polling || this.#closed) return; // the old inotify watcher, still failing while it is replaced
      this.#polling = true;
      this.#o.onFallback(ENOSPC_NOTE);
      // Once the polling watcher is in place: what changed in folders inotify could not watch was never reported.
      void this.restart().then(() => {
        if (!this.#closed) this.#o.onRescan?.();
      });
      return;
    }
    this.#o.onWarning(`file watcher: ${e.message}`);
  }
}
