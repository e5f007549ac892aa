/**
 * The gate every entry read out of an image passes before it is placed anywhere (a build
 * context for mounts, the host for outputs). Checked after rebasing, in stream order:
 *  - names: no NUL, not absolute, no `..`; `.` and empty segments are dropped;
 *  - every entry sits in a folder of the same transfer (missing folders are made up; an
 *    entry below a file or symlink is refused) and appears once;
 *  - symlinks stay symlinks: a target must be relative and stay inside the transfer, checked
 *    lexically per entry and again, through the other symlinks, once the last entry is read;
 *  - hard links only name a file of the same transfer sent before them;
 *  - fifos, devices and sockets are refused.
 * Refusals are TransferErrors naming the transfer, the entry (as a path in the image) and the target.
 */
import { posix } from 'node:path';
import { labelText, TransferError, type TransferLabel } from './errors.js';
import type { RawEntry } from './types.js';

export interface CheckedEntry {
  /** '' for the transferred path itself, else a clean relative path. */
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink';
  readonly mode: number;
  readonly size: number;
  readonly mtime?: Date;
  /** Symlink: the target as written (relative). Hard link: the clean name of the linked file. */
  readonly linkTarget?: string;
  readonly content?: AsyncIterable<Uint8Array>;
}

export interface CheckOptions {
  readonly label: TransferLabel;
  /** The path in the image that entry '' is, for messages. */
  readonly imagePath: string;
}

type Kind = CheckedEntry['type'];
const MAX_HOPS = 40;

/** Splits a name into clean segments; a string is the reason it is refused. */
export function cleanSegments(name: string): string[] | 'nul' | 'absolute' | 'dotdot' {
  if (name.includes('\0')) return 'nul';
  if (name.startsWith('/')) return 'absolute';
  const segs = name.split('/').filter((s) => s !== '' && s !== '.');
  return segs.includes('..') ? 'dotdot' : segs;
}

/** Lexically resolves a relative symlink target from the folder `dir`; null when it leaves the root. */
export function resolveLexically(dir: readonly string[], target: string): string[] | null {
  const stack = [...dir];
  for (const s of target.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (stack.length === 0) return null;
      stack.pop();
    } else stack.push(s);
  }
  return stack;
}

/**
 * Resolves `target` (of a symlink in folder `dir`) through the transfer's other symlinks,
 * as the kernel would once extracted; false when some step leaves the root. Loops and
 * dangling links do not leave it.
 */
export function staysInside(dir: readonly string[], target: string, links: ReadonlyMap<string, string>): boolean {
  const stack = [...dir];
  const todo = target.split('/').reverse();
  let hops = 0;
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (stack.length === 0) return false;
      stack.pop();
      continue;
    }
    stack.push(s);
    const link = links.get(stack.join('/'));
    if (link === undefined) continue;
    if (link.startsWith('/')) return false;
    if (++hops > MAX_HOPS) return true;
    stack.pop();
    todo.push(...link.split('/').reverse());
  }
  return true;
}

export async function* checkEntries(raw: AsyncIterable<RawEntry>, opts: CheckOptions): AsyncGenerator<CheckedEntry> {
  const where = labelText(opts.label);
  const noun = opts.label.what;
  const inImage = (name: string): string => (name === '' ? opts.imagePath : posix.join(opts.imagePath, name));
  const refuse = (text: string): TransferError => new TransferError(`${where}: ${text}`);
  const kinds = new Map<string, Kind>();
  const links = new Map<string, string>();
  /** Hard link -> the file it names (a link to a link names the same file). */
  const hardlinks = new Map<string, string>();
  let rootKind: Kind | undefined;

  for await (const e of raw) {
    const segs = cleanSegments(e.name);
    if (segs === 'nul') throw refuse('refusing an entry whose name contains a NUL byte');
    if (segs === 'absolute') throw refuse(`refusing entry ${JSON.stringify(e.name)}: absolute names are not allowed`);
    if (segs === 'dotdot') throw refuse(`refusing entry ${JSON.stringify(e.name)}: it leaves the ${noun} through '..'`);
    const name = segs.join('/');
    if (e.type === 'other')
      throw refuse(
        `refusing ${e.kind ?? 'special file'} ${inImage(name)}: only files, folders and symlinks can be ${noun === 'mount' ? 'mounted' : 'copied out'}`,
      );

    if (name === '') {
      if (rootKind !== undefined) throw refuse(`entry ${inImage(name)} appears twice`);
      if (e.type === 'hardlink') throw refuse(`refusing hard link ${inImage(name)}: the ${noun} itself cannot be a hard link`);
      if (e.type === 'symlink') throw refuse(`refusing symlink ${inImage(name)} -> ${e.linkTarget ?? ''}: the ${noun} itself cannot be a symlink`);
      rootKind = e.type;
      yield { ...e, name, type: e.type };
      continue;
    }
    if (rootKind === undefined) {
      rootKind = 'dir';
      yield { name: '', type: 'dir', mode: 0o755, size: 0 };
    }
    if (rootKind !== 'dir') throw refuse(`refusing entry ${inImage(name)}: ${opts.imagePath} is not a folder`);

    // Its folders: made up when missing, never a file or a symlink.
    for (let i = 1; i < segs.length; i++) {
      const parent = segs.slice(0, i).join('/');
      const k = kinds.get(parent);
      if (k === undefined) {
        kinds.set(parent, 'dir');
        yield { name: parent, type: 'dir', mode: 0o755, size: 0 };
      } else if (k !== 'dir')
        throw refuse(
          `refusing entry ${inImage(name)}: it is below ${k === 'symlink' ? 'symlink' : k === 'hardlink' ? 'hard link' : 'file'} ${inImage(parent)}`,
        );
    }
    const prior = kinds.get(name);
    if (prior !== undefined) {
      if (prior === 'dir' && e.type === 'dir') continue;
      throw refuse(`entry ${inImage(name)} appears twice`);
    }

    if (e.type === 'symlink') {
      const target = e.linkTarget ?? '';
      if (target === '' || target.includes('\0')) throw refuse(`refusing symlink ${inImage(name)}: its target is empty or not a valid path`);
      if (target.startsWith('/'))
        throw refuse(`refusing symlink ${inImage(name)} -> ${target}: absolute symlink targets are not allowed (only relative targets inside the ${noun})`);
      if (resolveLexically(segs.slice(0, -1), target) === null) throw refuse(`refusing symlink ${inImage(name)} -> ${target}: the target leaves the ${noun}`);
      links.set(name, target);
      kinds.set(name, 'symlink');
      yield { name, type: 'symlink', mode: e.mode, size: 0, ...(e.mtime && { mtime: e.mtime }), linkTarget: target };
    } else if (e.type === 'hardlink') {
      const raw = e.linkTarget ?? '';
      const t = cleanSegments(raw);
      const shownTarget = raw.startsWith('/') || raw.includes('\0') ? JSON.stringify(raw) : posix.join(opts.imagePath, raw);
      if (typeof t === 'string' || t.length === 0) throw refuse(`refusing hard link ${inImage(name)} -> ${shownTarget}: it points outside the ${noun}`);
      let targetName = t.join('/');
      targetName = hardlinks.get(targetName) ?? targetName;
      if (kinds.get(targetName) !== 'file')
        throw refuse(`refusing hard link ${inImage(name)} -> ${shownTarget}: hard links may only point to a file of the same ${noun} sent before them`);
      kinds.set(name, 'hardlink');
      hardlinks.set(name, targetName);
      yield { name, type: 'hardlink', mode: e.mode, size: 0, ...(e.mtime && { mtime: e.mtime }), linkTarget: targetName };
    } else {
      kinds.set(name, e.type);
      yield { ...e, name, type: e.type };
    }
  }

  // Each symlink stayed inside on its own; now through each other (e.g. `b -> .` and `a -> b/..`).
  for (const [name, target] of links) {
    if (!staysInside(name.split('/').slice(0, -1), target, links)) {
      throw refuse(`refusing symlink ${inImage(name)} -> ${target}: through other symlinks, the target leaves the ${noun}`);
    }
  }
}
