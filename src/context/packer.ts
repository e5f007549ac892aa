/**
 * The tar-writing half of packContext: entries into a tar-stream pack with backpressure,
 * sha256 of exactly the bytes sent, the "changed while sent" checks, and the Node Readable
 * that pulls from the pack.
 */
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { ContextChangedError, decodeName, type WalkEntry } from './walk.js';

export type EntryType = 'file' | 'dir' | 'symlink';

/** What was sent for one tar entry; `sha256` is of the content bytes (empty for dirs and symlinks). */
export interface SentEntry {
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly sha256: string;
  readonly linkTarget?: string;
  readonly source: 'context' | 'injected' | 'extra';
}

export const CHUNK = 128 * 1024;
const TYPE_BITS: Record<EntryType, number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000 };
const TAR_TYPE = { file: 'file', dir: 'directory', symlink: 'symlink' } as const;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** The part of a tar-stream entry (a streamx Writable) used here. */
interface Sink {
  write(chunk: Uint8Array): boolean;
  end(): void;
  on(event: 'drain' | 'close', fn: () => void): Sink;
  on(event: 'error', fn: (e: Error) => void): Sink;
  off(event: 'drain' | 'close', fn: () => void): Sink;
  off(event: 'error', fn: (e: Error) => void): Sink;
}

/** Writes one chunk, waiting for 'drain' when the tar stream is full. */
function write(sink: Sink, chunk: Uint8Array): Promise<void> {
  if (sink.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error): void => {
      sink.off('drain', onDrain).off('error', onError).off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(new Error('tar stream closed'));
    sink.on('drain', onDrain).on('error', onError).on('close', onClose);
  });
}

export class Packer {
  readonly pack = tar.pack();
  entries = 0;
  files = 0;
  bytes = 0;
  constructor(private readonly onEntry?: (e: SentEntry) => void) {}

  /** Starts an entry; `finished` settles when tar-stream has accepted the whole entry. */
  #entry(path: string, type: EntryType, mode: number, size: number, mtime: Date, linkTarget?: string) {
    let finished!: Promise<void>;
    const sink = (() => {
      let s: Sink | undefined;
      finished = new Promise<void>((resolve, reject) => {
        s = this.pack.entry(
          {
            name: type === 'dir' ? path + '/' : path,
            type: TAR_TYPE[type],
            // The file-type bits keep tar-stream from replacing a 0 mode by its default.
            mode: TYPE_BITS[type] | (mode & 0o7777),
            size,
            mtime,
            uid: 0,
            gid: 0,
            uname: '',
            gname: '',
            ...(linkTarget !== undefined ? { linkname: linkTarget } : {}),
          },
          (e) => (e ? reject(e) : resolve()),
        ) as unknown as Sink;
      });
      return s!;
    })();
    // Failures surface through the pack (and whoever awaits `finished`); never as unhandled events.
    sink.on('error', () => {});
    finished.catch(() => {});
    return { sink, finished };
  }

  #report(e: Omit<SentEntry, 'mode'> & { mode: number }): void {
    this.entries++;
    if (e.type === 'file') {
      this.files++;
      this.bytes += e.size;
    }
    this.onEntry?.({ ...e, mode: e.mode & 0o7777 });
  }

  async addVoid(path: string, type: 'dir' | 'symlink', mode: number, mtime: Date, source: SentEntry['source'], linkTarget?: string) {
    const { sink, finished } = this.#entry(path, type, mode, 0, mtime, linkTarget);
    sink.end();
    await finished;
    this.#report({ path, type, mode, size: 0, mtime, sha256: EMPTY_SHA256, source, ...(linkTarget !== undefined ? { linkTarget } : {}) });
  }

  /** A file from memory or from a stream of exactly `size` bytes. */
  async addBytes(path: string, mode: number, mtime: Date, source: SentEntry['source'], size: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    const { sink, finished } = this.#entry(path, 'file', mode, size, mtime);
    const hash = createHash('sha256');
    let sent = 0;
    for await (const c of chunks) {
      sent += c.byteLength;
      if (sent > size) throw new Error(`extra entry ${path}: more than the declared ${size} bytes`);
      hash.update(c);
      await write(sink, c);
    }
    if (sent !== size) throw new Error(`entry ${path}: ${sent} bytes instead of the declared ${size}`);
    sink.end();
    await finished;
    this.#report({ path, type: 'file', mode, size, mtime, sha256: hash.digest('hex'), source });
  }

  /** A context file: exactly the size fstat reported, then a check that nothing changed meanwhile. */
  async addFile(e: WalkEntry): Promise<void> {
    const fh = await open(e.abs, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK).catch((x: unknown) => {
      const code = (x as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ELOOP') throw new ContextChangedError(e.rel, 'file vanished or was replaced');
      throw new Error(`cannot open ${e.rel}: ${(x as Error).message}`);
    });
    try {
      const before = await fh.stat({ bigint: true });
      if (!before.isFile()) throw new ContextChangedError(e.rel, 'no longer a regular file');
      const size = Number(before.size);
      const mtime = new Date(Number(before.mtimeMs));
      const { sink, finished } = this.#entry(e.rel, 'file', Number(before.mode), size, mtime);
      const hash = createHash('sha256');
      for (let pos = 0; pos < size; ) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new ContextChangedError(e.rel, 'file shrank');
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        pos += bytesRead;
        await write(sink, chunk);
      }
      const after = await fh.stat({ bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs) {
        throw new ContextChangedError(e.rel, 'file was modified');
      }
      sink.end();
      await finished;
      this.#report({ path: e.rel, type: 'file', mode: Number(before.mode), size, mtime, sha256: hash.digest('hex'), source: 'context' });
    } finally {
      await fh.close();
    }
  }

  async addSymlink(e: WalkEntry, warn: (m: string) => void): Promise<void> {
    const raw = await readlink(e.abs, { encoding: 'buffer' }).catch(() => {
      throw new ContextChangedError(e.rel, 'symlink vanished');
    });
    const target = decodeName(raw);
    if (target === null) return warn(`skipping symlink ${e.rel}: target is not valid UTF-8`);
    await this.addVoid(e.rel, 'symlink', e.stats.mode, e.stats.mtime, 'context', target);
  }
}

/** A Node Readable over the tar-stream pack; starts the producer on the first read. */
export class TarReadable extends Readable {
  readonly #iter: AsyncIterator<Buffer>;
  #start: (() => void) | null;
  constructor(
    private readonly pack: tar.Pack,
    start: () => void,
  ) {
    super({ highWaterMark: CHUNK });
    this.#iter = (pack as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    this.#start = start;
  }
  override _read(): void {
    const start = this.#start;
    this.#start = null;
    start?.();
    this.#iter.next().then(
      (r) => void this.push(r.done ? null : r.value),
      (e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  }
  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    // The consumer gave up (or the producer failed): stop the producer too.
    this.pack.destroy(error ?? new Error('context stream destroyed'));
    cb(error);
  }
}

