/**
 * After an image is built or found up to date: its tags pushed (`push: true`, `--push`) and
 * the image stored in the shared cache (`cache.to`), under the session's push cap, while
 * the images downstream build. Nothing is published for an image that failed or was
 * cancelled. A tag of an image that came from the shared cache is put on the registry by a
 * manifest copy when the registry is the cache's (no layer moves); else the engine pushes it.
 * A push that fails is the image's failure, naming the tag and the registry's message.
 */
import type { ImageSpec } from '../config/types.js';
import type { EmitEvent, Failure, ImageOutcome } from '../core/events.js';
import { isPinOf } from '../core/labels.js';
import { messageOf, ok } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import type { ImageJob } from './job.js';
import { tagRef, withRetry, type RegistryAccess, type TagRef } from './registry-access.js';
import { storeInCache } from './shared-cache.js';

/** Publishes one image; resolves to its failure, or undefined when everything asked for is on the registries. */
export async function publish(job: ImageJob, access: RegistryAccess, outcome: ImageOutcome, key: string): Promise<Failure | undefined> {
  if (outcome.kind === 'failed') return undefined;
  const work: Promise<Failure | undefined>[] = [];
  // An image `same as` another is stored by that one: its labels name that image.
  if (access.cache.to !== undefined && outcome.kind !== 'same-as') {
    const to = tagRef(access.cache.to);
    access.storing(outcome.imageId);
    const storing = access.push(to.ok ? to.value.repo : access.cache.to, () => storeInCache(job, access, key, outcome));
    // Whatever happened: a move waiting for the entry (execute/on-pool.ts) streams instead.
    work.push(storing.finally(() => access.stored(outcome.imageId, undefined)));
  }
  if (access.pushAll || job.image.push) {
    const c: PushContext = { engine: job.opts.engine, emit: job.opts.emit, project: job.opts.file.name, image: job.image, signal: job.signal };
    work.push(pushTags(c, access, outcome));
  }
  const failures = await Promise.all(work);
  return failures.find((f) => f !== undefined);
}

/** An image built or up to date: what may be published. */
export type DoneOutcome = Exclude<ImageOutcome, { kind: 'failed' }>;

/** What pushing an image's tags needs (`up` has it from the image's job; `mbuild push` makes it). */
export interface PushContext {
  readonly engine: Engine;
  readonly emit: EmitEvent;
  readonly project: string;
  readonly image: ImageSpec;
  readonly signal: AbortSignal;
}

/**
 * Pushes every tag of an image under the session's push cap, one at a time per repository;
 * its first failure. `outcome`: this run's (a cache hit is copied on the registry; an image
 * left there is pulled first); undefined: the tags as the engine has them (`mbuild push`).
 */
export async function pushTags(c: PushContext, access: RegistryAccess, outcome: DoneOutcome | undefined): Promise<Failure | undefined> {
  const tags = c.image.tags.filter((t) => !isPinOf(c.project, t));
  const failures = await Promise.all(
    tags.map((tag) => {
      const target = tagRef(tag);
      if (!target.ok) return Promise.resolve(pushFailed(c, tag, target.error));
      return access.push(target.value.repo, () => pushTag(c, access, target.value, outcome));
    }),
  );
  return failures.find((f) => f !== undefined);
}

async function pushTag(c: PushContext, access: RegistryAccess, target: TagRef, outcome: DoneOutcome | undefined): Promise<Failure | undefined> {
  const { emit, engine } = c;
  const image = c.image.name;
  const ref = target.text;
  if (c.signal.aborted) return { reason: 'cancelled' };
  emit({ type: 'push-started', image, ref });
  const copied = outcome?.kind === 'up-to-date' && outcome.cache !== undefined ? await copyFromCache(c, access, outcome.cache, target) : undefined;
  if (copied !== undefined) {
    emit({ type: 'push-done', image, ref, digest: copied, via: 'copy' });
    return undefined;
  }
  const local = outcome === undefined ? ok(undefined) : await access.local(engine, outcome.imageId, c.signal);
  if (!local.ok) return pushFailed(c, ref, local.error);
  const auth = await access.auth(target.ref.registry);
  if (!auth.ok) return pushFailed(c, ref, auth.error);
  try {
    const onProgress = (current: number, total: number): void => emit({ type: 'push-progress', image, ref, current, total });
    const pushed = await withRetry(c.signal, () =>
      engine.pushImage(target.repo, target.tag, { auth: auth.value, signal: c.signal, onProgress, ...access.stallOf(target.ref.registry) }),
    );
    emit({ type: 'push-done', image, ref, digest: pushed.digest, via: 'push' });
    return undefined;
  } catch (e) {
    return pushFailed(c, ref, messageOf(e));
  }
}

/** The digest when the tag was put on the registry by copying the cache entry's manifest; undefined: push it instead. */
async function copyFromCache(c: PushContext, access: RegistryAccess, cacheRef: string, target: TagRef): Promise<string | undefined> {
  const from = tagRef(cacheRef);
  if (!from.ok || from.value.ref.registry !== target.ref.registry) return undefined;
  const copied = await access.client.copy(from.value.ref, target.ref, c.signal);
  return copied.ok ? copied.value.digest : undefined;
}

/** A push that failed, said; `cancelled` when Ctrl-C is why. */
function pushFailed(c: PushContext, ref: string, message: string): Failure {
  if (c.signal.aborted) return { reason: 'cancelled' };
  c.emit({ type: 'push-failed', image: c.image.name, ref, message });
  return { reason: 'push-failed', ref, message };
}
