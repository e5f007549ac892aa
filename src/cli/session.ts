/**
 * What `up` and `watch` share around the executor: the stat cache (loaded once, saved
 * atomically at the end), the image index (cache/image-index.ts: one for the session), the
 * per-image build step, and the executor options.
 */
import { join } from 'node:path';
import { ImageIndex } from '../cache/image-index.js';
import type { Prefetched } from '../cache/prefetch.js';
import { statCachePath } from '../cache/manifest.js';
import { StatCache } from '../cache/stat-cache.js';
import type { BuildFile } from '../config/types.js';
import type { EmitEvent } from '../core/events.js';
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
  /** Started while the build file loaded (`up`): the stat cache's read. */
  readonly prefetched?: Prefetched;
  /** What the engine said about images, kept for the session (default: a new index). */
  readonly images?: ImageIndex;
}

export interface Session {
  /** A fresh executor over `plan` (a new run of the session's image index). */
  executor(file: BuildFile, plan: BuildPlan, known?: ReadonlyMap<string, string>): Executor;
  /** Saves the stat cache. */
  close(): Promise<void>;
}

export async function openSession(io: CliIo, root: string, o: SessionOptions): Promise<Session> {
  const early = o.prefetched?.root === root ? o.prefetched : undefined;
  const loaded = await (early?.statCache ?? StatCache.load(statCachePath(root)));
  const images = o.images ?? new ImageIndex(o.engine);
  if (loaded.warning) io.stderr.write(`warning: ${loaded.warning}\n`);
  const statCache = loaded.cache;
  return {
    executor: (file, plan, known) => {
      return new Executor({
        plan, jobs: o.jobs, failureMode: o.keepGoing ? 'continue' : 'no-new', signal: o.signal, emit: o.emit,
        tagsOf: (image) => file.images.get(image)?.tags ?? [],
        ...(known && { known }),
        buildOne: createBuildOne({
          file, engine: o.engine, builder: o.builder, emit: o.emit, logDir: join(file.root, '.mbuild', 'logs'),
          noCache: o.noCache, outputs: o.outputs, cache: { statCache }, images, locateStep: (image, step) => locateStep(file, image, step),
        }),
      });
    },
    close: () => statCache.save().catch((e: unknown) => {
      io.stderr.write(`warning: cannot write the stat cache: ${e instanceof Error ? e.message : String(e)}\n`);
    }),
  };
}
