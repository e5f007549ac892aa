/**
 * The outputs of an image that is up to date (not built) which are written again, and why:
 * the last write did not complete (its record is still `pending`: a copy that failed, a
 * full disk, a killed or interrupted run), `to` is missing, or what mbuild wrote there came
 * from another image or another path (an older image reused, an output moved or changed).
 * An output mbuild wrote from this very image is left alone, also if it was edited since.
 * `mbuild why` prints the same reasons.
 */
import { lstatSync } from 'node:fs';
import type { ImageSpec, OutputSpec } from '../config/types.js';
import { ok, type Result } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import type { EmitEvent } from '../core/events.js';
import { TempContainers } from '../mounts/temp-containers.js';
import { copyOutputs, outputShown } from './copy.js';
import { readRecord } from './state.js';

export interface DueOutput {
  readonly output: OutputSpec;
  /** `to` as shown (relative to the project root). */
  readonly to: string;
  readonly reason: string;
}

/** Something is at `path` (a folder on the way that cannot be read counts as nothing: the write then says what is wrong). */
function exists(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function reasonFor(root: string, o: OutputSpec, shown: string, imageId: string): string | undefined {
  const record = readRecord(root, shown);
  if (record?.refused !== undefined) return `it was not written: ${record.refused}`;
  if (record?.status === 'pending') return 'the last write did not complete';
  if (!exists(o.to)) return 'it is missing';
  if (record === undefined) return undefined;
  if (record.imageId !== imageId) return 'it was copied from another image';
  if (record.path !== o.path) return `it was copied from ${record.path}`;
  return undefined;
}

/** Synchronous: a no-op of an image with outputs reads one small record and stats `to` per output. */
export function outputsDue(root: string, image: ImageSpec, imageId: string): DueOutput[] {
  const out: DueOutput[] = [];
  for (const o of image.outputs) {
    const to = outputShown(root, o.to);
    const reason = reasonFor(root, o, to, imageId);
    if (reason !== undefined) out.push({ output: o, to, reason });
  }
  return out;
}

export interface RefreshOptions {
  readonly engine: Engine;
  readonly signal: AbortSignal;
  /** Labels of the temporary containers (mounts/temp-containers.ts). */
  readonly labels: Readonly<Record<string, string>>;
  readonly root: string;
  readonly emit: EmitEvent;
}

/** Writes the outputs of an up-to-date image that are due (none: no container is made). */
export async function refreshOutputs(image: ImageSpec, imageId: string, opts: RefreshOptions): Promise<Result<void, string>> {
  const due = outputsDue(opts.root, image, imageId);
  if (due.length === 0) return ok(undefined);
  const containers = new TempContainers(opts.engine, opts.labels);
  try {
    return await copyOutputs(
      image,
      imageId,
      due.map((d) => d.output),
      { ...opts, containers },
    );
  } finally {
    await containers.close();
  }
}
