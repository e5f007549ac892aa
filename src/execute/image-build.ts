/**
 * Builds one image, in named steps, each a module that returns a `Result` (its `Failure`
 * ends the image's build):
 *   1 decide   (decide.ts)           the key; whether the engine has the image already, or why not;
 *   2 prepare  (prepare-context.ts)  mounts resolved, labels, the context packed and checked as it is sent;
 *   3 run      (run-build.ts)        the build on the engine, its log and its events;
 *   4 finish   (finish.ts)           tags, the manifest, the outputs (an up-to-date image skips 2 and 3).
 * Between 1 and 2, an image the engine lacks claims its key for the run (same-key.ts): another
 * image of the run that claimed it first is built once for both, this one waits for it and
 * takes its image ID (finish.ts `finishSame`). Then it is looked for in the shared cache
 * (from-cache.ts); once its slot is free, what the build file asks is published (publish.ts:
 * pushes, the cache).
 * The temporary containers of mounts and outputs are removed before the image's outcome is
 * returned, whatever it is.
 */
import type { Decision } from '../cache/freshness.js';
import { ImageIndex, type RunIndex } from '../cache/image-index.js';
import type { Failure, ImageOutcome } from '../core/events.js';
import { tempLabels } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import { SharedReads } from '../mounts/shared-reads.js';
import { TempContainers } from '../mounts/temp-containers.js';
import { decideImage } from './decide.js';
import type { BuildOne, Publish, Slots } from './executor.js';
import { foldId } from '../cache/fold.js';
import { SameKey, type Shared } from './same-key.js';
import { fromSharedCache } from './from-cache.js';
import { publish } from './publish.js';
import { finishBuilt, finishSame, finishUpToDate } from './finish.js';
import { untilAborted, type ImageBuildOptions, type ImageJob, type PreparedContext } from './job.js';
import { buildOnPool, tagEverywhere } from './on-pool.js';
import { fromOtherEngines } from './from-engines.js';
import { prepareContext } from './prepare-context.js';
import { runBuild } from './run-build.js';

export type { BuildCache, ImageBuildOptions } from './job.js';

export const createBuildOne = (opts: ImageBuildOptions): BuildOne => createBuilder(opts).buildOne;

/** One image's build, and (for an image built or up to date) what is published of it once its build slot is free. */
export function createBuilder(opts: ImageBuildOptions): { buildOne: BuildOne; publish: Publish } {
  const labels = tempLabels(opts.runId);
  const index = (opts.images ?? new ImageIndex(opts.engine)).run(opts.file.name, opts.file.root);
  const decided = new Map<string, { job: ImageJob; key: string }>();
  const run: RunContext = { index, sameKey: new SameKey(), reads: new SharedReads([...opts.file.images.values()].flatMap((i) => i.mounts)) };
  const buildOne: BuildOne = async (name, upstream, signal, slots) => {
    const image = opts.file.images.get(name);
    if (image === undefined) throw new Error(`Internal error: unknown image ${name}`);
    const job: ImageJob = { opts, image, upstream, signal, started: performance.now(), tempLabels: labels };
    const built = await buildImage(job, { ...run, slots: slots ?? WHOLE, onKey: (key) => decided.set(name, { job, key }) });
    const outcome = built.ok ? await everywhere(job, built.value) : built;
    if (outcome.ok) return outcome.value;
    // Decided, never built (a failure or Ctrl-C came first): no time, as for an image never decided.
    return { kind: 'failed', failure: outcome.error, durationMs: outcome.error.reason === 'not-started' ? 0 : performance.now() - job.started };
  };
  const publishOne: Publish = async (name, outcome, signal) => {
    const d = decided.get(name);
    if (opts.registry === undefined || d === undefined) return undefined;
    return publish({ ...d.job, signal }, opts.registry, outcome, d.key);
  };
  return { buildOne, publish: publishOne };
}

/** With `--tag-everywhere`, an image built or up to date is tagged on every engine of the pool too. */
async function everywhere(job: ImageJob, outcome: ImageOutcome): Promise<Result<ImageOutcome, Failure>> {
  const pool = job.opts.pool;
  if (pool?.run.o.tagEverywhere !== true || outcome.kind === 'failed' || (outcome.kind === 'up-to-date' && outcome.remote === true)) return ok(outcome);
  const tagged = await tagEverywhere(job, pool, outcome.imageId);
  return tagged.ok ? ok(outcome) : tagged;
}

/** What the images of one run share, and this image's slot and key. */
interface RunContext {
  readonly index: RunIndex;
  readonly sameKey: SameKey;
  /** Mount sources read once for every image of the run that mounts them. */
  readonly reads: SharedReads;
}

interface ImageRun extends RunContext {
  readonly slots: Slots;
  readonly onKey: (key: string) => void;
}

/** Without slots from the executor: the whole build where it is. */
const WHOLE: Slots = { pause: (waiting) => waiting, build: (work) => work() };

async function buildImage(job: ImageJob, run: ImageRun): Promise<Result<ImageOutcome, Failure>> {
  const decided = await decideImage(job, run.index);
  if (!decided.ok) return decided;
  run.onKey(decided.value.key);
  const { verdict } = decided.value;
  const id = foldId(decided.value.key, job.image, job.opts.noCache);
  for (;;) {
    // An image of this run built for this key (found fresh through it, or not) is `same as` that image.
    const held = run.sameKey.held(id, job.image.name);
    if (held === undefined && verdict.fresh) return finishUpToDate(job, decided.value, verdict, run.index);
    const claim = held ?? run.sameKey.claim(id, job.image.name);
    if (claim.first) return buildClaimed(job, decided.value, run, verdict.fresh ? '' : verdict.reasons.join('; '), claim.settle);
    const shared = await run.slots.pause(untilAborted(claim.shared, job.signal));
    if (job.signal.aborted) return err({ reason: 'cancelled' });
    if (shared.kind === 'image') return finishSame(job, decided.value, { ...shared, sameAs: claim.image }, run.index);
    if (shared.kind === 'failed')
      return verdict.fresh ? finishUpToDate(job, decided.value, verdict, run.index) : err({ reason: 'same-as-failed', image: claim.image });
    // Released (cancelled on its own, or left in a registry): claim the key again.
  }
}

/** The build of a key this image claimed; what the others of the key take is settled as soon as it is known. */
async function buildClaimed(
  job: ImageJob,
  decision: Decision,
  run: ImageRun,
  why: string,
  settle: (s: Shared) => void,
): Promise<Result<ImageOutcome, Failure>> {
  try {
    // In a build slot; with a pool of engines, each engine's own slots cap its builds (on-pool.ts): the whole build where it is.
    const slots = job.opts.pool === undefined ? run.slots : WHOLE;
    const outcome =
      (await slots.build(() => buildStale(job, decision, run, why, (imageId) => settle({ kind: 'image', imageId, why })))) ??
      err({ reason: 'not-started' as const });
    settle(sharedOf(outcome, why));
    return outcome;
  } finally {
    settle({ kind: 'released' });
  }
}

function sharedOf(outcome: Result<ImageOutcome, Failure>, why: string): Shared {
  // Cancelled, or never started (a failure elsewhere stopped new builds): another image of the key may still build it.
  if (!outcome.ok)
    return outcome.error.reason === 'cancelled' || outcome.error.reason === 'not-started' ? { kind: 'released' } : { kind: 'failed', failure: outcome.error };
  const o = outcome.value;
  if (o.kind === 'failed' || (o.kind === 'up-to-date' && o.remote === true)) return { kind: 'released' };
  return { kind: 'image', imageId: o.imageId, why };
}

async function buildStale(
  job: ImageJob,
  decision: Decision,
  { index, reads }: RunContext,
  why: string,
  onImage: (imageId: string) => void,
): Promise<Result<ImageOutcome, Failure>> {
  const elsewhere = await fromOtherEngines(job, decision, index);
  if (elsewhere !== undefined) return elsewhere;
  const cached = await fromSharedCache(job, decision, index);
  if (cached !== undefined) return cached;
  const pool = job.opts.pool;
  // With a pool, the row says which engine once one is chosen (on-pool.ts).
  if (pool === undefined) job.opts.emit({ type: 'image-started', image: job.image.name, why });
  const upstream = await upstreamInEngine(job);
  if (!upstream.ok) return upstream;
  const containers = new TempContainers(job.opts.engine, job.tempLabels);
  try {
    const prepare = () => prepareContext(job, decision, containers, reads);
    const built = pool !== undefined ? await buildOnPool(job, decision, why, pool, prepare) : await prepareAndRun(job, prepare);
    if (!built.ok) return built;
    onImage(built.value);
    return await finishBuilt(job, decision, built.value, { index, containers });
  } finally {
    await containers.close();
  }
}

async function prepareAndRun(job: ImageJob, prepare: () => Promise<Result<PreparedContext, Failure>>): Promise<Result<string, Failure>> {
  const prepared = await prepare();
  return prepared.ok ? runBuild(job, prepared.value) : prepared;
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
