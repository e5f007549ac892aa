/**
 * What the builds of a run need from registries: the docker CLI's credentials (loaded once
 * per session), the registry client (manifest HEAD, manifest copy), the shared cache's
 * repositories, whether `--push` was given, and the cap on pushes at once. The
 * `X-Registry-Auth` header of each registry is asked of the credentials once per session.
 */
import type { SharedCache } from '../config/types.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { err, messageOf, ok, type Result } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import { authHeader, type Credentials } from '../registry/credentials.js';
import type { RegistryClient } from '../registry/client.js';
import { formatRef, parseImageRef, type ImageRef } from '../registry/reference.js';
import { WorkerPool } from './worker-pool.js';

export class RegistryAccess {
  readonly #auths = new Map<string, Promise<Result<string, string>>>();
  /** Pushes (tags and cache entries) at once, across every image of the session. */
  readonly pushes: WorkerPool;
  /** The last push queued per repository: pushes into one repository run one at a time. */
  readonly #repoQueues = new Map<string, Promise<unknown>>();
  /** Cache registries that did not answer: not asked again this session (a black hole costs one timeout, not one per image). */
  readonly unreachable = new Set<string>();
  /** Images stored in the shared cache this session, by image ID: the reference, or undefined when the store failed. */
  readonly #stored = new Map<string, { readonly ref: Promise<string | undefined>; readonly settle: (ref: string | undefined) => void }>();
  /** Images left in the shared cache, by image ID, and their pulls once asked for. */
  readonly #remote = new Map<string, { image: RemoteImage; pulled?: Promise<Result<void, string>> }>();

  constructor(
    readonly credentials: Credentials,
    readonly client: RegistryClient,
    /** The shared cache: `to` stores, `from` (with `to` first) is looked in. */
    readonly cache: SharedCache,
    /** `--push`: every image's tags, not only those of images with `push: true`. */
    readonly pushAll: boolean,
    pushJobs: number,
    /** A pull or push that shows no progress for this long is dropped (0: never); see `stallOf`. */
    readonly stallMs: number = DEFAULT_STALL_MS,
  ) {
    this.pushes = new WorkerPool(pushJobs);
  }

  /** What a pull or push from `registry` is given so that a registry that stops answering fails it (docker/engine.ts `stall`). */
  stallOf(registry: string): { stall?: { ms: number; registry: string } } {
    return this.stallMs > 0 ? { stall: { ms: this.stallMs, registry } } : {};
  }

  /** The `X-Registry-Auth` header for `registry` (host[:port]); an error says why the credentials could not be read. */
  auth(registry: string): Promise<Result<string, string>> {
    let header = this.#auths.get(registry);
    if (header === undefined) {
      header = this.credentials.get(registry).then((r) => (r.ok ? ok(authHeader(r.value)) : r));
      this.#auths.set(registry, header);
    }
    return header;
  }

  /**
   * Runs a push into `repo` once the pushes queued before it into the same repository are
   * done, in a slot of the push cap. A registry may fail two uploads of one layer into one
   * repository at once (distribution 2.8's filesystem storage answers 500), and the second
   * push of a layer is cheap once the first is done.
   */
  push<T>(repo: string, work: () => Promise<T>): Promise<T> {
    const before = this.#repoQueues.get(repo) ?? Promise.resolve();
    const run = before.then(() => this.pushes.run(0, work));
    const settled = run.catch(() => undefined);
    this.#repoQueues.set(repo, settled);
    void settled.then(() => {
      if (this.#repoQueues.get(repo) === settled) this.#repoQueues.delete(repo);
    });
    return run;
  }

  /** The image's entry in the shared cache once its store is over (undefined: not stored, or no store was started). */
  cacheEntry(imageId: string): Promise<string | undefined> {
    return this.#stored.get(imageId)?.ref ?? Promise.resolve(undefined);
  }

  /** A store of the image begins (publish.ts): a move may wait for it. */
  storing(imageId: string): void {
    this.#storeOf(imageId);
  }

  /** The store of an image is over: `ref` holds it, or undefined. The first word counts. */
  stored(imageId: string, ref: string | undefined): void {
    this.#storeOf(imageId).settle(ref);
  }

  #storeOf(imageId: string): { readonly ref: Promise<string | undefined>; readonly settle: (ref: string | undefined) => void } {
    let entry = this.#stored.get(imageId);
    if (entry === undefined) {
      let settle: (ref: string | undefined) => void = () => undefined;
      const ref = new Promise<string | undefined>((resolve) => (settle = resolve));
      entry = { ref, settle };
      this.#stored.set(imageId, entry);
    }
    return entry;
  }

  /** Records an image left in the shared cache. */
  leaveRemote(imageId: string, image: RemoteImage): void {
    this.#remote.set(imageId, { image });
  }

  /** Whether the image is in the shared cache only. */
  isRemote(imageId: string): boolean {
    const entry = this.#remote.get(imageId);
    return entry !== undefined && entry.pulled === undefined;
  }

  /** Pulls (once) and tags an image left in the shared cache; nothing for any other image. */
  local(engine: Engine, imageId: string, signal: AbortSignal): Promise<Result<void, string>> {
    const entry = this.#remote.get(imageId);
    if (entry === undefined) return Promise.resolve(ok(undefined));
    entry.pulled ??= this.#pull(engine, entry.image, signal);
    return entry.pulled;
  }

  async #pull(engine: Engine, image: RemoteImage, signal: AbortSignal): Promise<Result<void, string>> {
    const auth = await this.auth(image.at.ref.registry);
    if (!auth.ok) return auth;
    try {
      await engine.pullImage(image.at.repo, image.at.tag, { auth: auth.value, signal, ...this.stallOf(image.at.ref.registry) });
      for (const tag of image.tags) await engine.tagImage(image.at.text, tag);
      await untagCacheRef(engine, image.at.text, image.tags.length);
      return ok(undefined);
    } catch (e) {
      return err(`cannot pull ${image.at.text}: ${messageOf(e)}`);
    }
  }
}

/**
 * How long a pull or push may show nothing before it is dropped. The engine's own progress
 * lines come every few hundred ms while bytes move; a layer queued behind the engine's other
 * transfers (`Waiting`) says nothing until its turn, so this is minutes, not seconds.
 */
export const DEFAULT_STALL_MS = 120_000;

/** A tag as the engine and the registry want it: the repository (no tag) and the tag, with its registry. */
export interface TagRef {
  readonly ref: ImageRef;
  /** The repository as the engine names it, e.g. `127.0.0.1:5000/team/api`. */
  readonly repo: string;
  readonly tag: string;
  /** `repo:tag`, as printed. */
  readonly text: string;
}

export function tagRef(text: string, tag?: string): Result<TagRef, string> {
  const parsed = parseImageRef(text);
  if (!parsed.ok) return parsed;
  const t = tag ?? parsed.value.tag ?? 'latest';
  if (parsed.value.digest !== undefined) return err(`${text}: a digest reference cannot be pushed`);
  const ref = { ...parsed.value, tag: t };
  const repo = formatRef({ registry: ref.registry, repository: ref.repository });
  return ok({ ref, repo, tag: t, text: `${repo}:${t}` });
}

/** An image of this session left in the shared cache (not pulled); pulled and tagged once a build needs it. */
export interface RemoteImage {
  readonly at: TagRef;
  /** Its tags in the engine once pulled (the build file's, and its BuildKit pin). */
  readonly tags: readonly string[];
}

/**
 * Removes the `<repo>:<key>` tag a pull or a store left in the engine, when the image has
 * other tags (else the tag is what keeps the image). Only a tag goes: the image stays.
 */
export async function untagCacheRef(engine: Engine, ref: string, otherTags: number): Promise<void> {
  if (otherTags === 0) return;
  await engine.removeImage(ref, { noPrune: true }).catch(() => undefined);
}

/** Delays before the second and third try of a push the registry failed with a 5xx or 429. */
const RETRY_DELAYS_MS = [1000, 3000];

/** A registry's answer worth trying again: overloaded or failing for a moment (not 4xx). */
const isTransient = (message: string): boolean => /\b(5\d\d|429)\b|too many requests|service unavailable|bad gateway|gateway time-?out/i.test(message);

/** Runs a push, and again (twice at most, after a pause) while it fails with a transient registry error. */
export async function withRetry<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  for (const delay of RETRY_DELAYS_MS) {
    try {
      return await work();
    } catch (e) {
      if (signal.aborted || !isTransient(messageOf(e))) throw e;
      const interrupted = await sleep(delay, undefined, { signal }).then(
        () => false,
        () => true,
      );
      if (interrupted) throw e;
    }
  }
  return work();
}
