/**
 * Step 4 of an image's build, for an image built now or found up to date: the tags moved
 * to it (only after success), the manifest that `why` and the next run compare against,
 * and the outputs copied to the host (for an up-to-date image, only those `outputs/due.ts`
 * names).
 */
import { baseOf } from '../cache/inputs.js';
import type { Decision, Verdict } from '../cache/freshness.js';
import type { RunIndex } from '../cache/image-index.js';
import { writeManifest } from '../cache/manifest.js';
import type { Failure, ImageOutcome } from '../core/events.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import { TempContainers } from '../mounts/temp-containers.js';
import { copyOutputs } from '../outputs/copy.js';
import { refreshOutputs } from '../outputs/due.js';
import { guarded, outputFailure } from './failure.js';
import { wantsOutputs, type ImageJob } from './job.js';
import { tagsToApply, tagsToMove } from './pins.js';

export async function finishBuilt(
  job: ImageJob,
  decision: Decision,
  imageId: string,
  c: { readonly index: RunIndex; readonly containers: TempContainers },
): Promise<Result<ImageOutcome, Failure>> {
  const { opts, image, signal } = job;
  const { engine, file } = opts;
  const size = await guarded('tagging', async () => {
    // The tags and the inspect are independent: one round trip between two builds instead of several.
    const [info] = await Promise.all([
      engine.inspectImage(imageId),
      ...tagsToApply(file, image, imageId, opts.builder, decision.key).map((tag) => engine.tagImage(imageId, tag)),
    ]);
    // The images built FROM this one read its facts for their keys: the run asks the engine once.
    if (info !== undefined) c.index.baseIds.set(imageId, Promise.resolve(baseOf(info)));
    return ok(info?.size ?? 0);
  });
  if (!size.ok) return size;
  const built: ImageOutcome = { kind: 'built', imageId, durationMs: performance.now() - job.started, size: size.value };
  c.index.built(decision.key, imageId);
  await recordBuild(job, decision, imageId);
  if (!wantsOutputs(job)) return ok(built);
  const copied = await copyOutputs(image, imageId, image.outputs, { engine, signal, containers: c.containers, root: file.root, emit: opts.emit });
  return copied.ok ? ok(built) : err(outputFailure(copied.error, signal));
}

/**
 * An image whose key another image of the run was built for (execute/same-key.ts): it takes
 * that image's ID as if it had built it (its tags and pin, its manifest, all its outputs),
 * reported `same as` that image with the reason it was built.
 */
export async function finishSame(
  job: ImageJob,
  decision: Decision,
  shared: { readonly imageId: string; readonly sameAs: string; readonly why: string },
  index: RunIndex,
): Promise<Result<ImageOutcome, Failure>> {
  const containers = new TempContainers(job.opts.engine, job.tempLabels);
  try {
    const finished = await finishBuilt(job, decision, shared.imageId, { index, containers });
    if (!finished.ok || finished.value.kind !== 'built') return finished;
    const { imageId, size, durationMs } = finished.value;
    return ok({ kind: 'same-as', imageId, size, durationMs, sameAs: shared.sameAs, why: shared.why });
  } finally {
    await containers.close();
  }
}

/** An image whose key the engine has: no context is sent and no build runs; the tags move to it. */
export async function finishUpToDate(
  job: ImageJob,
  decision: Decision,
  verdict: Extract<Verdict, { fresh: true }>,
  index: RunIndex,
): Promise<Result<ImageOutcome, Failure>> {
  const { opts, image, signal } = job;
  const { engine, file } = opts;
  const { imageId } = verdict;
  // An older image reused (a change reverted): it is now the one `why` compares against.
  if (!verdict.inUse) await recordBuild(job, decision, imageId);
  return guarded('engine', async () => {
    const info = verdict.info ?? (await index.inspect(imageId));
    await Promise.all(tagsToMove(file, image, imageId, opts.builder, decision.key, info).map((tag) => engine.tagImage(imageId, tag)));
    if (wantsOutputs(job)) {
      const copied = await refreshOutputs(image, imageId, { engine, signal, labels: job.tempLabels, root: file.root, emit: opts.emit });
      if (!copied.ok) return err(outputFailure(copied.error, signal));
    }
    return ok({ kind: 'up-to-date', imageId, size: info?.size ?? 0 });
  });
}

/**
 * The manifest and key history of the image now in use. A write that fails (a full disk,
 * `.mbuild/state` not writable) is one warning: the image is built and tagged, and the
 * engine's key label still finds it; only this checkout's record of it is missing.
 */
export async function recordBuild(job: ImageJob, decision: Decision, imageId: string): Promise<void> {
  const { image, opts } = job;
  try {
    await writeManifest(opts.file.root, { image: image.name, key: decision.key, imageId, tags: image.tags, inputs: decision.inputs });
  } catch (e) {
    opts.emit({
      type: 'image-warning',
      image: image.name,
      message: `cannot record this build in .mbuild/state (${messageOf(e)}); the next run may build it again`,
    });
  }
}
