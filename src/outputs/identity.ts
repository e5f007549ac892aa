/**
 * What is at an output's `to`, in a form that recognises it later: its kind, device and
 * inode, size, mtime and ctime (nanoseconds) and, for a folder, a digest of the same fields
 * of every entry below it. Writing a file's bytes, changing its mode or times, or putting
 * another file in its place changes one of them (ctime moves on every change of an inode),
 * so a later run can tell mbuild's own previous output from anything put there since.
 * A file also records the SHA-256 of its bytes: a file with exactly those bytes (touched,
 * or saved again unchanged) is still mbuild's, since replacing it loses nothing.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { byText } from '../core/order.js';

export interface OutputIdentity {
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  readonly dev: string;
  readonly ino: string;
  readonly size: string;
  readonly mtime: string;
  readonly ctime: string;
  /** Folders: a digest of the stat fields of every entry below. */
  readonly tree?: string;
  /** Files: the SHA-256 of the bytes mbuild wrote. */
  readonly sha256?: string;
}

const kindOf = (st: BigIntStats): OutputIdentity['kind'] => (st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other');

const fields = (st: BigIntStats): string => `${kindOf(st)} ${st.mode} ${st.dev} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;

/** A folder's names; one mbuild cannot read (an output may hold a folder of mode 0) counts as empty: its own stat fields still say when it changes. */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort(byText);
  } catch {
    return [];
  }
}

/** Entries stat-ed between two turns of the event loop (a 100,000-file output takes seconds to stat). */
const YIELD_EVERY = 1024;

/**
 * The digest of every entry below `dir` (walked with an explicit stack, names in code-unit
 * order). Synchronous calls, cheaper than a thread-pool round trip each, with the event loop
 * let through now and then so that other builds and the progress view go on.
 */
export async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const stack: string[] = [''];
  let n = 0;
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const name of namesIn(join(dir, rel))) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, child), { bigint: true });
      hash.update(`${child}\0${fields(st)}\n`);
      if (st.isDirectory()) stack.push(child);
      if (++n % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return hash.digest('hex');
}

/** The identity of what is at `path` now (not following a symlink there), or undefined when nothing is; `tree: false` skips a folder's digest. */
export async function identify(path: string, opts: { tree: boolean } = { tree: true }): Promise<OutputIdentity | undefined> {
  let st: BigIntStats;
  try {
    st = await lstat(path, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const kind = kindOf(st);
  return {
    ...nodeOf(st),
    size: String(st.size),
    mtime: String(st.mtimeNs),
    ctime: String(st.ctimeNs),
    ...(kind === 'dir' && opts.tree && { tree: await treeDigest(path) }),
  };
}

/** An inode and its kind: what a rename keeps. */
export type NodeId = Pick<OutputIdentity, 'kind' | 'dev' | 'ino'>;

export const nodeOf = (st: BigIntStats): NodeId => ({ kind: kindOf(st), dev: String(st.dev), ino: String(st.ino) });

/** The same inode, still of the same kind (or nothing at both). */
export const sameNode = (a: NodeId | undefined, b: NodeId | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.kind === b.kind && a.dev === b.dev && a.ino === b.ino;

/** Nothing about the inode changed: the same node, size, times and (folders) the same entries. */
export const unchanged = (a: OutputIdentity, b: OutputIdentity): boolean =>
  sameNode(a, b) && a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime && a.tree === b.tree;

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `now` (what is at `path`) is what mbuild wrote (`written`), or a file with exactly its bytes. */
export async function isWritten(path: string, now: OutputIdentity, written: OutputIdentity): Promise<boolean> {
  if (unchanged(now, written)) return true;
  if (now.kind !== 'file' || written.kind !== 'file' || written.sha256 === undefined || now.size !== written.size) return false;
  return (await fileSha256(path)) === written.sha256;
}

/** `now` is the node `before` was renamed to: the same inode and (files) the same size and mtime; the rename moved its ctime. */
export const renamedFrom = (now: OutputIdentity, before: OutputIdentity): boolean =>
  sameNode(now, before) && (now.kind !== 'file' || (now.size === before.size && now.mtime === before.mtime));
