/**
 * The tar-writing half of packContext: entries into a TarStream (tar-writer.ts) with
 * backpressure, sha256 of exactly the bytes sent (when someone listens), and the
 * "changed while sent" checks.
 */
import { createHash } from 'node:crypto';
import { open, readlink } from 'node:fs/promises';
import { changedSince, OPEN_FLAGS, openError, readSmallFile } from './small-file.js';
import { CHUNK, encodeHeader, paddingOf, TarStream } from './tar-writer.js';
import { ContextChangedError, decodeName, type WalkEntry } from './walk.js';

/** `hardlink`: another name for a file sent before; `linkTarget` is that file's path in the tar. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink';

/** What was sent for one tar entry; `sha256` is of the content bytes (of no bytes for dirs and links). */
export interface SentEntry {
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly sha256: string;
  readonly linkTarget?: string;
  /** `on-way`: a context folder sent only because something read lies below it (no input of the key). */
  readonly source: 'context' | 'on-way' | 'injected' | 'extra';
}

export { CHUNK };
const TAR_TYPE = { file: 'file', dir: 'directory', symlink: 'symlink', hardlink: 'link' } as const;
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export class Packer {
  entries = 0;
  files = 0;
  bytes = 0;
  /** Contents are hashed only for someone who listens (`onEntry`). */
  readonly #hashing: boolean;
  /** Set by `attach()`: where the bytes go. */
  #out: TarStream | undefined;

  constructor(private readonly onEntry?: (e: SentEntry) => void) {
    this.#hashing = onEntry !== undefined;
  }

  /** The Readable of this packer's tar; `start` runs on its first read. */
  attach(start: () => void): TarStream {
    this.#out = new TarStream(start);
    return this.#out;
  }

  get #stream(): TarStream {
    if (this.#out === undefined) throw new Error('Internal error: Packer used before attach()');
    return this.#out;
  }

  async #header(path: string, type: EntryType, mode: number, size: number, mtime: Date, linkTarget?: string): Promise<void> {
    const blocks = encodeHeader({ name: path, type: TAR_TYPE[type], mode, size, mtime, ...(linkTarget !== undefined && { linkname: linkTarget }) });
    for (const b of blocks) await this.#stream.write(b);
  }

  #report(e: Omit<SentEntry, 'mode'> & { mode: number }): void {
    this.entries++;
    if (e.type === 'file') {
      this.files++;
      this.bytes += e.size;
    }
    this.onEntry?.({ ...e, mode: e.mode & 0o7777 });
  }

  async addVoid(path: string, type: 'dir' | 'symlink' | 'hardlink', mode: number, mtime: Date, source: SentEntry['source'], linkTarget?: string) {
    await this.#header(path, type, mode, 0, mtime, linkTarget);
    this.#report({ path, type, mode, size: 0, mtime, sha256: EMPTY_SHA256, source, ...(linkTarget !== undefined ? { linkTarget } : {}) });
  }

  /** A file from memory or from a stream of exactly `size` bytes. */
  async addBytes(path: string, mode: number, mtime: Date, source: SentEntry['source'], size: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    await this.#header(path, 'file', mode, size, mtime);
    const hash = this.#hashing ? createHash('sha256') : null;
    let sent = 0;
    for await (const c of chunks) {
      sent += c.byteLength;
      if (sent > size) throw new Error(`extra entry ${path}: more than the declared ${size} bytes`);
      hash?.update(c);
      await this.#stream.write(c);
    }
    if (sent !== size) throw new Error(`entry ${path}: ${sent} bytes instead of the declared ${size}`);
    await this.#stream.write(paddingOf(size));
    this.#report({ path, type: 'file', mode, size, mtime, sha256: hash?.digest('hex') ?? '', source });
  }

  /**
   * A context file: exactly the size fstat reported, then a check that nothing changed
   * meanwhile. A small file is read whole, synchronously (small-file.ts).
   */
  async addFile(e: WalkEntry): Promise<void> {
    const small = readSmallFile(e);
    if (small !== undefined) {
      const { before, data } = small;
      const mtime = new Date(Number(before.mtimeMs));
      await this.#header(e.rel, 'file', Number(before.mode), data.byteLength, mtime);
      await this.#stream.write(data);
      await this.#stream.write(paddingOf(data.byteLength));
      const sha256 = this.#hashing ? createHash('sha256').update(data).digest('hex') : '';
      this.#report({ path: e.rel, type: 'file', mode: Number(before.mode), size: data.byteLength, mtime, sha256, source: 'context' });
      return;
    }
    const fh = await open(e.abs, OPEN_FLAGS).catch((x: unknown) => {
      throw openError(e, x);
    });
    try {
      const before = await fh.stat({ bigint: true });
      if (!before.isFile()) throw new ContextChangedError(e.rel, 'no longer a regular file');
      const size = Number(before.size);
      const mtime = new Date(Number(before.mtimeMs));
      await this.#header(e.rel, 'file', Number(before.mode), size, mtime);
      const hash = this.#hashing ? createHash('sha256') : null;
      for (let pos = 0; pos < size;) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new ContextChangedError(e.rel, 'file shrank');
        const chunk = buf.subarray(0, bytesRead);
        hash?.update(chunk);
        pos += bytesRead;
        await this.#stream.write(chunk);
      }
      if (changedSince(before, await fh.stat({ bigint: true }))) throw new ContextChangedError(e.rel, 'file was modified');
      await this.#stream.write(paddingOf(size));
      this.#report({ path: e.rel, type: 'file', mode: Number(before.mode), size, mtime, sha256: hash?.digest('hex') ?? '', source: 'context' });
    } finally {
      await fh.close();
    }
  }

  async addSymlink(e: WalkEntry, warn: (m: string) => void): Promise<void> {
    const raw = await readlink(e.abs, { encoding: 'buffer' }).catch(() => {
      throw new ContextChangedError(e.rel, 'symlink vanished');
    });
    const target = decodeName(raw);
    if (target === null) {
      warn(`skipping symlink ${e.rel}: target is not valid UTF-8`);
      return;
    }
    await this.addVoid(e.rel, 'symlink', e.stats.mode, e.stats.mtime, 'context', target);
  }
}
