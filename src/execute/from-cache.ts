/**
 * Between decide and prepare, for an image the engine does not have: the shared cache is
 * asked for its key (execute/shared-cache.ts). A hit is pulled, checked and then finished
 * like a local skip (tags, manifest, outputs), reported `up to date (from cache REF)`. A
 * build no cache may skip (`--no-cache`, `no_cache`, `pull`) does not ask.
 */
import { forcedBuild, type Decision } from '../cache/freshness.js';
import type { RunIndex } from '../cache/image-index.js';
import type { Failure, ImageOutcome } from '../core/events.js';
import { ok, type Result } from '../core/result.js';
import { finishUpToDate } from './finish.js';
import { warn, type ImageJob } from './job.js';
import { fetchHit, lookUp } from './shared-cache.js';

/** The image's outcome when the shared cache had it; undefined: build it. */
export async function fromSharedCache(job: ImageJob, decision: Decision, index: RunIndex): Promise<Result<ImageOutcome, Failure> | undefined> {
  const access = job.opts.registry;
  if (access === undefined || access.cache.from.length === 0) return undefined;
  if (forcedBuild({ noCache: job.opts.noCache, image: job.image }) !== undefined) return undefined;
  const hit = await lookUp(job, access, decision.key);
  if (hit === undefined) return undefined;
  const fetched = await fetchHit(job, access, hit, decision.key);
  if (!fetched.ok) {
    if (!job.signal.aborted) warn(job, `the shared cache has ${hit.at.text} but it cannot be used (${fetched.error}); building instead`);
    return undefined;
  }
  const info = fetched.value;
  index.built(decision.key, info.id);
  const finished = await finishUpToDate(job, decision, { fresh: true, imageId: info.id, info, inUse: false }, index);
  return finished.ok && finished.value.kind === 'up-to-date' ? ok({ ...finished.value, cache: hit.at.text }) : finished;
}
