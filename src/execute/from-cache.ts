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
import { finishUpToDate, recordBuild } from './finish.js';
import { wantsOutputs, warn, type ImageJob } from './job.js';
import { ownTagCount, tagsToApply } from './pins.js';
import { tagRef, untagCacheRef, type RegistryAccess } from './registry-access.js';
import { fetchHit, isThisImage, lookUp, type CacheHit } from './shared-cache.js';

/** The image's outcome when the shared cache had it; undefined: build it. */
export async function fromSharedCache(job: ImageJob, decision: Decision, index: RunIndex): Promise<Result<ImageOutcome, Failure> | undefined> {
  const access = job.opts.registry;
  if (access === undefined || access.cache.from.length === 0) return undefined;
  if (forcedBuild({ noCache: job.opts.noCache, image: job.image }) !== undefined) return undefined;
  const hit = await lookUp(job, access, decision.key);
  if (hit === undefined) return undefined;
  if (mayStayRemote(job, access, hit)) {
    const remote = await leaveInRegistry(job, access, hit, decision);
    if (remote !== undefined) return ok(remote);
  }
  const fetched = await fetchHit(job, access, hit, decision.key);
  if (!fetched.ok) {
    if (!job.signal.aborted) warn(job, `the shared cache has ${hit.at.text} but it cannot be used (${fetched.error}); building instead`);
    return undefined;
  }
  const info = fetched.value;
  index.built(decision.key, info.id);
  const finished = await finishUpToDate(job, decision, { fresh: true, imageId: info.id, info, inUse: false }, index);
  if (finished.ok) await untagCacheRef(job.opts.engine, hit.at.text, ownTagCount(job.opts.file, job.image, job.opts.builder, decision.key));
  return finished.ok && finished.value.kind === 'up-to-date' ? ok({ ...finished.value, cache: hit.at.text }) : finished;
}

/**
 * `--push` (or `push: true`) and a hit on the registry every tag goes to, with no outputs to
 * write: the tags are copied there from the cache entry, so the engine needs the image only
 * if a build of this run reads it (it is pulled then, execute/registry-access.ts `local`).
 */
function mayStayRemote(job: ImageJob, access: RegistryAccess, hit: CacheHit): boolean {
  if (!(access.pushAll || job.image.push) || wantsOutputs(job) || job.image.tags.length === 0) return false;
  return job.image.tags.every((t) => {
    const target = tagRef(t);
    return target.ok && target.value.ref.registry === hit.at.ref.registry;
  });
}

/** The image's outcome left in the registry, checked by its config's labels; undefined: pull it instead. */
async function leaveInRegistry(job: ImageJob, access: RegistryAccess, hit: CacheHit, decision: Decision): Promise<ImageOutcome | undefined> {
  const config = await access.client.imageConfig(hit.at.ref, job.signal);
  if (!config.ok || config.value === undefined || !isThisImage(job, config.value.labels, decision.key)) return undefined;
  const imageId = config.value.id;
  access.leaveRemote(imageId, { at: hit.at, tags: tagsToApply(job.opts.file, job.image, imageId, job.opts.builder, decision.key) });
  await recordBuild(job, decision, imageId);
  return { kind: 'up-to-date', imageId, size: 0, cache: hit.at.text, remote: true };
}
