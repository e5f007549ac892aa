/**
 * Builds one image, in named steps, each a module that returns a `Result` (its `Failure`
 * ends the image's build):
 *   1 decide   (decide.ts)           the key; whether the engine has the image already, or why not;
 *   2 prepare  (prepare-context.ts)  mounts resolved, labels, the context packed and checked as it is sent;
 *   3 run      (run-build.ts)        the build on the engine, its log and its events;
 *   4 finish   (finish.ts)           tags, the manifest, the outputs (an up-to-date image skips 2 and 3).
 * Between 1 and 2, an image the engine lacks is looked for in the shared cache (from-cache.ts);
 * once its slot is free, what the build file asks is published (publish.ts: pushes, the cache).
 * The temporary containers of mounts and outputs are removed before the image's outcome is
 * returned, whatever it is.
 */
import { ImageIndex, type RunIndex } from '../cache/image-index.js';
import type { Failure, ImageOutcome } from '../core/events.js';
import { tempLabels } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import { TempContainers } from '../mounts/temp-containers.js';
import { decideImage } from './decide.js';
import type { BuildOne, Publish } from './executor.js';
import { fromSharedCache } from './from-cache.js';
import { publish } from './publish.js';
import { finishBuilt, finishUpToDate } from './finish.js';
import type { ImageBuildOptions, ImageJob } from './job.js';
import { prepareContext } from './prepare-context.js';
import { runBuild } from './run-build.js';

export type { BuildCache, ImageBuildOptions } from './job.js';

export const createBuildOne = (opts: ImageBuildOptions): BuildOne => createBuilder(opts).buildOne;

/** One image's build, and (for an image built or up to date) what is published of it once its build slot is free. */
export function createBuilder(opts: ImageBuildOptions): { buildOne: BuildOne; publish: Publish } {
  const labels = tempLabels(opts.runId);
  const index = (opts.images ?? new ImageIndex(opts.engine)).run(opts.file.name, opts.file.root);
  const decided = new Map<string, { job: ImageJob; key: string }>();
  const buildOne: BuildOne = async (name, upstream, signal) => {
    const image = opts.file.images.get(name);
    if (image === undefined) throw new Error(`Internal error: unknown image ${name}`);
    const job: ImageJob = { opts, image, upstream, signal, started: performance.now(), tempLabels: labels };
    const outcome = await buildImage(job, index, (key) => decided.set(name, { job, key }));
    return outcome.ok ? outcome.value : { kind: 'failed', failure: outcome.error, durationMs: performance.now() - job.started };
  };
  const publishOne: Publish = async (name, outcome, signal) => {
    const d = decided.get(name);
    if (opts.registry === undefined || d === undefined) return undefined;
    return publish({ ...d.job, signal }, opts.registry, outcome, d.key);
  };
  return { buildOne, publish: publishOne };
}

async function buildImage(job: ImageJob, index: RunIndex, onKey: (key: string) => void): Promise<Result<ImageOutcome, Failure>> {
  const decided = await decideImage(job, index);
  if (!decided.ok) return decided;
  onKey(decided.value.key);
  const { verdict } = decided.value;
  if (verdict.fresh) return finishUpToDate(job, decided.value, verdict, index);
  const cached = await fromSharedCache(job, decided.value, index);
  if (cached !== undefined) return cached;
  job.opts.emit({ type: 'image-started', image: job.image.name, why: verdict.reasons.join('; ') });
  const upstream = await upstreamInEngine(job);
  if (!upstream.ok) return upstream;
  const containers = new TempContainers(job.opts.engine, job.tempLabels);
  try {
    const prepared = await prepareContext(job, decided.value, containers);
    if (!prepared.ok) return prepared;
    const built = await runBuild(job, prepared.value);
    if (!built.ok) return built;
    return await finishBuilt(job, decided.value, built.value, { index, containers });
  } finally {
    await containers.close();
  }
}

/** The upstream images a build reads, pulled first if the shared cache left them in the registry. */
async function upstreamInEngine(job: ImageJob): Promise<Result<void, Failure>> {
  const access = job.opts.registry;
  if (access === undefined) return ok(undefined);
  for (const [name, id] of job.upstream) {
    const local = await access.local(job.opts.engine, id, job.signal);
    if (!local.ok) return err(job.signal.aborted ? { reason: 'cancelled' } : { reason: 'engine-error', message: `upstream ${name}: ${local.error}` });
  }
  return ok(undefined);
}
