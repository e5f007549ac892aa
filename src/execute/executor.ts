/**
 * Phase 7: runs a BuildPlan. One memoised promise per image awaits exactly its own
 * upstream images (no waves), then a decision slot, then (an image to build) a build slot:
 * two worker pools of `jobs` slots each, longest remaining path first. An image decides
 * while others build, so at -j 1 the next image's key is known when the engine is free.
 * A shared upstream is built once. Failure policy:
 *   no-new   (default) a failure stops new builds; running ones finish;
 *   continue (--keep-going) everything not downstream of a failure is built.
 * Aborting `signal` (Ctrl-C) cancels running builds and starts nothing new.
 */
import type { BuildPlan, PlannedImage } from '../plan/types.js';
import type { EmitEvent, Failure, ImageOutcome, ImageResult } from '../core/events.js';
import { messageOf } from '../core/result.js';
import { WorkerPool, type Pause, type Slot } from './worker-pool.js';

export type FailureMode = 'no-new' | 'continue';

/**
 * Builds one image whose upstream images are done; resolves to its outcome, never rejects.
 * It starts in a decision slot; `slots` (absent: the whole build runs in that slot):
 */
export type BuildOne = (image: string, upstream: ReadonlyMap<string, string>, signal: AbortSignal, slots?: Slots) => Promise<ImageOutcome>;

export interface Slots {
  /** Waits for something (another image's build of the same key) without holding a slot. */
  readonly pause: Pause;
  /**
   * Gives the decision slot back and runs `work` in a build slot, held until the image's
   * outcome is reported; undefined, `work` not run, when no new build may start any more.
   */
  build<T>(work: () => Promise<T>): Promise<T | undefined>;
}

/**
 * Publishes an image built or up to date (pushes, the shared cache), after its build slot is
 * released, while downstream images build; resolves to its failure, never rejects.
 */
export type Publish = (image: string, outcome: ImageOutcome, signal: AbortSignal) => Promise<Failure | undefined>;

export interface ExecutorOptions {
  readonly plan: BuildPlan;
  readonly jobs: number;
  readonly failureMode: FailureMode;
  readonly signal: AbortSignal;
  readonly emit: EmitEvent;
  readonly buildOne: BuildOne;
  readonly publish?: Publish;
  /** With a pool of engines: their names (home first) and their slots together, for `run-started` (`jobs` caps the decisions and moves). */
  readonly engines?: { readonly names: readonly string[]; readonly slots: number };
  /** Image IDs of upstream images that are not in the plan (watch mode builds a sub-plan). */
  readonly known?: ReadonlyMap<string, string>;
}

export interface RunReport {
  readonly results: readonly ImageResult[];
  readonly interrupted: boolean;
  readonly durationMs: number;
}

const failed = (failure: Failure, durationMs = 0): ImageOutcome => ({ kind: 'failed', failure, durationMs });

/** For each image, the images of the run it waits for (an upstream outside the run is already built). */
function upstreamOf(images: readonly PlannedImage[]): Record<string, string[]> {
  const inRun = new Set(images.map((i) => i.name));
  return Object.fromEntries(images.map((i) => [i.name, [...new Set(i.dependsOn.map((e) => e.image))].filter((n) => inRun.has(n))]));
}

export class Executor {
  readonly #opts: ExecutorOptions;
  readonly #decisions: WorkerPool;
  readonly #builds: WorkerPool;
  readonly #executions = new Map<string, Promise<ImageOutcome>>();
  readonly #byName: Map<string, PlannedImage>;
  #stopStarting = false;
  /** Per-image controllers of the builds in flight, for `restart()`. */
  readonly #inFlight = new Map<string, AbortController>();
  /** Publications under way; a failed one replaces its image's outcome in the report. */
  readonly #publishing: Promise<void>[] = [];
  readonly #publishFailures = new Map<string, Failure>();

  constructor(opts: ExecutorOptions) {
    this.#opts = opts;
    this.#decisions = new WorkerPool(opts.jobs);
    this.#builds = new WorkerPool(opts.jobs);
    this.#byName = new Map(opts.plan.images.map((i) => [i.name, i]));
  }

  async run(builder: string): Promise<RunReport> {
    const started = performance.now();
    const { plan, emit } = this.#opts;
    const images = plan.images.map((i) => i.name);
    const engines = this.#opts.engines;
    const jobs = engines?.slots ?? this.#opts.jobs;
    emit({ type: 'run-started', images, jobs, builder, upstream: upstreamOf(plan.images), ...(engines && { engines: engines.names }) });
    const outcomes = await Promise.all(plan.images.map((i) => this.#execute(i.name)));
    await Promise.all(this.#publishing);
    const results = plan.images.map((i, n) => {
      const failure = this.#publishFailures.get(i.name);
      return { image: i.name, outcome: failure === undefined ? outcomes[n]! : failed(failure) };
    });
    const report = { results, interrupted: this.#opts.signal.aborted, durationMs: performance.now() - started };
    emit({ type: 'run-finished', ...report });
    return report;
  }

  #execute(name: string): Promise<ImageOutcome> {
    let execution = this.#executions.get(name);
    if (execution === undefined) {
      execution = this.#executeOnce(name);
      this.#executions.set(name, execution);
    }
    return execution;
  }

  /** Reports an outcome; called before a build's slot is released, so events never show -j+1 builds. */
  #done({ name, tags }: PlannedImage, outcome: ImageOutcome): ImageOutcome {
    this.#opts.emit({ type: 'image-done', image: name, outcome, tags: outcome.kind === 'failed' ? [] : tags });
    return outcome;
  }

  async #executeOnce(name: string): Promise<ImageOutcome> {
    const planned = this.#byName.get(name);
    if (planned === undefined) throw new Error(`Internal error: ${name} is not in the plan`);
    const upstreamNames = [...new Set(planned.dependsOn.map((e) => e.image))];
    const upstream = await Promise.all(upstreamNames.map((n) => this.#upstreamOutcome(n)));
    const brokenIndex = upstream.findIndex((o) => o.kind === 'failed');
    if (brokenIndex !== -1) {
      const cause = upstream[brokenIndex]!;
      const reason = cause.kind === 'failed' ? cause.failure.reason : undefined;
      // An upstream that was never started or was cancelled passes that on; a real failure is named.
      if (reason === 'cancelled' || reason === 'not-started') return this.#done(planned, failed({ reason: 'not-started' }));
      return this.#done(planned, failed({ reason: 'dependency-failed', dependency: upstreamNames[brokenIndex]! }));
    }
    if (this.#shouldNotStart()) return this.#done(planned, failed({ reason: 'not-started' }));
    const ids = new Map(upstreamNames.map((n, i) => [n, (upstream[i] as { imageId: string }).imageId]));
    this.#opts.emit({ type: 'image-queued', image: name });
    const outcome = await this.#build(planned, ids);
    this.#startPublishing(name, outcome);
    return outcome;
  }

  #startPublishing(name: string, outcome: ImageOutcome): void {
    const publish = this.#opts.publish;
    if (publish === undefined || outcome.kind === 'failed' || this.#opts.signal.aborted) return;
    const published = publish(name, outcome, this.#opts.signal)
      .catch((e: unknown): Failure => ({ reason: 'unknown-error', message: messageOf(e) }))
      .then((failure) => {
        if (failure === undefined) return;
        this.#publishFailures.set(name, failure);
        if (this.#opts.failureMode === 'no-new') this.#stopStarting = true;
      });
    this.#publishing.push(published);
  }

  async #build(planned: PlannedImage, ids: ReadonlyMap<string, string>): Promise<ImageOutcome> {
    for (;;) {
      const outcome = await this.#attempt(planned, ids);
      // Restarted because its inputs changed again: build it again; its dependents keep waiting.
      if (outcome !== 'again') return outcome;
    }
  }

  /** One try at an image, in a decision slot then a build slot; its outcome is reported before either is released. */
  async #attempt(planned: PlannedImage, ids: ReadonlyMap<string, string>): Promise<ImageOutcome | 'again'> {
    const { name, remainingPath: priority } = planned;
    const decision = await this.#decisions.acquire(priority);
    let build: Slot | undefined;
    const slots: Slots = {
      pause: (waiting) => (build ?? decision).pause(waiting),
      build: async (work) => {
        decision.release();
        build = await this.#builds.acquire(priority);
        // Time may have passed while waiting for a slot: check again.
        return this.#shouldNotStart() ? undefined : work();
      },
    };
    try {
      // Time may have passed while waiting for a slot: check again.
      if (this.#shouldNotStart()) return this.#done(planned, failed({ reason: 'not-started' }));
      const local = new AbortController();
      this.#inFlight.set(name, local);
      let outcome: ImageOutcome;
      try {
        outcome = await this.#opts.buildOne(name, ids, AbortSignal.any([this.#opts.signal, local.signal]), slots);
      } catch (e) {
        outcome = failed({ reason: 'unknown-error', message: messageOf(e) });
      } finally {
        this.#inFlight.delete(name);
      }
      if (local.signal.aborted && !this.#opts.signal.aborted && outcome.kind === 'failed' && outcome.failure.reason === 'cancelled') return 'again';
      // Before the slot is released: the next waiting job must already see the failure.
      if (outcome.kind === 'failed' && this.#opts.failureMode === 'no-new') this.#stopStarting = true;
      return this.#done(planned, outcome);
    } finally {
      build?.release();
      decision.release();
    }
  }

  /** An upstream in the plan is awaited; one outside it must have a known ID. */
  #upstreamOutcome(name: string): Promise<ImageOutcome> {
    if (this.#byName.has(name)) return this.#execute(name);
    const id = this.#opts.known?.get(name);
    if (id === undefined) return Promise.resolve(failed({ reason: 'unknown-error', message: `upstream ${name} is neither in the plan nor built` }));
    return Promise.resolve({ kind: 'up-to-date', imageId: id, size: 0 });
  }

  /**
   * Cancels the build of `image` if it is running, and starts it again (watch mode: its
   * inputs changed during the build). Returns whether a build was restarted.
   */
  restart(image: string): boolean {
    const controller = this.#inFlight.get(image);
    if (controller === undefined) return false;
    controller.abort(new Error('inputs changed'));
    return true;
  }

  #shouldNotStart(): boolean {
    return this.#stopStarting || this.#opts.signal.aborted;
  }
}
