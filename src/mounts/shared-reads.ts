/**
 * MOUNT SOURCES READ ONCE PER RUN. One object per run (execute/image-build.ts createBuilder).
 * When the build file mounts the same `from:path` into two images or more, the first reader
 * of (source image ID, path) reads the archive from the engine as today (one temporary
 * container, one `GET .../archive`) and keeps its bytes; the other readers of that ID and
 * path in the run parse the same bytes (no container, no request). Readers that start while
 * it is being read wait for it: the first reader drains the archive at engine speed before
 * its first entry, so the wait is the read itself.
 *
 * Memory is capped: an archive is kept only while it is at most `perSource` bytes and all
 * archives kept (or being read for keeping) at most `total`. Past a cap the first reader
 * goes on streaming what it has and the rest, nothing is kept, and every other reader of
 * that ID and path reads on its own, as today. A kept archive is let go once every reader
 * the build file names has had it and none is still parsing it (images that are up to date
 * never read: their share is let go with the run).
 *
 * Nothing else changes: entry checks (check.ts), rebasing, collisions and their messages
 * happen in each reader, after this. A first read that fails (no such path, an engine error,
 * Ctrl-C) keeps nothing; readers waiting for it then read on their own, and get their own
 * error, named after their own mount. Diff mounts (`A..B`) are not shared: they are several
 * requests whose plan depends on both images (diff.ts), not one archive.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { MountSpec } from '../config/types.js';
import { rawEntriesFromTar, READ_AHEAD, readAhead, readImagePath, type ReadPathOptions } from './read.js';
import type { RawEntry } from './types.js';

export interface ReadCaps {
  /** Largest archive kept (bytes). */
  readonly perSource: number;
  /** All archives kept at once (bytes). */
  readonly total: number;
}
export const DEFAULT_CAPS: ReadCaps = { perSource: 64 * 2 ** 20, total: 256 * 2 ** 20 };

/** What a run's shared reads did, for tests and the benchmark. */
export interface SharedReadStats {
  /** Archives read from the engine by a reader that tried to keep them. */
  kept: number;
  /** Readers served from a kept archive. */
  replays: number;
  /** Archives past a cap (read on their own by each reader). */
  tooBig: number;
  /** Bytes held now, and at most. */
  held: number;
  peak: number;
}

interface Archive {
  readonly chunks: readonly Buffer[];
  readonly bytes: number;
  readonly top: string;
}

type Slot =
  | { readonly kind: 'reading'; readonly ready: Promise<Archive | undefined> }
  | { readonly kind: 'kept'; readonly archive: Archive; left: number; active: number }
  | { readonly kind: 'too-big' };

const normalized = (path: string): string => posix.normalize(path).replace(/(.)\/+$/, '$1');
const specKey = (spec: MountSpec): string => `${spec.from}\0${normalized(spec.path)}`;

export class SharedReads {
  readonly #consumers = new Map<string, number>();
  readonly #slots = new Map<string, Slot>();
  readonly stats: SharedReadStats = { kept: 0, replays: 0, tooBig: 0, held: 0, peak: 0 };

  /** `mounts`: every mount of the build file (diff mounts are ignored). */
  constructor(
    mounts: Iterable<MountSpec>,
    readonly caps: ReadCaps = DEFAULT_CAPS,
  ) {
    for (const m of mounts) if (m.source.kind !== 'diff') this.#consumers.set(specKey(m), (this.#consumers.get(specKey(m)) ?? 0) + 1);
  }

  /** The entries of `spec.path` in `ref` (the source's image ID), as readImagePath gives them. */
  async *read(ref: string, spec: MountSpec, opts: ReadPathOptions): AsyncGenerator<RawEntry> {
    const consumers = this.#consumers.get(specKey(spec)) ?? 1;
    const key = `${ref}\0${normalized(spec.path)}`;
    const slot = consumers < 2 ? ({ kind: 'too-big' } as const) : this.#slots.get(key);
    if (slot === undefined) yield* this.#lead(key, consumers, ref, spec.path, opts);
    else {
      const archive = slot.kind === 'too-big' ? undefined : slot.kind === 'kept' ? slot.archive : await untilAborted(slot.ready, opts.signal);
      if (archive === undefined) yield* readImagePath(ref, spec.path, opts);
      else yield* this.#replay(key, archive, opts.signal);
    }
  }

  /** The first reader: reads from the engine, keeping the archive unless it is past a cap. */
  async *#lead(key: string, consumers: number, ref: string, path: string, opts: ReadPathOptions): AsyncGenerator<RawEntry> {
    let settle!: (a: Archive | undefined) => void;
    this.#slots.set(key, { kind: 'reading', ready: new Promise<Archive | undefined>((resolve) => (settle = resolve)) });
    const outcome: { decided: boolean; kept?: Archive } = { decided: false };
    const decide = (a: Archive | undefined): void => {
      outcome.decided = true;
      if (a) outcome.kept = a;
      if (a === undefined) {
        this.stats.tooBig++;
        this.#slots.set(key, { kind: 'too-big' });
      } else {
        this.stats.kept++;
        this.#slots.set(key, { kind: 'kept', archive: a, left: consumers - 1, active: 1 });
      }
      settle(a);
    };
    try {
      yield* readImagePath(ref, path, opts, (stream, top) => this.#capture(stream, top, decide));
    } finally {
      if (!outcome.decided) {
        this.#slots.delete(key);
        settle(undefined);
      } else if (outcome.kept) this.#done(key, outcome.kept);
    }
  }

  /** The archive's chunks: all of them read first (kept, `decide(archive)`), or, past a cap, `decide(undefined)` and streamed on. */
  async *#capture(stream: Readable, top: string, decide: (a: Archive | undefined) => void): AsyncGenerator<Buffer> {
    const it = readAhead(stream, READ_AHEAD)[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      let r = await it.next();
      for (; r.done !== true; r = await it.next()) {
        chunks.push(r.value);
        bytes += r.value.byteLength;
        this.#hold(r.value.byteLength);
        if (bytes > this.caps.perSource || this.stats.held > this.caps.total) break;
      }
      if (r.done === true) {
        decide({ chunks, bytes, top });
        bytes = 0; // held by the slot now
        for (const c of chunks) yield c;
        return;
      }
      this.#hold(-bytes);
      bytes = 0;
      decide(undefined);
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks[i]!;
        chunks[i] = EMPTY; // let go of what the reader is past
        yield c;
      }
      for (r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
    } finally {
      this.#hold(-bytes); // failed while reading: nothing kept
      await it.return(undefined);
    }
  }

  async *#replay(key: string, archive: Archive, signal: AbortSignal): AsyncGenerator<RawEntry> {
    const slot = this.#slots.get(key);
    const mine = slot?.kind === 'kept' && slot.archive === archive ? slot : undefined;
    if (mine) {
      mine.left--;
      mine.active++;
    }
    this.stats.replays++;
    try {
      yield* rawEntriesFromTar(chunksOf(archive, signal), archive.top);
    } finally {
      if (mine) this.#done(key, archive);
    }
  }

  /** One reader of a kept archive is over; the last one the build file names lets it go. */
  #done(key: string, archive: Archive): void {
    const slot = this.#slots.get(key);
    if (slot?.kind !== 'kept' || slot.archive !== archive) return;
    slot.active--;
    if (slot.left <= 0 && slot.active <= 0) {
      this.#slots.delete(key);
      this.#hold(-archive.bytes);
    }
  }

  #hold(bytes: number): void {
    this.stats.held += bytes;
    this.stats.peak = Math.max(this.stats.peak, this.stats.held);
  }
}

const EMPTY = Buffer.alloc(0);

async function* chunksOf(archive: Archive, signal: AbortSignal): AsyncGenerator<Buffer> {
  for (const c of archive.chunks) {
    signal.throwIfAborted();
    yield c;
  }
}

/** `waiting`, or the signal's reason thrown once it aborts. */
function untilAborted<T>(waiting: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void waiting.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    });
  });
}
