/**
 * What the builds of a run need from registries: the docker CLI's credentials (loaded once
 * per session), the registry client (manifest HEAD, manifest copy), the shared cache's
 * repositories, whether `--push` was given, and the cap on pushes at once. The
 * `X-Registry-Auth` header of each registry is asked of the credentials once per session.
 */
import type { SharedCache } from '../config/types.js';
import { err, ok, type Result } from '../core/result.js';
import { authHeader, type Credentials } from '../registry/credentials.js';
import type { RegistryClient } from '../registry/client.js';
import { formatRef, parseImageRef, type ImageRef } from '../registry/reference.js';
import { WorkerPool } from './worker-pool.js';

export class RegistryAccess {
  readonly #auths = new Map<string, Promise<Result<string, string>>>();
  /** Pushes (tags and cache entries) at once, across every image of the session. */
  readonly pushes: WorkerPool;

  constructor(
    readonly credentials: Credentials,
    readonly client: RegistryClient,
    /** The shared cache: `to` stores, `from` (with `to` first) is looked in. */
    readonly cache: SharedCache,
    /** `--push`: every image's tags, not only those of images with `push: true`. */
    readonly pushAll: boolean,
    pushJobs: number,
  ) {
    this.pushes = new WorkerPool(pushJobs);
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
}

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
