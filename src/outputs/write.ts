/**
 * Writes checked entries (mounts/check.ts) to one host path, atomically: everything goes
 * into a fresh temporary sibling `<to>.mbuild-tmp-<random>`, which then replaces `to` by
 * rename. A failed or cancelled copy removes the temporary and leaves the previous output
 * as it was. Nothing is written outside the temporary: every parent is a folder this
 * writer made itself, files are opened O_EXCL|O_NOFOLLOW, and symlinks are created as
 * symlinks (check.ts only lets through relative targets that stay inside).
 * Permission bits are kept (setuid, setgid and sticky are dropped); mtimes are kept.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rename, rm, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CheckedEntry } from '../mounts/check.js';

export interface WriteOptions {
  readonly signal: AbortSignal;
}

export interface WriteSummary {
  readonly kind: 'file' | 'dir';
  readonly files: number;
  readonly bytes: number;
}

const random = (): string => randomBytes(6).toString('hex');
const aborted = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : new Error('cancelled'));

async function writeFile(path: string, e: CheckedEntry, signal: AbortSignal): Promise<number> {
  const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  let n = 0;
  try {
    for await (const chunk of e.content ?? []) {
      if (signal.aborted) throw aborted(signal);
      for (let off = 0; off < chunk.byteLength; ) {
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

/** Puts the finished temporary in place of `to`; on failure `to` is as before. */
async function replace(tmp: string, to: string, newIsDir: boolean): Promise<void> {
  const old = await lstat(to).catch(() => null);
  if (old === null || (!old.isDirectory() && !newIsDir)) return rename(tmp, to);
  // rename(2) cannot replace a folder (or a file by a folder): move the old one aside first.
  const aside = `${to}.mbuild-old-${random()}`;
  await rename(to, aside);
  try {
    await rename(tmp, to);
  } catch (e) {
    await rename(aside, to);
    throw e;
  }
  await rm(aside, { recursive: true, force: true });
}

export async function writeOutput(entries: AsyncIterable<CheckedEntry>, to: string, opts: WriteOptions): Promise<WriteSummary> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = join(dirname(to), `${basename(to)}.mbuild-tmp-${random()}`);
  /** Folders made here (relative names, '' is the temporary itself), with their final mode and mtime. */
  const dirs = new Map<string, { mode: number; mtime?: Date }>();
  let rootKind: 'file' | 'dir' | undefined;
  let files = 0;
  let bytes = 0;
  try {
    for await (const e of entries) {
      if (opts.signal.aborted) throw aborted(opts.signal);
      if (e.name === '') {
        if (e.type === 'dir') {
          await mkdir(tmp, { mode: 0o700 });
          dirs.set('', { mode: e.mode, ...(e.mtime && { mtime: e.mtime }) });
          rootKind = 'dir';
        } else if (e.type === 'file') {
          bytes += await writeFile(tmp, e, opts.signal);
          files++;
          rootKind = 'file';
        } else throw new Error(`Internal error: an output cannot be a ${e.type}`);
        continue;
      }
      const parent = e.name.includes('/') ? e.name.slice(0, e.name.lastIndexOf('/')) : '';
      if (rootKind !== 'dir' || !dirs.has(parent)) throw new Error(`Internal error: ${e.name} arrived before its folder`);
      const path = join(tmp, e.name);
      switch (e.type) {
        case 'dir':
          await mkdir(path, { mode: 0o700 });
          dirs.set(e.name, { mode: e.mode, ...(e.mtime && { mtime: e.mtime }) });
          break;
        case 'file':
          bytes += await writeFile(path, e, opts.signal);
          files++;
          break;
        case 'symlink':
          await symlink(e.linkTarget ?? '', path);
          break;
        case 'hardlink':
          await link(join(tmp, e.linkTarget ?? ''), path);
          break;
      }
    }
    if (rootKind === undefined) throw new Error('the image sent nothing');
    // Deepest first, so that a read-only folder is closed only after its contents were written.
    for (const [name, d] of [...dirs].sort(([a], [b]) => b.length - a.length)) {
      const path = name === '' ? tmp : join(tmp, name);
      await chmod(path, d.mode & 0o777);
      if (d.mtime) await utimes(path, d.mtime, d.mtime);
    }
    if (opts.signal.aborted) throw aborted(opts.signal);
    await replace(tmp, to, rootKind === 'dir');
    return { kind: rootKind, files, bytes };
  } catch (e) {
    await makeRemovable(tmp, dirs);
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** A folder that became read-only (0o555) cannot be emptied: give the owner write access back. */
async function makeRemovable(tmp: string, dirs: ReadonlyMap<string, unknown>): Promise<void> {
  for (const name of dirs.keys()) await chmod(name === '' ? tmp : join(tmp, name), 0o700).catch(() => undefined);
}
