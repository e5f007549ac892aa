/**
 * DIFF MOUNTS: the entries that image B (`head`) adds or changes relative to image A
 * (`base`) below an absolute path, streamed lazily, plus what B deletes.
 *
 * "Changed" (identical in both paths below): an entry of B below the path is emitted when
 * A has no entry of that name, or A's differs in type (file/hard link, dir, symlink,
 * other), permission bits (mode & 0o7777), file content (sha256), symlink target, or
 * device kind/numbers. Not compared: mtime, owner, xattrs, hard-link structure. A file
 * that a layer rewrites with the same bytes and mode (e.g. `touch`) is NOT changed.
 * Directories above an emitted entry are emitted too (B's mode), before it. Hard links:
 * of the emitted members of one inode, the first in walk order is a file, the others are
 * 'hardlink' to it; a member whose file is not emitted is a plain file. Deletions are the
 * topmost names of A missing in B (not each entry below a deleted directory). Paths the
 * container init layer owns (/etc/hosts, /.dockerenv, /proc, ...) are never compared.
 *
 * Two ways to decide, one result (the tests compare them on the same image pairs):
 *  - FAST PATH, when A's layer chain is a prefix of B's: one `docker save` of B, parsing
 *    only B's extra layers and dropping the stream once they are all read (diff-layers.ts),
 *    then archives of A for just the names those layers touched (diff-fast.ts). Cost:
 *    the export up to the last extra layer (the daemon sends layers in v1-id order, so on
 *    average half the image; A's layers are drained, not parsed) plus ~1 request per
 *    touched name (or one archive of A's path when there are many). Measured on 20.10:
 *    the daemon stages the WHOLE save in its own temp dir before the first byte (~5 ms
 *    per MiB of B here), so the time still grows with B's size; bytes read do not.
 *  - FALLBACK: a merge-join of the archives of the path from one container of A and one
 *    of B (diff-archive.ts). Cost: both whole subtrees, read once, hashed as they stream
 *    (~270 MB/s here), so it grows with the size of the path in A and B.
 * bench/diff-mount.mjs: A = busybox + 10 layers of 10 MiB below /data, B = A + 1 small
 * layer: fast 1.1 s / 33 MiB read vs fallback 1.5 s / 200 MiB; at 400 MiB: 2.7 s / 42 MiB
 * vs 4.2 s / 798 MiB.
 * Both produce metadata only (no content is ever buffered or written to disk); the content
 * of the emitted files is then read from B's container (diff-emit.ts) — a second read,
 * chosen over buffering: per file for a few files, else one more archive of B's path.
 * "A few" weighs a request (~50 ms) against the image size, an upper bound of the path's.
 *
 * Consumption: `entries` is lazy (nothing happens until it is iterated). Each entry's
 * content must be read before asking for the next; if it is not, it is drained. Temporary
 * containers carry `opts.labels` and are removed when iteration ends, fails or is
 * abandoned (`return()`), and as soon as `opts.signal` aborts. `fastPath` settles once the
 * way is chosen, `deletions` once the plan is known (both before `entries` ends); both
 * reject if `entries` fails, and stay pending if it is never iterated.
 */
import type { Engine, ImageInfo } from '../docker/engine.js';
import type { DiffResult, MountReadOptions, RawEntry } from './types.js';
import { planFromArchives, archiveMetas, type ArchiveSource, type Plan } from './diff-archive.js';
import { finalize, emitPlan } from './diff-emit.js';
import { applyLayers, checkAbove, planFast } from './diff-fast.js';
import { FastPathUnavailable, readExtraLayers, type LayerOp } from './diff-layers.js';
import { DiffError, newStats, normalizeMountPath, type DiffStats } from './diff-tar.js';

export { DiffError } from './diff-tar.js';
export type { DiffStats } from './diff-tar.js';

/**
 * One archive request costs about as much as reading this many more bytes of an archive
 * (Engine 20.10 here: ~50 ms per request, which mounts the container; ~270 MB/s).
 */
const REQUEST_BYTES = 16 * 2 ** 20;

/** Internal knobs, for tests and the benchmark (see `withTuning`). */
export interface DiffTuning {
  /** 'fallback' never tries the fast path. */
  readonly mode?: 'auto' | 'fallback';
  /** Fast path: above this many touched names, read A's whole path once (default: A's size / REQUEST_BYTES). */
  readonly maxQueries?: number;
  /** Above this many files, read content from one archive of B's path (default: B's size / REQUEST_BYTES). */
  readonly maxFileFetches?: number;
  /** Filled in as the diff runs. */
  readonly stats?: DiffStats;
}
const TUNING = Symbol('diff tuning');
export function withTuning(opts: MountReadOptions, tuning: DiffTuning): MountReadOptions {
  return Object.assign({ ...opts }, { [TUNING]: tuning });
}

/** Containers of images, created on first use; all removed by `removeAll` (also on abort). */
class TempContainers {
  private readonly made = new Map<string, Promise<string>>();
  private readonly removals = new Map<string, Promise<void>>();
  private closed = false;
  private readonly onAbort = (): void => void this.removeAll();
  constructor(
    private readonly engine: Engine,
    private readonly opts: MountReadOptions,
    private readonly stats: DiffStats,
  ) {
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }
  /** `slot`: more than one container of an image (archive requests on one are serialized). */
  get(image: string, slot = 0): Promise<string> {
    const key = `${slot} ${image}`;
    let p = this.made.get(key);
    if (p === undefined) {
      this.opts.signal.throwIfAborted();
      if (this.closed) throw new DiffError('the diff is over');
      this.stats.containers++;
      p = this.engine.createContainer(image, this.opts.labels).then(async (id) => {
        if (!this.closed) return id;
        await this.remove(id);
        throw this.opts.signal.reason ?? new DiffError('the diff is over');
      });
      this.made.set(key, p);
    }
    return p;
  }
  private remove(id: string): Promise<void> {
    let r = this.removals.get(id);
    if (r === undefined) this.removals.set(id, (r = this.engine.removeContainer(id)));
    return r;
  }
  /** Resolves to the first removal error, if any. */
  async removeAll(): Promise<unknown> {
    this.closed = true;
    this.opts.signal.removeEventListener('abort', this.onAbort);
    const results = await Promise.allSettled(
      [...this.made.values()].map((p) =>
        p.then(
          (id) => this.remove(id),
          () => undefined,
        ),
      ),
    );
    return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
}

function settleable<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // the caller may only look at `entries`
  return { promise, resolve, reject };
}

export function diffEntries(base: string, head: string, path: string, opts: MountReadOptions): DiffResult {
  const tuning: DiffTuning = (opts as { [TUNING]?: DiffTuning })[TUNING] ?? {};
  const stats = tuning.stats ?? newStats();
  const deletions = settleable<readonly string[]>();
  const fastPath = settleable<boolean>();
  const { engine, signal } = opts;

  async function* run(): AsyncGenerator<RawEntry> {
    const temp = new TempContainers(engine, opts, stats);
    let failed = false;
    try {
      signal.throwIfAborted();
      const mountPath = normalizeMountPath(path);
      const info = async (ref: string): Promise<ImageInfo> => {
        const i = await engine.inspectImage(ref);
        if (i === undefined) throw new DiffError(`no such image: ${ref}`);
        return i;
      };
      const [a, b] = await Promise.all([info(base), info(head)]);
      signal.throwIfAborted();
      const source = async (image: string, slot = 0): Promise<ArchiveSource> => ({ engine, container: await temp.get(image, slot), mountPath, signal, stats });

      const fast = async (): Promise<Plan | undefined> => {
        if (tuning.mode === 'fallback' || a.layers.length > b.layers.length || a.layers.some((l, i) => b.layers[i] !== l)) return undefined;
        if (a.layers.length === b.layers.length) return { entries: [], deletions: [] }; // one filesystem
        try {
          const found = await readExtraLayers(engine, b.id, b.layers, a.layers.length, mountPath, signal, stats);
          const ov = applyLayers(
            b.layers.slice(a.layers.length).map((d): LayerOp[] => found.get(d) ?? []),
            mountPath === '/',
          );
          const deep = mountPath.split('/').length > 2;
          if (ov.state.size === 0 && ov.removed.size === 0 && !deep) return { entries: [], deletions: [] };
          const [sa, sb] = await Promise.all([source(a.id), source(b.id)]);
          await Promise.all([checkAbove(sa), checkAbove(sb)]);
          return await planFast(ov, { a: sa, b: sb, maxQueries: tuning.maxQueries ?? Math.floor(a.size / REQUEST_BYTES) });
        } catch (e) {
          if (e instanceof FastPathUnavailable) return undefined;
          throw e;
        }
      };
      let plan = await fast();
      fastPath.resolve(plan !== undefined);
      if (plan === undefined) {
        const [sa, sb] = await Promise.all([source(a.id), source(b.id)]);
        plan = await planFromArchives(archiveMetas(sa, ''), archiveMetas(sb, ''));
      }
      deletions.resolve(plan.deletions);
      const list = finalize(plan.entries);
      if (list.length > 0) yield* emitPlan(list, await source(b.id), () => source(b.id, 1), tuning.maxFileFetches ?? Math.floor(b.size / REQUEST_BYTES));
    } catch (e) {
      failed = true;
      fastPath.reject(e);
      deletions.reject(e);
      throw e;
    } finally {
      const removal = await temp.removeAll();
      const unfinished = new DiffError('the diff entries were not read to the end');
      fastPath.reject(unfinished);
      deletions.reject(unfinished);
      // A failed clean-up fails the diff, even when the consumer stopped early; thrown only when the try part did not fail, so it hides no error.
      // eslint-disable-next-line no-unsafe-finally, @typescript-eslint/only-throw-error -- the first removal error, as the engine rejected it
      if (removal !== undefined && !failed) throw removal;
    }
  }
  return { entries: run(), deletions: deletions.promise, fastPath: fastPath.promise };
}
