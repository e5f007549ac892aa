/**
 * `outputs: [{path, to}]`: each `path` of a built image is read through a temporary
 * container (mounts/read.ts), passed through the same entry checks as mounts
 * (mounts/check.ts), and written atomically to `to` (write.ts). Before anything is written,
 * every output of the image must be allowed to replace what is at its `to` (approve.ts);
 * one refusal and nothing is written. Each write is recorded in the project's state
 * (state.ts): `pending` before it starts, the temporary right before its rename (when `to`
 * is checked again), `done` with what was written once it is in place. Stale temporaries
 * of killed runs next to `to` are removed first.
 */
import type { ImageSpec, OutputSpec } from '../config/types.js';
import type { EmitEvent } from '../core/events.js';
import { shownPath } from '../core/folders.js';
import { STATE_DIR } from '../core/layout.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import { checkEntries } from '../mounts/check.js';
import { labelText, TransferError, type TransferLabel } from '../mounts/errors.js';
import { readImagePath } from '../mounts/read.js';
import type { TempContainers } from '../mounts/temp-containers.js';
import { approve } from './approve.js';
import { identify, type OutputIdentity } from './identity.js';
import { lockOutputs } from './lock.js';
import { removeStaleSiblings } from './siblings.js';
import { writeRecord, type NewRecord } from './state.js';
import { writeOutput } from './write.js';

export interface CopyOptions {
  readonly engine: Engine;
  readonly signal: AbortSignal;
  readonly containers: TempContainers;
  /** The project root: output paths are shown relative to it. */
  readonly root: string;
  readonly emit: EmitEvent;
}

export const outputShown = shownPath;

export const outputLabel = (root: string, o: OutputSpec): TransferLabel => ({ what: 'output', source: o.path, to: outputShown(root, o.to) });

interface Planned {
  readonly output: OutputSpec;
  readonly label: TransferLabel;
  readonly pending: NewRecord;
}

/** Whether each output may be written over what is at its `to`; its pending record says so. */
async function planOutputs(image: ImageSpec, imageId: string, outputs: readonly OutputSpec[], root: string): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const output of outputs) {
    const label = outputLabel(root, output);
    const a = await approve(root, output, label.to).catch((e: unknown) => err(messageOf(e)));
    const previous = a.ok && a.value.ours ? a.value.current : undefined;
    const pending: NewRecord = {
      to: label.to,
      image: image.name,
      path: output.path,
      imageId,
      status: 'pending',
      ...(previous && { previous }),
      ...(!a.ok && { refused: a.error }),
    };
    out.push({ output, label, pending });
  }
  return out;
}

/**
 * Copies `outputs` (some or all of `image`'s) from `imageId`, holding their locks (lock.ts).
 * Each is first recorded as pending (behind its image until written), refused ones too;
 * one refusal and nothing is written. The first failure stops and is returned.
 */
export async function copyOutputs(image: ImageSpec, imageId: string, outputs: readonly OutputSpec[], opts: CopyOptions): Promise<Result<void, string>> {
  const onWait = (message: string): void => opts.emit({ type: 'image-warning', image: image.name, message });
  const locked = await lockOutputs(
    opts.root,
    outputs.map((o) => outputShown(opts.root, o.to)),
    { signal: opts.signal, onWait },
  ).catch((e: unknown) => err(`cannot lock the outputs of image '${image.name}' in ${STATE_DIR}: ${messageOf(e)}`));
  if (!locked.ok) return locked;
  try {
    return await copyLocked(image, imageId, outputs, opts);
  } finally {
    await locked.value();
  }
}

async function copyLocked(image: ImageSpec, imageId: string, outputs: readonly OutputSpec[], opts: CopyOptions): Promise<Result<void, string>> {
  let planned: Planned[];
  let refused: string[];
  try {
    planned = await planOutputs(image, imageId, outputs, opts.root);
    refused = planned.flatMap((p) => (p.pending.refused === undefined ? [] : [`${labelText(p.label)}: ${p.pending.refused}`]));
    for (const p of planned) {
      const why = p.pending.refused ?? (refused.length > 0 ? 'another output of the image was refused' : undefined);
      await writeRecord(opts.root, why === undefined ? p.pending : { ...p.pending, refused: why });
    }
  } catch (e) {
    return err(`cannot record the outputs of image '${image.name}' in ${STATE_DIR}: ${messageOf(e)}; nothing was written`);
  }
  if (refused.length > 0) return err(refused.join('; '));
  for (const p of planned) {
    const copied = await copyOne(p, opts);
    if (!copied.ok) return copied;
  }
  return ok(undefined);
}

/** Right before the rename: records the finished temporary, then decides again what may be replaced at `to` now. */
async function recheck(root: string, o: OutputSpec, pending: NewRecord, tmp: string): Promise<OutputIdentity | undefined> {
  const next = await identify(tmp, { tree: false });
  await writeRecord(root, { ...pending, ...(next && { next }) });
  const again = await approve(root, o, pending.to);
  if (!again.ok) throw new Error(again.error);
  return again.value.current;
}

async function copyOne({ output: o, label, pending }: Planned, opts: CopyOptions): Promise<Result<void, string>> {
  const { root, signal } = opts;
  try {
    await removeStaleSiblings(o.to);
    const raw = readImagePath(pending.imageId, o.path, {
      engine: opts.engine,
      signal,
      labels: opts.containers.labels,
      containers: opts.containers,
      label,
      imageName: pending.image,
    });
    const summary = await writeOutput(checkEntries(raw, { label, imagePath: o.path }), o.to, {
      signal,
      root,
      beforeRename: (tmp) => recheck(root, o, pending, tmp),
    });
    const written = await identify(o.to);
    const { to, image, path, imageId } = pending;
    await writeRecord(root, {
      to,
      image,
      path,
      imageId,
      status: 'done',
      ...(written && { written: { ...written, ...(summary.sha256 && { sha256: summary.sha256 }) } }),
    });
    opts.emit({ type: 'image-output', image: pending.image, path: o.path, to: label.to, files: summary.files, bytes: summary.bytes });
    return ok(undefined);
  } catch (e) {
    if (e instanceof TransferError) return err(e.message);
    if (signal.aborted) return err(`${labelText(label)}: cancelled; the previous output is unchanged`);
    return err(`${labelText(label)}: ${messageOf(e)}`);
  }
}
