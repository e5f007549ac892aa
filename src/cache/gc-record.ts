/**
 * The images this checkout built: `.mbuild/built.json`, the garbage policy's proof that an
 * image is this checkout's to remove. Images carry no checkout identity (a label would change
 * their IDs), and a key history also records images found by key that another checkout of
 * the same project built. The record names the folder it was written in: a copied project
 * folder (another checkout) starts with an empty record. A record that cannot be read is
 * empty (the policy then removes nothing); one that cannot be written is a warning.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../core/atomic-write.js';
import { builtRecordPath, stateDir } from '../core/layout.js';

interface BuiltRecord {
  readonly format: 'mbuild-built-1';
  readonly root: string;
  readonly images: readonly string[];
}

/** The image IDs this checkout (this folder) built. */
export function readBuilt(root: string): Set<string> {
  try {
    const data = JSON.parse(readFileSync(builtRecordPath(root), 'utf8')) as Partial<BuiltRecord> | null;
    if (data?.format !== 'mbuild-built-1' || data.root !== root || !Array.isArray(data.images)) return new Set();
    return new Set(data.images.filter((i): i is string => typeof i === 'string'));
  } catch {
    return new Set();
  }
}

export async function writeBuilt(root: string, images: Iterable<string>): Promise<void> {
  await mkdir(stateDir(root), { recursive: true });
  const record: BuiltRecord = { format: 'mbuild-built-1', root, images: [...images].sort() };
  await writeFileAtomic(builtRecordPath(root), `${JSON.stringify(record)}\n`);
}

/** Adds `ids` to the record; writes nothing when it holds them all. */
export async function recordBuilt(root: string, ids: readonly string[]): Promise<void> {
  const built = readBuilt(root);
  if (ids.every((id) => built.has(id))) return;
  await writeBuilt(root, [...built, ...ids]);
}
