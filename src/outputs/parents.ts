/**
 * The folders between the project root and an output's `to`, checked when the output is
 * written (validation checked them too, but a folder may have been swapped for a symlink
 * since). Every one must be a real folder, never a symlink; missing ones are made one at a
 * time and looked at again after `mkdir` (which a swap could have redirected). The chain
 * (device and inode of each) is checked again before the temporary is made and right
 * before the rename, so that nothing is renamed through a folder that changed.
 */
import { lstatSync, statSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { firstNotAFolder, folderPaths, shownPath as shown, type NotAFolder } from '../core/folders.js';

export interface Folder {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

/** Why `st` cannot be a folder on the way to an output, or undefined when it can. */
function refusal(root: string, path: string, st: Stats): string | undefined {
  if (st.isSymbolicLink()) return notAFolderText(root, { path, kind: 'symlink' });
  if (!st.isDirectory()) return notAFolderText(root, { path, kind: 'not-a-folder' });
  return undefined;
}

const notAFolderText = (root: string, n: NotAFolder): string =>
  n.kind === 'symlink' ? `${shown(root, n.path)} is a symlink; outputs are never written through one` : `${shown(root, n.path)} is not a folder`;

/** Read-only: the first existing folder on the way that is a symlink or no folder. */
export function checkFolders(root: string, to: string): string | undefined {
  const n = firstNotAFolder(root, to);
  return n === undefined ? undefined : notAFolderText(root, n);
}

const lstatOrNull = (p: string): Stats | null => lstatSync(p, { throwIfNoEntry: false }) ?? null;

/** Makes the missing folders on the way to `to`; the chain, or an Error saying which folder is refused. */
export async function makeFolders(root: string, to: string): Promise<Folder[]> {
  const top = statSync(root);
  const chain: Folder[] = [{ path: root, dev: top.dev, ino: top.ino }];
  for (const path of folderPaths(root, to).slice(1)) {
    let st = lstatOrNull(path);
    if (st === null) {
      await mkdir(path).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      });
      st = lstatSync(path);
    }
    const why = refusal(root, path, st);
    if (why) throw new Error(why);
    chain.push({ path, dev: st.dev, ino: st.ino });
  }
  return chain;
}

/** How a folder on the way changed since it was checked, said for the user; undefined when none did. */
export function changedFolder(root: string, chain: readonly Folder[]): string | undefined {
  for (const [i, f] of chain.entries()) {
    const st = i === 0 ? statSync(f.path) : lstatOrNull(f.path);
    const what =
      st === null
        ? 'was removed'
        : st.isSymbolicLink()
          ? 'became a symlink'
          : st.dev !== f.dev || st.ino !== f.ino || !st.isDirectory()
            ? 'was replaced'
            : undefined;
    if (what) return `${shown(root, f.path)} ${what} while the output was written; nothing was written there`;
  }
  return undefined;
}

/** Throws when a folder of the chain is no longer the folder it was (removed, replaced, now a symlink). */
export function verifyFolders(root: string, chain: readonly Folder[]): void {
  const changed = changedFolder(root, chain);
  if (changed !== undefined) throw new Error(changed);
}
