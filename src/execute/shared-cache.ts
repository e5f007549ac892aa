/**
 * The shared cache (`cache:` in the build file, `--cache-to/--cache-from`): an image is
 * stored in a registry under a tag made of its project, its name and its cache key
 * (core/labels.ts `cacheTag`). Everything that
 * decides the key stays local, so a hit is as sound as a local skip, and the pulled image
 * is checked as a local one is: it must carry this project and this key in its labels.
 *   look up: one manifest HEAD per repository (`to` first, then `from`), no layer moves;
 *   fetch:   pull `<repo>:<key>`, check the labels;
 *   store:   tag the built image `<to>:<key>` and push it.
 * A registry that cannot be asked, or a hit that cannot be pulled, is a warning and the
 * image is built: the cache only ever saves work.
 */
import type { Failure, ImageOutcome } from '../core/events.js';
import { cacheTag, IMAGE_LABEL, KEY_LABEL, PROJECT_LABEL } from '../core/labels.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import type { ImageInfo } from '../docker/engine.js';
import { warn, type ImageJob } from './job.js';
import { ownTagCount } from './pins.js';
import { tagRef, untagCacheRef, withRetry, type RegistryAccess, type TagRef } from './registry-access.js';

export interface CacheHit {
  /** `<repo>:<key>`. */
  readonly at: TagRef;
  readonly digest: string;
}

/** The first repository of the shared cache that has `key`; warnings for those that could not be asked. */
export async function lookUp(job: ImageJob, access: RegistryAccess, key: string): Promise<CacheHit | undefined> {
  for (const repo of access.cache.from) {
    const at = tagRef(repo, cacheTag(job.opts.file.name, job.image.name, key));
    if (!at.ok || access.unreachable.has(at.value.ref.registry)) continue; // load/ reported a bad one; a silent one was said
    const head = await access.client.head(at.value.ref, job.signal);
    if (head.ok && head.value !== undefined) return { at: at.value, digest: head.value.digest };
    if (head.ok || job.signal.aborted) continue;
    if (head.error.kind === 'unreachable') access.unreachable.add(at.value.ref.registry);
    const more = head.error.kind === 'unreachable' ? '; it is not asked again in this run' : '';
    warn(job, `cannot look in the shared cache ${repo}: ${head.error.message}${more}`);
  }
  return undefined;
}

/** Pulls a hit and checks it is this image of this project built from `key`; the reason when it is not usable. */
export async function fetchHit(job: ImageJob, access: RegistryAccess, hit: CacheHit, key: string): Promise<Result<ImageInfo, string>> {
  const { engine } = job.opts;
  const auth = await access.auth(hit.at.ref.registry);
  if (!auth.ok) return err(auth.error);
  try {
    await engine.pullImage(hit.at.repo, hit.at.tag, { auth: auth.value, signal: job.signal, ...access.stallOf(hit.at.ref.registry) });
    const info = await engine.inspectImage(hit.at.text);
    if (info === undefined) return err(`${hit.at.text} is not in the engine after the pull`);
    if (!isThisImage(job, info.labels, key)) return err(`${hit.at.text} is not an image of ${job.opts.file.name}/${job.image.name} built from this key`);
    return ok(info);
  } catch (e) {
    return err(messageOf(e));
  }
}

/**
 * The labels say: this project's image, built from `key` (what a local skip checks too). An
 * entry without mbuild's labels never passes: under that tag could be any image. (Classic
 * builds of a run that stores into the cache keep the labels for this, execute/job.ts bareClassic.)
 */
export const isThisImage = (job: ImageJob, labels: Readonly<Record<string, string>>, key: string): boolean =>
  labels[KEY_LABEL] === key && labels[PROJECT_LABEL] === job.opts.file.name && labels[IMAGE_LABEL] === job.image.name;

/**
 * Stores a built or up-to-date image as `<to>:<key>`, unless the registry has it already: an
 * image that came from another repository of the same registry by a manifest copy, else by a
 * push (an image left in the registry is pulled first). Run under the session's push cap; a
 * failure is a warning, never the image's outcome.
 */
export async function storeInCache(
  job: ImageJob,
  access: RegistryAccess,
  key: string,
  outcome: Exclude<ImageOutcome, { kind: 'failed' }>,
): Promise<Failure | undefined> {
  const to = access.cache.to;
  const at = to === undefined ? undefined : tagRef(to, cacheTag(job.opts.file.name, job.image.name, key));
  if (at === undefined || !at.ok || access.unreachable.has(at.value.ref.registry)) return undefined;
  const head = await access.client.head(at.value.ref, job.signal);
  if (head.ok && head.value !== undefined) {
    access.stored(outcome.imageId, at.value.text);
    return undefined;
  }
  if (!head.ok && head.error.kind === 'unreachable' && !job.signal.aborted) {
    access.unreachable.add(at.value.ref.registry);
    warn(job, `cannot store the image in the shared cache ${to ?? ''}: ${head.error.message}; it is not asked again in this run`);
    return undefined;
  }
  const stored = (digest: string): void => {
    access.stored(outcome.imageId, at.value.text);
    job.opts.emit({ type: 'cache-stored', image: job.image.name, ref: at.value.text, digest });
  };
  const from = outcome.kind === 'up-to-date' && outcome.cache !== undefined ? tagRef(outcome.cache) : undefined;
  if (from?.ok === true) {
    const copied = await access.client.copy(from.value.ref, at.value.ref, job.signal);
    if (copied.ok) {
      stored(copied.value.digest);
      return undefined;
    }
  }
  try {
    const local = await access.local(job.opts.engine, outcome.imageId, job.signal);
    if (!local.ok) throw new Error(local.error);
    // An image built classic by an earlier run without a cache to store into carries its marks as a tag only: no pull would accept it.
    const labels = (await job.opts.engine.inspectImage(outcome.imageId))?.labels ?? {};
    if (!isThisImage(job, labels, key)) {
      warn(
        job,
        `not stored in the shared cache ${to ?? ''}: the image has no labels of mbuild's (built by the classic builder with no cache to store into); build it again with --no-cache to store it`,
      );
      return undefined;
    }
    const auth = await access.auth(at.value.ref.registry);
    if (!auth.ok) throw new Error(auth.error);
    await job.opts.engine.tagImage(outcome.imageId, at.value.text);
    const transfer = { auth: auth.value, signal: job.signal, ...access.stallOf(at.value.ref.registry) };
    const pushed = await withRetry(job.signal, () => job.opts.engine.pushImage(at.value.repo, at.value.tag, transfer));
    await untagCacheRef(job.opts.engine, at.value.text, ownTagCount(job.opts.file, job.image, job.opts.builder, key));
    stored(pushed.digest);
  } catch (e) {
    await untagCacheRef(job.opts.engine, at.value.text, ownTagCount(job.opts.file, job.image, job.opts.builder, key));
    if (job.signal.aborted) return { reason: 'cancelled' };
    warn(job, `cannot store the image in the shared cache ${to ?? ''}: ${messageOf(e)}`);
  }
  return undefined;
}
