/**
 * Reads one path out of an image as RawEntries, stream to stream: a created, never-started
 * temporary container, `GET /containers/{id}/archive?path=`, and tar-reader.ts. The
 * archive names its top entry after the basename of `path`; names are rebased so that the
 * path itself is '' and its contents are relative to it (NOT validated here: see check.ts).
 * A `path` that is a symlink is followed inside the image (the engine resolves it). The
 * container is removed when the iteration ends, however it ends.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { ArchiveStat } from '../docker/engine.js';
import { labelText, TransferError, type TransferLabel } from './errors.js';
import { readTar } from './tar-reader.js';
import type { TempContainers } from './temp-containers.js';
import type { MountReadOptions, RawEntry } from './types.js';
import { messageOf } from '../core/result.js';

/** Go's os.ModeSymlink in the X-Docker-Container-Path-Stat header. */
const GO_MODE_SYMLINK = 2 ** 27;
const MAX_LINK_HOPS = 8;
/** Bytes of archive buffered ahead of the entry processing. */
export const READ_AHEAD = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export interface ReadPathOptions extends MountReadOptions {
  /** The session that owns the temporary container (removed by it, too, if this reader is abandoned). */
  readonly containers?: TempContainers;
  readonly label: TransferLabel;
  /** How the image is named in errors, e.g. `web (sha256:1234abcd5678)`. */
  readonly imageName?: string;
}

/** `dist/a` -> `a` for the top name `dist`; `/` archives name entries `/app/...`. Outside the top: kept, prefixed with `../`. */
export function rebase(top: string, name: string): string {
  const n = name.length > 1 ? name.replace(/\/+$/, '') : name;
  if (top === '/' || top === '') {
    if (n === '/' || n === '.' || n === './') return '';
    return n.replace(/^\.?\/+/, '');
  }
  if (n === top || n === `./${top}`) return '';
  const rest = n.startsWith(`${top}/`) ? n.slice(top.length + 1) : n.startsWith(`./${top}/`) ? n.slice(top.length + 3) : undefined;
  return rest ?? `../${n}`;
}

/**
 * The chunks of `stream`, read ahead up to `limit` bytes so that the engine keeps producing
 * the archive while entries are processed. Chunks are handed on as they came (a Readable's
 * own buffer would concatenate them).
 */
export async function* readAhead(stream: Readable, limit: number): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let head = 0;
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (c: Buffer): void => {
    queue.push(c);
    queued += c.byteLength;
    if (queued >= limit) stream.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (e: Error): void => {
    failure = e;
    notify();
  };
  const onClose = (): void => {
    if (!ended) failure ??= new Error('the engine closed the archive stream before it ended');
    notify();
  };
  stream.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  try {
    for (;;) {
      if (head < queue.length) {
        const c = queue[head]!;
        queue[head++] = EMPTY;
        if (head > 1024) {
          queue.splice(0, head);
          head = 0;
        }
        queued -= c.byteLength;
        if (stream.isPaused() && queued < limit / 2) stream.resume();
        yield c;
      } else if (failure) throw failure;
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the 'end' listener; TypeScript does not see assignments in callbacks
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    stream.destroy();
  }
}

/** Parses an uncompressed tar stream into RawEntries named relative to `top`. */
export async function* rawEntriesFromTar(input: AsyncIterable<Uint8Array>, top: string): AsyncGenerator<RawEntry> {
  for await (const { header: h, content } of readTar(input)) {
    const common = { name: rebase(top, h.name), mode: h.mode & 0o7777, size: h.size, mtime: h.mtime };
    switch (h.type) {
      case 'file':
        yield { ...common, type: 'file', content };
        break;
      case 'dir':
        yield { ...common, type: 'dir' };
        break;
      case 'symlink':
        yield { ...common, type: 'symlink', linkTarget: h.linkname };
        break;
      case 'hardlink':
        yield { ...common, type: 'hardlink', linkTarget: rebase(top, h.linkname) };
        break;
      default:
        yield { ...common, type: 'other', kind: h.type };
    }
  }
}

/** How the archive's chunks reach the tar reader: by default read ahead up to READ_AHEAD (shared-reads.ts keeps them for other readers). */
export type ArchiveInput = (stream: Readable, top: string) => AsyncIterable<Buffer>;
const readAheadInput: ArchiveInput = (stream) => readAhead(stream, READ_AHEAD);

/** Every entry of `path` in `image`. The image must exist locally. */
export async function* readImagePath(image: string, path: string, opts: ReadPathOptions, input: ArchiveInput = readAheadInput): AsyncGenerator<RawEntry> {
  const where = labelText(opts.label);
  if (!path.startsWith('/')) throw new TransferError(`${where}: the path ${path} in the image must be absolute`);
  const containers = opts.containers;
  let id: string;
  try {
    id = containers ? await containers.create(image) : await opts.engine.createContainer(image, opts.labels);
  } catch (e) {
    if (opts.signal.aborted) throw e;
    throw new TransferError(`${where}: cannot read image ${opts.imageName ?? image}: ${messageOf(e)}`);
  }
  let stream: Readable | undefined;
  try {
    const asked = posix.normalize(path).replace(/(.)\/+$/, '$1');
    let current = asked;
    let stat: ArchiveStat | undefined;
    for (let hop = 0; ; hop++) {
      const got = await opts.engine.getArchive(id, current, opts.signal);
      if (got === undefined) {
        const what = current === asked ? `${path} does not exist` : `${path} is a symlink to ${current}, which does not exist`;
        throw new TransferError(`${where}: ${what} in image ${opts.imageName ?? image}`);
      }
      stream = got.stream;
      stat = got.stat;
      const isLink = Math.floor(stat.mode / GO_MODE_SYMLINK) % 2 === 1;
      if (!isLink || stat.linkTarget === '' || stat.linkTarget === current) break;
      if (hop >= MAX_LINK_HOPS) throw new TransferError(`${where}: too many levels of symlinks at ${path} in image ${opts.imageName ?? image}`);
      stream.destroy();
      current = posix.resolve(posix.dirname(current), stat.linkTarget);
    }
    const top = current === '/' ? '/' : stat.name || posix.basename(current);
    yield* rawEntriesFromTar(input(stream, top), top);
  } finally {
    stream?.destroy();
    if (containers) await containers.remove(id);
    else await opts.engine.removeContainer(id).catch(() => undefined);
  }
}
