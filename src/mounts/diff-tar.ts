/**
 * Shared pieces of the diff mount (see diff.ts): the entry metadata both paths compare
 * (`Meta`, `sameEntry`), the daemon's walk order (`compareWalk`), a streaming tar reader,
 * content hashing, byte counting, names relative to the mounted path, and the paths the
 * engine's container init layer owns (excluded from every diff, see `initOwned`).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { createRequire } from 'node:module';
import type tarStream from 'tar-stream';
import type { TarStreamHeader } from '../context/splice.js';

/** One entry of A or B below the mount path, as compared by both paths. */
export interface Meta {
  /** Relative to the mount path, '/'-separated; '' is the path itself. */
  readonly name: string;
  /** Hard links are resolved: a link is a 'file' with its target's digest and `group`. */
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits, mode & 0o7777. */
  readonly mode: number;
  /** File content size (0 for the others). */
  readonly size: number;
  /** file: sha256 of the content; symlink: its target; other: kind:major:minor; dir: ''. */
  readonly digest: string;
  readonly mtime?: Date;
  readonly kind?: string;
  /** Files only: entries with the same group are one inode (hard links) in that image. */
  readonly group?: string;
}

/** What "changed" compares: type, permission bits, and content/link target/device. */
export function sameEntry(a: Meta, b: Meta): boolean {
  return a.type === b.type && a.mode === b.mode && a.digest === b.digest;
}

export class DiffError extends Error {
  override name = 'DiffError';
}

const enc = new TextEncoder();
/**
 * The order of Go's filepath.Walk, which the daemon's archives follow: component by
 * component, each compared bytewise (so 'a/x' < 'a-b' although '-' < '/').
 */
export function compareWalk(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = Buffer.compare(enc.encode(x[i]), enc.encode(y[i]));
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

export function parentOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i);
}

/** True when `name` is strictly below `dir` ('' is the root of everything). */
export function isBelow(name: string, dir: string): boolean {
  return dir === '' ? name !== '' : name.startsWith(`${dir}/`);
}

export function joinRel(dir: string, name: string): string {
  return dir === '' ? name : name === '' ? dir : `${dir}/${name}`;
}

/** An absolute, normalized mount path ('/' or '/a/b', no trailing slash). */
export function normalizeMountPath(path: string): string {
  if (!path.startsWith('/')) throw new DiffError(`mount path must be absolute: ${JSON.stringify(path)}`);
  const p = posix.normalize(path);
  return p.length > 1 ? p.replace(/\/+$/, '') : '/';
}

export function absOf(mountPath: string, rel: string): string {
  return rel === '' ? mountPath : mountPath === '/' ? `/${rel}` : `${mountPath}/${rel}`;
}

/** Files and dirs the container init layer creates over the image: a container shows its own, not the image's. */
const INIT_OWNED = ['/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/etc/mtab', '/dev/console', '/dev/pts', '/dev/shm', '/proc', '/sys'];
/** Directories whose attributes a container takes from the init layer (they hold init files). */
export const INIT_DIRS: readonly string[] = ['/etc', '/dev'];
export function initOwned(abs: string): boolean {
  return INIT_OWNED.some((p) => abs === p || abs.startsWith(`${p}/`));
}

/** A tar member name without './', leading or trailing slashes ('' for the root). */
export function cleanName(name: string): string {
  const n = posix.normalize(`/${name}`).replace(/\/+$/, '');
  return n.slice(1);
}

export type TarHeader = TarStreamHeader;
export interface TarItem {
  readonly header: TarHeader;
  /** Must be consumed (or drained) before the next item is requested. */
  readonly body: AsyncIterable<Uint8Array>;
}

/** The members of a tar stream, read with backpressure; nothing is buffered beyond one chunk. */
export async function* tarEntries(input: AsyncIterable<Uint8Array>): AsyncGenerator<TarItem> {
  // Loaded when a diff mount is read, not at startup.
  const extract = (createRequire(import.meta.url)('tar-stream') as typeof tarStream).extract();
  void (async () => {
    for await (const chunk of input) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            extract.off('drain', done);
            extract.off('close', done);
            resolve();
          };
          extract.on('drain', done).on('close', done);
        });
      }
    }
    (extract as unknown as { end(): void }).end();
  })().catch((e: unknown) => extract.destroy(e instanceof Error ? e : new Error(String(e))));
  try {
    for await (const entry of extract) yield { header: entry.header, body: entry as AsyncIterable<Uint8Array> };
  } finally {
    extract.destroy();
  }
}

export async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) {
    // drained
  }
}

export async function hashBody(body: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of body) {
    h.update(c);
    size += c.length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

/** Figures for tests and the benchmark. */
export interface DiffStats {
  /** Bytes of export and archive responses consumed. */
  bytesRead: number;
  /** Export and archive requests (not inspect, create, remove). */
  requests: number;
  layersParsed: number;
  layersSkipped: number;
  containers: number;
}
export function newStats(): DiffStats {
  return { bytesRead: 0, requests: 0, layersParsed: 0, layersSkipped: 0, containers: 0 };
}

export async function* counted(input: AsyncIterable<Uint8Array>, stats: DiffStats): AsyncGenerator<Uint8Array> {
  for await (const c of input) {
    stats.bytesRead += c.length;
    yield c;
  }
}

const OTHER_KINDS: Readonly<Record<string, string>> = { fifo: 'fifo', 'character-device': 'character device', 'block-device': 'block device' };

/** Meta from the header alone: a file (or hard link) has no digest yet. */
export function statMeta(h: TarHeader, name: string): Meta {
  const common = { name, mode: h.mode & 0o7777, size: 0, digest: '', mtime: h.mtime };
  if (h.type === 'file' || h.type === 'contiguous-file' || h.type === 'link') return { ...common, type: 'file', size: h.size };
  if (h.type === 'directory') return { ...common, type: 'dir' };
  if (h.type === 'symlink') return { ...common, type: 'symlink', digest: h.linkname ?? '' };
  const kind = OTHER_KINDS[h.type ?? ''] ?? String(h.type);
  return { ...common, type: 'other', kind, digest: `${kind}:${h.devmajor}:${h.devminor}` };
}

/**
 * Meta of a non-link member (file content is hashed, everything else drained), or the
 * target name of a hard link for the caller to resolve.
 */
export async function readMember(h: TarHeader, name: string, body: AsyncIterable<Uint8Array>): Promise<Meta | { readonly linkTo: string }> {
  if (h.type === 'file' || h.type === 'contiguous-file') return { ...statMeta(h, name), ...(await hashBody(body)), group: name };
  await drain(body);
  return h.type === 'link' ? { linkTo: h.linkname ?? '' } : statMeta(h, name);
}
