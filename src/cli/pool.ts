/**
 * The pool of engines a build command runs on (issue 21): `--engine` flags, else the engines
 * file (pool/config.ts); none: one engine, exactly as without a pool. Every engine is
 * connected at once; the first named is the home engine and must answer; another that does
 * not answer is left out of the run with a warning. A pool whose engines answer but one is
 * just that engine.
 */
import { err, messageOf, ok, settled, type Result } from '../core/result.js';
import { engineAt } from '../docker/connect.js';
import { resolveEndpoint } from '../docker/endpoint.js';
import type { BuilderKind, Engine, EngineInfo } from '../docker/engine.js';
import { resolvePool } from '../pool/config.js';
import type { EngineEntry, PoolEngine } from '../pool/types.js';
import { builderOn, type Connected, type Connecting } from './engine.js';
import type { CommandFailure } from './failure.js';
import type { CliIo } from './io.js';
import { warnOn } from './print.js';

export interface PoolFlags {
  /** `--engine SPEC`, repeatable. */
  readonly engine?: readonly string[];
  /** `--tag-everywhere`. */
  readonly tagEverywhere?: boolean;
  readonly jobs: number;
}

interface Started {
  readonly entry: EngineEntry;
  readonly engine: Engine;
  readonly info: Promise<EngineInfo>;
}

/** The pool's engines, connecting; undefined: no pool. */
export type StartedPool = readonly Started[];

/** Resolves the pool and starts connecting to every engine of it. */
export function startPool(io: CliIo, opts: PoolFlags): Result<StartedPool | undefined, CommandFailure> {
  const env = io.env as NodeJS.ProcessEnv;
  const entries = resolvePool(opts.engine ?? [], env);
  if (!entries.ok) return err({ reason: 'invalid-input', message: entries.error.join('\n') });
  if (entries.value === undefined) return ok(undefined);
  const started: Started[] = [];
  for (const entry of entries.value) {
    // A context by name, as DOCKER_CONTEXT would name it; a host as `-H` would.
    const endpoint = resolveEndpoint(
      entry.host !== undefined ? { host: entry.host, env } : { env: { ...env, DOCKER_HOST: '', DOCKER_CONTEXT: entry.context } },
    );
    if (!endpoint.ok) return err({ reason: 'invalid-input', message: `engine ${entry.name}: ${endpoint.error}` });
    const engine = engineAt(endpoint.value, env);
    const info = engine.info();
    info.catch(() => undefined); // reported by connectPool
    started.push({ entry, engine, info });
  }
  return ok(started);
}

/** The home engine's connection, as `connect` takes it. */
export function homeOf(pool: StartedPool): Connecting {
  const home = pool[0];
  if (home === undefined) throw new Error('Internal error: an empty pool');
  return { engine: home.engine, info: home.info };
}

/**
 * Waits for every engine. The home engine must answer; others that do not are left out
 * (a warning each). `auto` is BuildKit when every engine left has it; `buildkit` leaves out
 * the engines without it.
 */
export async function connectPool(
  io: CliIo,
  pool: StartedPool,
  opts: PoolFlags & { builder: 'auto' | BuilderKind },
): Promise<Result<Connected & { readonly engines: readonly PoolEngine[] }, CommandFailure>> {
  const infos = await Promise.all(pool.map((s) => settled(s.info)));
  const warn = warnOn(io);
  const home = pool[0];
  const homeInfo = infos[0];
  if (home === undefined || homeInfo === undefined) throw new Error('Internal error: an empty pool');
  if (!homeInfo.ok) return err({ reason: 'engine-unavailable', message: `the home engine ${home.entry.name} does not answer: ${messageOf(homeInfo.error)}` });
  const answered = pool.flatMap((s, i) => {
    const info = infos[i];
    if (info?.ok === true) return [{ ...s, got: info.value }];
    warn(`engine ${s.entry.name} does not answer (${info === undefined ? 'no answer' : messageOf(info.error)}); building without it`);
    return [];
  });
  const usable = opts.builder === 'buildkit' ? answered.filter((s) => s.got.buildkit || s === answered[0]) : answered;
  for (const s of answered) if (!usable.includes(s)) warn(`engine ${s.entry.name} (Docker ${s.got.serverVersion}) has no BuildKit; building without it`);
  if (opts.builder === 'buildkit' && !homeInfo.value.buildkit) {
    return err({
      reason: 'engine-unavailable',
      message: `the home engine ${home.entry.name} (Docker ${homeInfo.value.serverVersion}) does not support BuildKit; use --builder classic`,
    });
  }
  const builder = opts.builder === 'auto' ? (usable.every((s) => s.got.buildkit) ? 'buildkit' : 'classic') : builderOn(homeInfo.value, opts.builder);
  const engines = usable.map((s, i): PoolEngine => ({ name: s.entry.name, engine: s.engine, slots: s.entry.slots ?? opts.jobs, home: i === 0 }));
  return ok({ engine: home.engine, builder, engines });
}
