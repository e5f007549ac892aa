/**
 * What `up` and `push` need of registries, from the build file and the flags: the shared
 * cache (`cache:`, replaced by `--cache-to`, added to by `--cache-from`), whether every
 * image is pushed (`--push`), and the docker CLI's credentials, read only when something
 * asks for a registry (a run that neither pushes nor caches reads no credentials).
 */
import type { BuildFile, SharedCache } from '../config/types.js';
import { repositoryProblem } from '../config/reference.js';
import { err, ok, type Result } from '../core/result.js';
import { RegistryAccess } from '../execute/registry-access.js';
import { RegistryClient } from '../registry/client.js';
import { loadCredentials, registryConfigHeader } from '../registry/credentials.js';
import { DOCKER_HUB, parseImageRef } from '../registry/reference.js';
import type { CommandFailure } from './failure.js';
import type { CliIo } from './io.js';

export interface RegistryFlags {
  /** `--push`: push every selected image's tags. */
  readonly push?: boolean;
  /** `--push-jobs`: pushes at once (default 4). */
  readonly pushJobs?: number;
  readonly cacheTo?: string;
  readonly cacheFrom?: readonly string[];
}

export interface Registries {
  readonly access?: RegistryAccess;
  /** `X-Registry-Config` for classic builds (undefined when the docker CLI has no credentials), asked for by the first classic build. */
  readonly registryConfig: () => Promise<string | undefined>;
}

const invalid = (message: string): Result<never, CommandFailure> => err({ reason: 'invalid-input', message });

/** The shared cache the flags leave: `--cache-to` replaces `cache.to`; `--cache-from` adds to `from`. */
export function sharedCacheOf(file: BuildFile, flags: RegistryFlags): Result<SharedCache, CommandFailure> {
  for (const [flag, repo] of [
    ...(flags.cacheTo === undefined ? [] : [['--cache-to', flags.cacheTo] as const]),
    ...(flags.cacheFrom ?? []).map((r) => ['--cache-from', r] as const),
  ]) {
    const problem = repositoryProblem(repo);
    if (problem !== undefined) return invalid(`${flag} ${repo}: ${problem}`);
  }
  const to = flags.cacheTo ?? file.cache.to;
  const from = [...new Set([...(to === undefined ? [] : [to]), ...file.cache.from.filter((r) => r !== file.cache.to), ...(flags.cacheFrom ?? [])])];
  return ok({ ...(to !== undefined && { to }), from });
}

export async function registriesFor(io: CliIo, file: BuildFile, images: readonly string[], flags: RegistryFlags): Promise<Result<Registries, CommandFailure>> {
  const cache = sharedCacheOf(file, flags);
  if (!cache.ok) return cache;
  const pushing = flags.push === true || images.some((name) => file.images.get(name)?.push === true);
  const unpushable = pushing ? unpushableTags(file, images, flags.push === true) : [];
  if (unpushable.length > 0) return invalid(unpushable.join('\n'));
  const needed = pushing || cache.value.from.length > 0;
  const credentials = await loadCredentials(io.env);
  // A config.json that cannot be read fails a run that needs a registry; any other run goes on without it.
  if (!credentials.ok) return needed ? invalid(credentials.error) : ok({ registryConfig: () => Promise.resolve(undefined) });
  let config: Promise<string | undefined> | undefined;
  const registryConfig = (): Promise<string | undefined> =>
    (config ??= credentials.value.all().then((all) => (all.ok && Object.keys(all.value).length > 0 ? registryConfigHeader(all.value) : undefined)));
  if (!needed) return ok({ registryConfig });
  const access = new RegistryAccess(credentials.value, new RegistryClient(credentials.value), cache.value, flags.push === true, flags.pushJobs ?? 4);
  return ok({ access, registryConfig });
}

/**
 * Tags a push would send where it cannot go: Docker Hub's namespace of official images
 * (`shop-api:latest`, every default tag, is `docker.io/library/shop-api`). Said before
 * anything is built, so that a run does not end in a registry's "denied".
 */
function unpushableTags(file: BuildFile, images: readonly string[], all: boolean): string[] {
  const out: string[] = [];
  for (const name of images) {
    const image = file.images.get(name);
    if (image === undefined || !(all || image.push)) continue;
    for (const tag of image.tags) {
      const ref = parseImageRef(tag);
      if (ref.ok && ref.value.registry === DOCKER_HUB && ref.value.repository.startsWith('library/')) {
        out.push(
          `image '${name}': tag ${tag} would be pushed to Docker Hub's official images (docker.io/${ref.value.repository}); give it a registry or a namespace, e.g. registry.example.com/${tag}`,
        );
      }
    }
  }
  return out;
}
