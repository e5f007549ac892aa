/**
 * Writing a state file atomically: into a temporary sibling, then renamed over the target,
 * so a reader sees the old file or the new one, never half of one (the stat cache, the
 * manifests, the YAML cache). The temporary file is gone afterwards whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

const tempFor = (path: string): string => `${path}.${randomBytes(6).toString('hex')}.tmp`;

export async function writeFileAtomic(path: string, data: string): Promise<void> {
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
