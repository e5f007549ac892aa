/**
 * The folders between a root and a path inside it, and the first one of them that is not a
 * real folder (a symlink, or a file): mbuild writes outputs only through real folders.
 */
import { lstatSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** `p` relative to `root` with `/` separators, as messages and the state show it (`.` for the root itself). */
export const shownPath = (root: string, p: string): string => relative(root, p).split(sep).join('/') || '.';

/** The folders from `root` (included) down to the parent of `path`, which is inside `root`. */
export function folderPaths(root: string, path: string): string[] {
  const rel = relative(root, dirname(path));
  const out = [root];
  if (rel === '') return out;
  for (const part of rel.split(sep)) out.push(join(out[out.length - 1]!, part));
  return out;
}

export interface NotAFolder {
  readonly path: string;
  readonly kind: 'symlink' | 'not-a-folder';
}

/** Read-only: the first existing folder below `root` on the way to `path` that is a symlink or no folder. */
export function firstNotAFolder(root: string, path: string): NotAFolder | undefined {
  for (const p of folderPaths(root, path).slice(1)) {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined) return undefined;
    if (st.isSymbolicLink()) return { path: p, kind: 'symlink' };
    if (!st.isDirectory()) return { path: p, kind: 'not-a-folder' };
  }
  return undefined;
}
