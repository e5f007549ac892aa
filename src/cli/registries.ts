/**
 * What `up` and `push` need of registries, from the build file and the flags: the shared
 * cache (`cache:`, replaced by `--cache-to`, added to by `--cache-from`), whether every
 * image is pushed (`--push`), and the docker CLI's credentials, read only when something
 * asks for a registry (a run that neither pushes nor caches reads no credentials).
 */
import type { BuildFile, SharedCache } from '../config/types.js';
import { officialImageRepository, repositoryProblem } from '../config/reference.js';
import { err, ok, type Result } from '../core/result.js';
import { RegistryAccess } from '../execute/registry-access.js';
import { RegistryClient } from '../registry/client.js';
import { loadCredentials, registryConfigHeader, type Credentials } from '../registry/credentials.js';
import type { LoginLookup } from '../session/services.js';
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
  /** The login for a registry host, for BuildKit sessions' Auth service: credentials read on first ask. */
  readonly login: LoginLookup;
}

/** Logins from the docker CLI's credentials, read once, on the first ask (a run whose builds pull nothing private reads none). */
export function loginLookup(env: CliIo['env'], loaded?: Credentials): LoginLookup {
  let credentials: Promise<Credentials | undefined> | undefined = loaded && Promise.resolve(loaded);
  return async (host) => {
    credentials ??= loadCredentials(env).then((c) => (c.ok ? c.value : undefined));
    const found = await (await credentials)?.get(host);
    return found?.ok ? found.value : undefined;
  };
}

const invalid = (message: string): Result<never, CommandFailure> => err({ reason: 'invalid-input', message });

/** The shared cache the flags leave: `--cache-to` replaces `cache.to`; `--cache-from` adds to `from`; `to` is looked in first. */
export function sharedCacheOf(file: BuildFile, flags: RegistryFlags): Result<SharedCache, CommandFailure> {
  const given = [...(flags.cacheTo === undefined ? [] : [`--cache-to ${flags.cacheTo}`]), ...(flags.cacheFrom ?? []).map((r) => `--cache-from ${r}`)];
  for (const flag of given) {
    const repo = flag.slice(flag.indexOf(' ') + 1);
    const problem = repositoryProblem(repo);
    if (problem !== undefined) return invalid(`${flag}: ${problem}`);
  }
  const to = flags.cacheTo ?? file.cache.to;
  const from = [...new Set([...(to === undefined ? [] : [to]), ...file.cache.from, ...(flags.cacheFrom ?? [])])];
  return ok({ ...(to !== undefined && { to }), from });
}

/**
 * `images` are those the command may push (`--push`: all of them; else those with `push:
 * true`). Credentials are read only when a push or the shared cache needs them, or when a
 * classic build first asks for `X-Registry-Config`: a no-op `up` reads no config.json.
 */
export async function registriesFor(io: CliIo, file: BuildFile, images: readonly string[], flags: RegistryFlags): Promise<Result<Registries, CommandFailure>> {
  const cache = sharedCacheOf(file, flags);
  if (!cache.ok) return cache;
  const pushed = flags.push === true ? images : images.filter((name) => file.images.get(name)?.push === true);
  const unpushable = officialImageTags(file, pushed);
  if (unpushable.length > 0) return invalid(unpushable.join('\n'));
  if (pushed.length === 0 && cache.value.from.length === 0) {
    let config: Promise<string | undefined> | undefined;
    return ok({
      registryConfig: () => (config ??= loadCredentials(io.env).then((c) => (c.ok ? registryConfigOf(c.value) : undefined))),
      login: loginLookup(io.env),
    });
  }
  const credentials = await loadCredentials(io.env);
  if (!credentials.ok) return invalid(credentials.error);
  const stall = stallMsOf(io.env);
  if (!stall.ok) return stall;
  const access = new RegistryAccess(
    credentials.value,
    new RegistryClient(credentials.value),
    cache.value,
    flags.push === true,
    flags.pushJobs ?? 4,
    stall.value,
  );
  let config: Promise<string | undefined> | undefined;
  return ok({ access, registryConfig: () => (config ??= registryConfigOf(credentials.value)), login: loginLookup(io.env, credentials.value) });
}

/** `MBUILD_REGISTRY_STALL_TIMEOUT`: seconds a pull or push may show no progress (0: no limit); unset: the default. */
function stallMsOf(env: CliIo['env']): Result<number | undefined, CommandFailure> {
  const text = env['MBUILD_REGISTRY_STALL_TIMEOUT'];
  if (text === undefined || text === '') return ok(undefined);
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(seconds)) return invalid(`MBUILD_REGISTRY_STALL_TIMEOUT: "${text}" is not a number of seconds`);
  return ok(seconds * 1000);
}

/** `X-Registry-Config` for every registry the docker CLI has credentials for; undefined for none. */
async function registryConfigOf(credentials: Credentials): Promise<string | undefined> {
  const all = await credentials.all();
  return all.ok && Object.keys(all.value).length > 0 ? registryConfigHeader(all.value) : undefined;
}

/** The tags of `images` a push would send to Docker Hub's official images: said before anything is built. */
function officialImageTags(file: BuildFile, images: readonly string[]): string[] {
  return images.flatMap((name) =>
    (file.images.get(name)?.tags ?? []).flatMap((tag) => {
      const official = officialImageRepository(tag);
      return official === undefined
        ? []
        : [
            `image '${name}': tag ${tag} would be pushed to Docker Hub's official images (${official}); give it a registry or a namespace, e.g. registry.example.com/${tag}`,
          ];
    }),
  );
}
