/**
 * What mbuild wrote at each output, in the project's state: `.mbuild/outputs/<id>.json`, one
 * small file per `to` (named by a hash of `to` relative to the project root, so that an
 * output that moves to another image is still recognised). A write first records
 * `pending` (with what was at `to` if it was mbuild's own), then the temporary about to
 * replace it, and `done` with the identity of what it wrote once it is in place. A record
 * still `pending` means the last write did not complete: the output is written again.
 * Records are written atomically; an unreadable one counts as none.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { outputsStateDir } from '../core/layout.js';
import type { OutputIdentity } from './identity.js';

export interface OutputRecord {
  readonly format: 'mbuild-output-1';
  /** The output's `to`, relative to the project root. */
  readonly to: string;
  readonly image: string;
  /** The path in the image it was copied from. */
  readonly path: string;
  readonly imageId: string;
  readonly status: 'pending' | 'done';
  readonly at: string;
  /** done: what mbuild wrote at `to`. */
  readonly written?: OutputIdentity;
  /** pending: what was at `to` when the write started, when it was mbuild's own. */
  readonly previous?: OutputIdentity;
  /** pending: the finished temporary about to be renamed to `to` (its inode, which the rename keeps). */
  readonly next?: OutputIdentity;
  /** pending: why the output was not written (something mbuild did not write is at `to`, a symlink on the way). */
  readonly refused?: string;
}

export type NewRecord = Omit<OutputRecord, 'format' | 'at'>;

/** `.mbuild/outputs/<hash of to>.<ext>`: the record (`json`) or the lock (`lock`) of one output. */
export const outputStatePath = (root: string, to: string, ext: 'json' | 'lock'): string =>
  join(outputsStateDir(root), `${createHash('sha256').update(to).digest('hex').slice(0, 24)}.${ext}`);
const recordPath = (root: string, to: string): string => outputStatePath(root, to, 'json');

/** Synchronous: a few hundred bytes, read on every no-op of an image with outputs. */
export function readRecord(root: string, to: string): OutputRecord | undefined {
  try {
    // What the file holds is checked here: any value, as far as the types know.
    const r = JSON.parse(readFileSync(recordPath(root, to), 'utf8')) as { readonly [K in keyof OutputRecord]?: unknown };
    const valid = r.format === 'mbuild-output-1' && r.to === to && (r.status === 'pending' || r.status === 'done') && typeof r.imageId === 'string';
    return valid ? (r as OutputRecord) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(root: string, record: NewRecord): Promise<void> {
  await mkdir(outputsStateDir(root), { recursive: true });
  await writeFileAtomic(recordPath(root, record.to), JSON.stringify({ format: 'mbuild-output-1', at: new Date().toISOString(), ...record }));
}
