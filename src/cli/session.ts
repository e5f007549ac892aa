/**
 * What `up` and `watch` share around the executor: the stat cache (loaded once, saved
 * atomically at the end), the per-image build step, and the executor options.
 */
import type { Prefetched } from '../cache/prefetch.js';
import { StatCache } from '../cache/stat-cache.js';
import type { BuildFile } from '../config/types.js';
import type { EmitEvent } from '../core/events.js';
import { logsDir, statCachePath } from '../core/layout.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import { locateStep } from '../dockerfile/images.js';
import { Executor } from '../execute/executor.js';
import { createBuildOne } from '../execute/image-build.js';
import type { BuildPlan } from '../plan/types.js';
import type { CliIo } from './io.js';

export interface SessionOptions {
  readonly engine: Engine;
  readonly builder: BuilderKind;
  readonly emit: EmitEvent;
  readonly signal: AbortSignal;
  readonly jobs: number;
  readonly keepGoing: boolean;
  readonly noCache: boolean;
  readonly outputs: boolean;
  /** Started while the build file loaded (`up`): the stat cache and the first run's inspects. */
  readonly prefetched?: Prefetched;
}

export interface Session {
  /** A fresh executor over `plan` (a new run: the engine's key index is read again). */
  executor(file: BuildFile, plan: BuildPlan, known?: ReadonlyMap<string, string>): Executor;
  /** Saves the stat cache. */
  close(): Promise<void>;
}

export async function openSession(io: CliIo, root: string, o: SessionOptions): Promise<Session> {
  // What was started ahead for this root: its inspects belong to the first run only.
  let early = o.prefetched?.root === root ? o.prefetched : undefined;
  const loaded = await (early?.statCache ?? StatCache.load(statCachePath(root)));
  if (loaded.warning) io.stderr.write(`warning: ${loaded.warning}\n`);
  const statCache = loaded.cache;
  return {
    executor: (file, plan, known) => {
      const first = early;
      early = undefined;
      return new Executor({
        plan, jobs: o.jobs, failureMode: o.keepGoing ? 'continue' : 'no-new', signal: o.signal, emit: o.emit,
        tagsOf: (image) => file.images.get(image)?.tags ?? [],
        ...(known && { known }),
        buildOne: createBuildOne({
          file, engine: o.engine, builder: o.builder, emit: o.emit, logDir: logsDir(file.root),
          noCache: o.noCache, outputs: o.outputs, cache: { statCache }, locateStep: (image, step) => locateStep(file, image, step),
          ...(first && { ahead: (id: string) => first.take(id) }),
        }),
      });
    },
    close: () => statCache.save().catch((e: unknown) => {
      io.stderr.write(`warning: cannot write the stat cache: ${e instanceof Error ? e.message : String(e)}\n`);
    }),
  };
}
