/** What every step of one image's build (image-build.ts) is given: the run's options and the image at hand. */
import type { ImageIndex, RunIndex } from '../cache/image-index.js';
import type { StatCache } from '../cache/stat-cache.js';
import type { BuildFile, ImageSpec } from '../config/types.js';
import type { EmitEvent } from '../core/events.js';
import type { Result } from '../core/result.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import type { RegistryAccess } from './registry-access.js';
import type { PackedContext } from '../context/tar.js';
import type { SharedReads } from '../mounts/shared-reads.js';
import type { SpliceOptions } from '../mounts/splice.js';
import type { TempContainers } from '../mounts/temp-containers.js';
import type { PoolRun } from '../pool/run.js';

/** The cache for a run. */
export interface BuildCache {
  readonly statCache: StatCache;
}

/** The BuildKit sessions of a run (session/pool.ts behind cli/build-sessions.ts). */
export interface BuildSessions {
  /** The session a BuildKit build of `image` names; undefined: build without one; err: the build cannot run. */
  sessionFor(image: ImageSpec): Promise<Result<string | undefined, string>>;
  /** Masks every secret value served so far in build output. */
  redact(text: string): string;
}

export interface ImageBuildOptions {
  readonly file: BuildFile;
  readonly engine: Engine;
  readonly builder: BuilderKind;
  readonly emit: EmitEvent;
  readonly logDir: string;
  /** `--no-cache`: build every image (keys are still computed and recorded), without the engine's layer cache. */
  readonly noCache: boolean;
  /** Maps a failing step (`[2/3] RUN make`) to its Dockerfile line, when it can. */
  readonly locateStep?: (image: ImageSpec, step: string) => Promise<{ path: string; line: number; text: string } | undefined>;
  /** The cache: skip images whose key the engine already has. */
  readonly cache: BuildCache;
  /** Copy `outputs` to the host after a successful build (default true; `--no-outputs`). */
  readonly outputs?: boolean;
  /** Labels every temporary container with this run (default: a random ID). */
  readonly runId?: string;
  /** The session's image index (default: one for this run alone). */
  readonly images?: ImageIndex;
  /** Registries: credentials, the shared cache, pushes (undefined: none of them is used). */
  readonly registry?: RegistryAccess;
  /** `X-Registry-Config` for the classic builder's `FROM` pulls (undefined: the docker CLI has no credentials). */
  readonly registryConfig?: () => Promise<string | undefined>;
  /** BuildKit sessions (secrets, ssh agents, registry logins); absent for the classic builder. */
  readonly sessions?: BuildSessions;
  /** A pool of engines (pool/): builds spread over them, everything else on the home engine (`engine`). */
  readonly pool?: PoolBuilds;
  /** Told what each image reads of its context (null: all of it) when its key is computed: watch watches that. */
  readonly onDecided?: (image: string, reads: readonly string[] | null) => void;
}

/** What the builds of a run on a pool of engines share (execute/on-pool.ts). */
export interface PoolBuilds {
  readonly run: PoolRun;
  /** The upstream images (names) the engine itself reads in the image's build: FROM, COPY --from, RUN --mount=from, `{image:}` args, `contexts`. */
  readonly needs: (image: string) => readonly string[];
  /** The image's scheduling priority (the plan's `remainingPath`). */
  readonly priority: (image: string) => number;
  /** The BuildKit sessions of builds on that engine. */
  readonly sessionsOf: (engine: string) => BuildSessions | undefined;
  /** The run's image index on that engine (the home engine's is `index`). */
  readonly indexOf: (engine: string) => RunIndex | undefined;
}

/** One image's build, as each step sees it. */
export interface ImageJob {
  readonly opts: ImageBuildOptions;
  readonly image: ImageSpec;
  /** Image IDs of the upstream images, built or up to date. */
  readonly upstream: ReadonlyMap<string, string>;
  readonly signal: AbortSignal;
  /** `performance.now()` when this image's build began. */
  readonly started: number;
  /** Labels of the temporary containers of mounts and outputs. */
  readonly tempLabels: Readonly<Record<string, string>>;
}

/** An `image-warning` of this image: a problem that leaves its outcome as it is. */
export const warn = (job: ImageJob, message: string): void => job.opts.emit({ type: 'image-warning', image: job.image.name, message });

/**
 * A classic build whose marks may be a tag alone (core/labels.ts buildLabels): not when the run
 * stores into a shared cache, whose entries must carry mbuild's labels (a pull checks them:
 * an entry without them could be any image put under that tag).
 */
export const bareClassic = (job: ImageJob): boolean => job.opts.builder === 'classic' && job.opts.registry?.cache.to === undefined;

/** Copying `outputs` to the host was asked for and the image has some. */
export const wantsOutputs = (job: ImageJob): boolean => job.opts.outputs !== false && job.image.outputs.length > 0;

/** How a build's mounts are read and spliced: this image's engine, signal, temporary containers and warnings. */
export const spliceOptions = (job: ImageJob, containers: TempContainers, shared?: SharedReads): SpliceOptions => ({
  engine: job.opts.engine,
  signal: job.signal,
  labels: job.tempLabels,
  containers,
  ...(shared && { shared }),
  onWarning: (message) => warn(job, message),
});

/** Step 2's result (prepare-context.ts, or prepare-image-context.ts for a context inside an image): what step 3 sends. */
export interface PreparedContext {
  /** The tar, not read yet: the build reads it. */
  readonly packed: Pick<PackedContext, 'stream' | 'dockerfileInTar' | 'done'>;
  /** The labels sent as build parameters (none when the Dockerfile sent carries them). */
  readonly labels: Readonly<Record<string, string>>;
  /** Classic: mbuild's label steps that close the build (the log alone shows them). */
  readonly labelSteps: number;
}

/** `waiting`, or `{kind: 'aborted'}` once `signal` is aborted (the image's own cancel, or Ctrl-C). */
export function untilAborted<T>(waiting: Promise<T>, signal: AbortSignal): Promise<T | { kind: 'aborted' }> {
  if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
  return new Promise((resolve) => {
    const onAbort = (): void => resolve({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    void waiting.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    });
  });
}
