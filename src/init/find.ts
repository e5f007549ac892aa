/**
 * The Dockerfiles of a project, as `mbuild init` scaffolds from them: `Dockerfile`,
 * `*.Dockerfile` and `Dockerfile.*` in every folder below the root except `node_modules`
 * and dot folders (`.git`, `.mbuild`, ...). Regular files only: a symlink is never followed,
 * so every path found is inside the root. Paths are relative, with `/`, in text order.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { byText } from '../core/order.js';

/** Folders never walked into (besides every dot folder). */
const SKIPPED = new Set(['node_modules']);

/** The most folders walked: a scaffold of a huge tree stops there rather than run for minutes. */
export const MAX_FOLDERS = 20_000;

export const isDockerfileName = (name: string): boolean =>
  name === 'Dockerfile' ||
  (name.endsWith('.Dockerfile') && name.length > '.Dockerfile'.length) ||
  (name.startsWith('Dockerfile.') && name.length > 'Dockerfile.'.length);

export interface Found {
  readonly paths: readonly string[];
  /** Folders that could not be read, relative to the root, with the reason. */
  readonly unreadable: readonly string[];
  /** The walk stopped at MAX_FOLDERS. */
  readonly truncated: boolean;
}

export async function findDockerfiles(root: string): Promise<Found> {
  const paths: string[] = [];
  const unreadable: string[] = [];
  const pending = [''];
  let walked = 0;
  while (pending.length > 0 && walked < MAX_FOLDERS) {
    const rel = pending.pop()!;
    walked++;
    const entries = await readdir(join(root, rel), { withFileTypes: true }).catch((e: unknown) => {
      unreadable.push(`${rel === '' ? '.' : rel}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      return [];
    });
    for (const e of entries) {
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIPPED.has(e.name)) pending.push(path);
      else if (e.isFile() && isDockerfileName(e.name)) paths.push(path);
    }
  }
  return { paths: paths.sort(byText), unreadable: unreadable.sort(byText), truncated: pending.length > 0 };
}
