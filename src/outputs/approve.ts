/**
 * Whether an output may be written over what is at its `to` now: nothing there; what
 * mbuild itself wrote there last (state.ts: the recorded identity, or while a write was
 * pending, the previous output or the temporary that was being renamed in); or, with
 * `replace: true`, anything. Everything else (a file the user put there, mbuild's output
 * edited or replaced since) is refused, with what to do about it. The folders on the way
 * must be real folders (parents.ts).
 */
import type { OutputSpec } from '../config/types.js';
import { err, ok, type Result } from '../core/result.js';
import { identify, isWritten, renamedFrom, unchanged, type OutputIdentity } from './identity.js';
import { checkFolders } from './parents.js';
import { readRecord, type OutputRecord } from './state.js';

export interface Approval {
  /** What is at `to` now (undefined: nothing). */
  readonly current?: OutputIdentity;
  /** `current` is mbuild's own output (or nothing is there). */
  readonly ours: boolean;
}

/** `current` (at `path`) is what the record says mbuild wrote, or was writing. */
export async function mbuildWrote(path: string, current: OutputIdentity, record: OutputRecord | undefined): Promise<boolean> {
  if (record === undefined) return false;
  if (record.written !== undefined && (await isWritten(path, current, record.written))) return true;
  if (record.status !== 'pending') return false;
  return (record.previous !== undefined && unchanged(current, record.previous)) || (record.next !== undefined && renamedFrom(current, record.next));
}

/** `shown`: `to` relative to the project root, as in messages and in the state. */
export async function approve(root: string, o: OutputSpec, shown: string): Promise<Result<Approval, string>> {
  const folders = checkFolders(root, o.to);
  if (folders !== undefined) return err(folders);
  const current = await identify(o.to);
  if (current === undefined) return ok({ ours: true });
  if (await mbuildWrote(o.to, current, readRecord(root, shown))) return ok({ current, ours: true });
  if (o.replace) return ok({ current, ours: false });
  const what = current.kind === 'dir' ? 'a folder' : current.kind === 'symlink' ? 'a symlink' : 'a file';
  return err(`${shown} is ${what} that mbuild did not write (or that changed since); move it away, or set 'replace: true' on the output to replace it`);
}
