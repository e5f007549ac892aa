/**
 * `outputs: [{path, to}]`: after a successful build (and its tags), each `path` of the built
 * image is read through a temporary container (mounts/read.ts), passed through the same
 * entry checks as mounts (mounts/check.ts), and written atomically to `to` (write.ts).
 */
import { relative, sep } from 'node:path';
import type { ImageSpec, OutputSpec } from '../config/types.js';
import type { EmitEvent } from '../core/events.js';
import { err, ok, type Result } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import { checkEntries } from '../mounts/check.js';
import { labelText, TransferError, type TransferLabel } from '../mounts/errors.js';
import { readImagePath } from '../mounts/read.js';
import type { TempContainers } from '../mounts/temp-containers.js';
import { writeOutput } from './write.js';

export interface CopyOptions {
  readonly engine: Engine;
  readonly signal: AbortSignal;
  readonly containers: TempContainers;
  /** The project root: output paths are shown relative to it. */
  readonly root: string;
  readonly emit: EmitEvent;
}

export const outputShown = (root: string, to: string): string => relative(root, to).split(sep).join('/') || '.';

export const outputLabel = (root: string, o: OutputSpec): TransferLabel => ({ what: 'output', source: o.path, to: outputShown(root, o.to) });

/** Copies every output of `image` from `imageId`; the first failure stops and is returned. */
export async function copyOutputs(image: ImageSpec, imageId: string, opts: CopyOptions): Promise<Result<void, string>> {
  for (const o of image.outputs) {
    const label = outputLabel(opts.root, o);
    try {
      const raw = readImagePath(imageId, o.path, {
        engine: opts.engine, signal: opts.signal, labels: opts.containers.labels, containers: opts.containers, label, imageName: image.name,
      });
      const summary = await writeOutput(checkEntries(raw, { label, imagePath: o.path }), o.to, { signal: opts.signal });
      opts.emit({ type: 'image-output', image: image.name, path: o.path, to: label.to, files: summary.files, bytes: summary.bytes });
    } catch (e) {
      if (e instanceof TransferError) return err(e.message);
      if (opts.signal.aborted) return err(`${labelText(label)}: cancelled; the previous output is unchanged`);
      return err(`${labelText(label)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return ok(undefined);
}
