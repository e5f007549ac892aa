/**
 * The watch loop as an explicit state machine (wireit's watcher):
 *
 *   ┌──────────┐  change   ┌────────────┐  quiet for DEBOUNCE_MS,   ┌─────────┐
 *   │ watching ├──────────►│ debouncing ├──or CEILING_MS since the──►│ running │
 *   └──────────┘           └─┬──────────┘  first change             └──┬───┬──┘
 *        ▲                   │  ▲ change: restart the quiet timer      │   │ change
 *        │                   └──┘                                      │   ▼
 *        │ run done, nothing dirty                                     │ ┌────────┐
 *        └─────────────────────────────────────────────────────────────┘ │ queued │
 *                             run done, dirty: debouncing ◄──────────────┴────────┘
 *
 * Changes are accumulated as a set of dirty images (and a flag: reload the build file);
 * a run takes the whole set, and changes during a run queue at most one follow-up run
 * (they are also passed to `duringRun`, which restarts in-flight builds they make stale).
 * The quiet timer is reset by each change, but a run starts at the latest CEILING_MS after
 * the first change of a batch. `runNow` starts a run at once (watch's first full build).
 * `aborted` is terminal.
 */

export type WatchState = 'watching' | 'debouncing' | 'running' | 'queued' | 'aborted';

export const DEBOUNCE_MS = 150;
/** A never-ending stream of events still builds after this long. */
export const CEILING_MS = 1000;

export interface Change {
  /** Images whose inputs may have changed. */
  readonly images: ReadonlySet<string>;
  /** The build file, a Dockerfile or an ignore file changed: reload and plan again first. */
  readonly reload: boolean;
}

export interface StateMachineOptions {
  /** Runs one build pass for the accumulated change; never rejects. */
  readonly run: (change: Change) => Promise<void>;
  /** Called for changes that arrive while a run is in progress (to restart in-flight builds). */
  readonly duringRun?: (change: Change) => void;
  readonly debounceMs?: number;
  readonly ceilingMs?: number;
  readonly onState?: (state: WatchState) => void;
}

export class WatchStateMachine {
  #state: WatchState = 'watching';
  #dirty = new Set<string>();
  #reload = false;
  #timer: NodeJS.Timeout | undefined;
  #firstChangeAt = 0;
  #idle: (() => void)[] = [];
  readonly #o: StateMachineOptions;

  constructor(o: StateMachineOptions) {
    this.#o = o;
  }

  get state(): WatchState {
    return this.#state;
  }

  changed(change: Change): void {
    switch (this.#state) {
      case 'aborted':
        return;
      case 'watching':
        this.#accumulate(change);
        this.#firstChangeAt = performance.now();
        this.#to('debouncing');
        this.#arm();
        return;
      case 'debouncing':
        this.#accumulate(change);
        this.#arm();
        return;
      case 'running':
      case 'queued':
        this.#accumulate(change);
        this.#o.duringRun?.(change);
        if (this.#state === 'running') this.#to('queued');
        return;
      default:
        return unknownState(this.#state);
    }
  }

  /** Stops: no new run starts. Resolves when no run is in progress. */
  async abort(): Promise<void> {
    clearTimeout(this.#timer);
    const wasRunning = this.#state === 'running' || this.#state === 'queued';
    this.#to('aborted');
    if (wasRunning) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Resolves the next time the machine is back to `watching` with nothing pending. */
  settled(): Promise<void> {
    if (this.#state === 'watching') return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #accumulate(change: Change): void {
    for (const image of change.images) this.#dirty.add(image);
    this.#reload ||= change.reload;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const debounce = this.#o.debounceMs ?? DEBOUNCE_MS;
    const left = (this.#o.ceilingMs ?? CEILING_MS) - (performance.now() - this.#firstChangeAt);
    this.#timer = setTimeout(() => void this.#start(), Math.max(0, Math.min(debounce, left)));
  }

  /** Starts a run for `change` (plus anything pending) at once; resolves when the machine leaves `running`/`queued` for it. */
  async runNow(change: Change): Promise<void> {
    if (this.#state !== 'watching' && this.#state !== 'debouncing') throw new Error(`Internal error: runNow in state ${this.#state}`);
    clearTimeout(this.#timer);
    this.#accumulate(change);
    this.#to('debouncing');
    await this.#start();
  }

  async #start(): Promise<void> {
    if (this.#state !== 'debouncing') return;
    const change: Change = { images: this.#dirty, reload: this.#reload };
    this.#dirty = new Set();
    this.#reload = false;
    this.#to('running');
    try {
      await this.#o.run(change);
    } finally {
      // A run that throws (an internal error) must not leave the machine stuck in `running`.
      this.#runDone();
    }
  }

  #runDone(): void {
    switch (this.#state) {
      case 'running':
        this.#to('watching');
        this.#idle.splice(0).forEach((r) => r());
        return;
      case 'queued':
        this.#firstChangeAt = performance.now();
        this.#to('debouncing');
        this.#arm();
        return;
      case 'aborted':
        this.#idle.splice(0).forEach((r) => r());
        return;
      case 'watching':
      case 'debouncing':
        throw new Error(`Internal error: a run ended in state ${this.#state}`);
      default:
        unknownState(this.#state);
    }
  }

  #to(state: WatchState): void {
    this.#state = state;
    this.#o.onState?.(state);
  }
}

function unknownState(state: never): never {
  throw new Error(`Internal error: unknown watch state ${String(state)}`);
}
