/**
 * Writing a state file atomically: into a temporary sibling, then renamed over the target,
 * so a reader sees the old file or the new one, never half of one (the stat cache, the
 * manifests, the YAML cache). The temporary file is gone afterwards whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { link, rename, rm, writeFile } from 'node:fs/promises';

const tempFor = (path: string): string => `${path}.${randomBytes(6).toString('hex')}.tmp`;

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tempFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Creates `path` with `data`, never replacing anything there: written into a temporary
 * sibling, then hard-linked into place (which fails when the name exists, even if it
 * appeared meanwhile) and the sibling removed. Where hard links are refused, the file is
 * created exclusively (`wx`) instead. False: something already has that name.
 */
export async function createFileAtomic(path: string, data: string): Promise<boolean> {
  const tmp = tempFor(path);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw e;
    try {
      await writeFile(path, data, { flag: 'wx' });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}
