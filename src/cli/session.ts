/**
/**
 * What `up` and `watch` share around the executor: their flags, the stat cache (loaded
 * once, saved atomically at the end), the image index (cache/image-index.ts: one for the
 * session), the per-image build step, and the executor options.
 */
import { ImageIndex } from '../cache/image-index.js';
import type { Prefetched } from '../cache/prefetch.js';
import { StatCache } from '../cache/stat-cache.js';
import type { EmitEvent } from '../core/events.js';
import { logsDir, statCachePath } from '../core/layout.js';
import { messageOf } from '../core/result.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import { locateStep } from '../dockerfile/images.js';
import { Executor } from '../execute/executor.js';
import { createBuilder } from '../execute/image-build.js';
import type { BuildPlan, Planned } from '../plan/types.js';
import type { ProgressMode } from '../report/create.js';
import type { CliIo } from './io.js';
import type { GlobalOptions } from './load.js';
import { loginLookup, type Registries, type RegistryFlags } from './registries.js';
import { buildSessions } from './build-sessions.js';
import { basename } from 'node:path';
import { warnOn } from './print.js';
import type { PoolFlags } from './pool.js';
import type { PoolEngine } from '../pool/types.js';
import { poolSession } from './pool-session.js';

/** The flags of `up` (and of `watch`, which has a few more). */
export interface UpOptions extends GlobalOptions, RegistryFlags, PoolFlags {
  readonly jobs: number;
  readonly builder: 'auto' | BuilderKind;
  readonly progress: ProgressMode;
  readonly quiet?: boolean;
  readonly keepGoing?: boolean;
  readonly noCache?: boolean;
  /** `--no-outputs`: build, but do not copy `outputs` to the host. */
  readonly noOutputs?: boolean;
  /** `--metadata-file` (`up`): what the run did, per image, as JSON (report/metadata.ts). */
  readonly metadataFile?: string;
}

export interface SessionOptions {
  readonly engine: Engine;
  readonly builder: BuilderKind;
  readonly emit: EmitEvent;
  readonly signal: AbortSignal;
  readonly jobs: number;
  readonly keepGoing: boolean;
  readonly noCache: boolean;
  readonly outputs: boolean;
  /** Started while the build file loaded (`up`): the stat cache's read. */
  readonly prefetched?: Prefetched;
  /** What the engine said about images, kept for the session (default: a new index). */
  readonly images?: ImageIndex;
  /** Told what each image reads of its context when its key is computed (watch). */
  readonly onDecided?: (image: string, reads: readonly string[] | null) => void;
  /** Registries: pushes, the shared cache, credentials for classic builds (cli/registries.ts). */
  readonly registries?: Registries;
  /** A pool of at least two engines (cli/pool.ts), the home engine first; `engine` is the home engine. */
  readonly pool?: readonly PoolEngine[];
  readonly tagEverywhere?: boolean;
}

export const sessionOptions = (
  opts: UpOptions,
  c: { engine: Engine; builder: BuilderKind; engines?: readonly PoolEngine[] },
  emit: EmitEvent,
  signal: AbortSignal,
  more: Pick<SessionOptions, 'prefetched' | 'images' | 'onDecided' | 'registries'> = {},
): SessionOptions => ({
  engine: c.engine,
  builder: c.builder,
  emit,
  signal,
  jobs: opts.jobs,
  keepGoing: opts.keepGoing ?? false,
  noCache: opts.noCache ?? false,
  outputs: !opts.noOutputs,
  ...(c.engines !== undefined && c.engines.length > 1 && { pool: c.engines, tagEverywhere: opts.tagEverywhere ?? false }),
  ...more,
});

export interface Session {
  /**
   * A fresh executor (a new run of the session's image index) for `part` of `planned`
   * (all of it by default); upstream images outside `part` are taken from `known`.
   */
  executor(planned: Planned, part?: BuildPlan, known?: ReadonlyMap<string, string>): Executor;
  /** Images removed by the garbage policy: no later run of the session may find them in its index. */
  forget(project: string, imageIds: readonly string[]): void;
  /** Closes the BuildKit sessions and saves the stat cache. */
  close(): Promise<void>;
}

export async function openSession(io: CliIo, root: string, o: SessionOptions): Promise<Session> {
  const early = o.prefetched?.root === root ? o.prefetched : undefined;
  const loaded = await (early?.statCache ?? StatCache.load(statCachePath(root)));
  const images = o.images ?? new ImageIndex(o.engine);
  if (loaded.warning) warnOn(io)(loaded.warning);
  const statCache = loaded.cache;
  const login = o.registries?.login ?? loginLookup(io.env);
  // The build file's environment (env files included) of the latest load: watch reloads it.
  let env = io.env;
  const sessionsOn = (engine: Engine) =>
    o.builder === 'buildkit' ? buildSessions({ engine, name: basename(root), env: () => env, login, warn: warnOn(io) }) : undefined;
  const sessions = sessionsOn(o.engine);
  const pool = o.pool && poolSession(o.pool, sessions, sessionsOn);
  return {
    executor: ({ file, plan }, part = plan, known) => {
      env = file.environment ?? io.env;
      const access = o.registries?.access;
      const { buildOne, publish } = createBuilder({
        file,
        engine: o.engine,
        builder: o.builder,
        emit: o.emit,
        logDir: logsDir(file.root),
        noCache: o.noCache,
        outputs: o.outputs,
        cache: { statCache },
        images,
        locateStep: (image, step) => locateStep(file, image, step),
        ...(o.onDecided && { onDecided: o.onDecided }),
        ...(access && { registry: access }),
        ...(o.registries && { registryConfig: o.registries.registryConfig }),
        ...(sessions && { sessions }),
        ...(pool && { pool: pool.builds(file, plan, o.tagEverywhere ?? false) }),
      });
      return new Executor({
        plan: part,
        // With a pool: decisions and moves home may overlap the engines' builds.
        jobs: pool ? 2 * pool.slots : o.jobs,
        ...(pool && { engines: { names: pool.names, slots: pool.slots } }),
        failureMode: o.keepGoing ? 'continue' : 'no-new',
        signal: o.signal,
        emit: o.emit,
        ...(known && { known }),
        buildOne,
        ...(access && { publish }),
      });
    },
    forget: (project, imageIds) => images.forget(project, imageIds),
    close: async () => {
      await sessions?.close();
      await pool?.close();
      await statCache.save().catch((e: unknown) => warnOn(io)(`cannot write the stat cache: ${messageOf(e)}`));
    },
  };
}
