/**
 * Writes checked entries (mounts/check.ts) to one host path, atomically: everything goes
 * into a fresh temporary sibling `<to>.mbuild-tmp-<pid>-<random>`, which then replaces `to`
 * by rename. A failed or cancelled copy removes the temporary and leaves the previous output
 * as it was. Nothing is written outside the temporary: the folders from the project root
 * down to `to` are real folders, never symlinks, checked again before the temporary is made
 * and right before the rename (parents.ts); every parent inside the temporary is a folder
 * this writer made itself (the temporary's own inode is checked before each entry); files
 * are opened O_EXCL|O_NOFOLLOW; symlinks are created as symlinks (check.ts only lets through
 * relative targets that stay inside). Right before the rename the caller says what may be
 * replaced at `to` (`beforeRename`); anything else found there then is refused.
 * Permission bits are kept (setuid, setgid and sticky are dropped); mtimes are kept.
 */
import { createHash } from 'node:crypto';
import { constants as fsc, lstatSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rename, symlink, unlink, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CheckedEntry } from '../mounts/check.js';
import { nodeOf, sameNode, type OutputIdentity } from './identity.js';
import { changedFolder, makeFolders, verifyFolders, type Folder } from './parents.js';
import { removeTree, siblingPath } from './siblings.js';

export interface WriteOptions {
  readonly signal: AbortSignal;
  /** The project root: the folders from it down to `to` are checked. */
  readonly root: string;
  /**
   * Called with the finished temporary right before it replaces `to`: records it, and
   * returns what may be replaced at `to` now (undefined: nothing may be there), or throws.
   */
  readonly beforeRename: (tmp: string) => Promise<OutputIdentity | undefined>;
}

export interface WriteSummary {
  readonly kind: 'file' | 'dir';
  readonly files: number;
  readonly bytes: number;
  /** A single-file output: the SHA-256 of its bytes. */
  readonly sha256?: string;
}

const aborted = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('cancelled'));

async function writeFile(path: string, e: CheckedEntry, signal: AbortSignal, root?: Temp): Promise<number> {
  const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  root?.made();
  const hash = root?.hash;
  let n = 0;
  try {
    for await (const chunk of e.content ?? []) {
      if (signal.aborted) throw aborted(signal);
      hash?.update(chunk);
      for (let off = 0; off < chunk.byteLength;) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
      n += chunk.byteLength;
    }
    await fh.chmod(e.mode & 0o777);
    if (e.mtime) await fh.utimes(e.mtime, e.mtime);
  } finally {
    await fh.close();
  }
  return n;
}

/** The temporary being written: its folders (relative names, '' is the temporary itself) and its own inode. */
class Temp {
  readonly dirs = new Map<string, { mode: number; mtime?: Date }>();
  node: { dev: number; ino: number } | undefined;
  kind: 'file' | 'dir' | undefined;
  files = 0;
  bytes = 0;
  readonly hash = createHash('sha256');

  constructor(readonly path: string) {}

  /** Records the inode of the temporary just made. */
  made(): void {
    const st = lstatSync(this.path);
    this.node = { dev: st.dev, ino: st.ino };
  }

  /** The temporary is still the one made here (a folder on the way may have been swapped). */
  check(): void {
    const st = lstatSync(this.path, { throwIfNoEntry: false });
    if (st === undefined || this.node === undefined || st.dev !== this.node.dev || st.ino !== this.node.ino || st.isSymbolicLink()) {
      throw new Error('the temporary output was moved or replaced while it was written; nothing was written there');
    }
  }

  /** Removes the temporary, if it is still the one made here. */
  async remove(): Promise<void> {
    if (this.node === undefined) return;
    try {
      this.check();
    } catch {
      return;
    }
    await removeTree(this.path);
  }
}

async function writeRoot(t: Temp, e: CheckedEntry, signal: AbortSignal): Promise<void> {
  if (e.type === 'dir') {
    await mkdir(t.path, { mode: 0o700 });
    t.made();
    t.dirs.set('', { mode: e.mode, ...(e.mtime && { mtime: e.mtime }) });
    t.kind = 'dir';
  } else if (e.type === 'file') {
    t.kind = 'file';
    t.bytes += await writeFile(t.path, e, signal, t);
    t.files++;
  } else throw new Error(`Internal error: an output cannot be a ${e.type}`);
}

async function writeEntry(t: Temp, e: CheckedEntry, signal: AbortSignal): Promise<void> {
  const parent = e.name.includes('/') ? e.name.slice(0, e.name.lastIndexOf('/')) : '';
  if (t.kind !== 'dir' || !t.dirs.has(parent)) throw new Error(`Internal error: ${e.name} arrived before its folder`);
  t.check();
  const path = join(t.path, e.name);
  switch (e.type) {
    case 'dir':
      await mkdir(path, { mode: 0o700 });
      t.dirs.set(e.name, { mode: e.mode, ...(e.mtime && { mtime: e.mtime }) });
      break;
    case 'file':
      t.bytes += await writeFile(path, e, signal);
      t.files++;
      break;
    case 'symlink':
      await symlink(e.linkTarget ?? '', path);
      break;
    case 'hardlink':
      await link(join(t.path, e.linkTarget ?? ''), path);
      break;
  }
}

/** Modes and mtimes of the folders, deepest first, so that a read-only folder is closed only after its contents were written. */
async function closeFolders(t: Temp): Promise<void> {
  for (const [name, d] of [...t.dirs].sort(([a], [b]) => b.length - a.length)) {
    const path = name === '' ? t.path : join(t.path, name);
    await chmod(path, d.mode & 0o777);
    if (d.mtime) await utimes(path, d.mtime, d.mtime);
  }
}

const changed = (to: string): Error => new Error(`something else was put at ${basename(to)} while the output was written; it was left as it is`);

/** A file where nothing may be: a hard link fails if something appeared meanwhile (rename would replace it). */
async function placeNew(tmp: string, to: string, isDir: boolean): Promise<void> {
  if (isDir) return rename(tmp, to);
  try {
    await link(tmp, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw changed(to);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') return rename(tmp, to);
    throw e;
  }
  await unlink(tmp);
}

/**
 * Puts the finished temporary in place of `to`, which must still be `approved` (or nothing);
 * on failure `to` is as before. rename(2) cannot replace a folder (or a file by a folder):
 * the old one is moved aside first, and removed only if it is the node that was approved.
 */
async function place(tmp: string, to: string, approved: OutputIdentity | undefined, isDir: boolean): Promise<void> {
  const now = await lstat(to, { bigint: true }).catch(() => null);
  if (!sameNode(now === null ? undefined : nodeOf(now), approved)) throw changed(to);
  if (now === null) return placeNew(tmp, to, isDir);
  if (!now.isDirectory() && !isDir) return rename(tmp, to);
  const aside = siblingPath(to, 'old');
  await rename(to, aside);
  if (!sameNode(nodeOf(lstatSync(aside, { bigint: true })), approved)) {
    if (lstatSync(to, { throwIfNoEntry: false }) === undefined) await rename(aside, to);
    throw changed(to);
  }
  try {
    await rename(tmp, to);
  } catch (e) {
    await rename(aside, to);
    throw e;
  }
  await removeTree(aside);
}

export async function writeOutput(entries: AsyncIterable<CheckedEntry>, to: string, opts: WriteOptions): Promise<WriteSummary> {
  const chain: Folder[] = await makeFolders(opts.root, to);
  const t = new Temp(siblingPath(to, 'tmp'));
  try {
    for await (const e of entries) {
      if (opts.signal.aborted) throw aborted(opts.signal);
      if (e.name !== '') await writeEntry(t, e, opts.signal);
      else {
        verifyFolders(opts.root, chain);
        await writeRoot(t, e, opts.signal);
      }
    }
    if (t.kind === undefined) throw new Error('the image sent nothing');
    await closeFolders(t);
    if (opts.signal.aborted) throw aborted(opts.signal);
    verifyFolders(opts.root, chain);
    t.check();
    const approved = await opts.beforeRename(t.path);
    verifyFolders(opts.root, chain);
    await place(t.path, to, approved, t.kind === 'dir');
    return { kind: t.kind, files: t.files, bytes: t.bytes, ...(t.kind === 'file' && { sha256: t.hash.digest('hex') }) };
  } catch (e) {
    await t.remove();
    // A folder on the way swapped or removed explains any error of the write (a temporary gone, a path not found).
    const changed = changedFolder(opts.root, chain);
    throw changed === undefined ? e : new Error(changed);
  }
}
