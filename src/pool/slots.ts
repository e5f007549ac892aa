/**
 * The build slots of a pool's engines. A job waits until some engine it may use has a free
 * slot; the waiting job with the longest chain of work behind it goes first (as the
 * executor's WorkerPool), and it picks among the engines free at that moment (`choose`:
 * pool/placement.ts). An engine marked lost takes no new job; a job no live engine can take
 * gets `undefined`.
 */
import type { PoolEngine } from './types.js';

export interface Lease {
  readonly engine: PoolEngine;
  /** Aborted when the engine is marked lost while the lease is held: its build stops, to be placed again. */
  readonly signal: AbortSignal;
  /** Gives the slot back; once. */
  release(): void;
}

/** Picks one of the engines free now (never empty). */
export type Choose = (free: readonly PoolEngine[]) => PoolEngine;

interface Waiter {
  readonly priority: number;
  readonly seq: number;
  readonly choose: Choose;
  readonly exclude: ReadonlySet<string>;
  readonly resolve: (lease: Lease | undefined) => void;
}

export class EngineSlots {
  readonly #running = new Map<string, number>();
  readonly #lost = new Map<string, string>();
  /** The leases held, by engine: a lost engine's are aborted. */
  readonly #held = new Map<string, Set<AbortController>>();
  #waiting: Waiter[] = [];
  #seq = 0;

  constructor(readonly engines: readonly PoolEngine[]) {
    for (const e of engines) this.#running.set(e.name, 0);
  }

  /** Builds running on the engine over its slots. */
  load(e: PoolEngine): number {
    return (this.#running.get(e.name) ?? 0) / e.slots;
  }

  /** Why the engine was lost this run, if it was. */
  lost(name: string): string | undefined {
    return this.#lost.get(name);
  }

  /** The engines not lost, in pool order. */
  alive(): PoolEngine[] {
    return this.engines.filter((e) => !this.#lost.has(e.name));
  }

  /** The engine takes no new job; jobs that only it could take get `undefined`. */
  markLost(name: string, why: string): void {
    if (this.#lost.has(name)) return;
    this.#lost.set(name, why);
    for (const c of this.#held.get(name) ?? []) c.abort(new Error(`engine ${name} ${why}`));
    this.#dispatch();
  }

  /** The engines with builds running now. */
  busy(): PoolEngine[] {
    return this.engines.filter((e) => (this.#running.get(e.name) ?? 0) > 0);
  }

  /** A slot on an engine not in `exclude`; undefined when no live engine can take it or `signal` aborts. */
  acquire(priority: number, choose: Choose, o: { exclude?: ReadonlySet<string>; signal: AbortSignal }): Promise<Lease | undefined> {
    if (o.signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        resolve(undefined);
      };
      const waiter: Waiter = {
        priority,
        seq: this.#seq++,
        choose,
        exclude: o.exclude ?? new Set(),
        resolve: (lease) => {
          o.signal.removeEventListener('abort', onAbort);
          resolve(lease);
        },
      };
      o.signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      this.#dispatch();
    });
  }

  #usable(w: Waiter): PoolEngine[] {
    return this.alive().filter((e) => !w.exclude.has(e.name));
  }

  #dispatch(): void {
    for (const w of [...this.#waiting]) {
      const usable = this.#usable(w);
      if (usable.length === 0) {
        this.#waiting = this.#waiting.filter((x) => x !== w);
        w.resolve(undefined);
        continue;
      }
      const free = usable.filter((e) => (this.#running.get(e.name) ?? 0) < e.slots);
      if (free.length === 0) continue;
      const engine = w.choose(free);
      this.#waiting = this.#waiting.filter((x) => x !== w);
      this.#running.set(engine.name, (this.#running.get(engine.name) ?? 0) + 1);
      const controller = new AbortController();
      const held = this.#held.get(engine.name) ?? new Set();
      held.add(controller);
      this.#held.set(engine.name, held);
      let released = false;
      w.resolve({
        engine,
        signal: controller.signal,
        release: () => {
          if (released) return;
          released = true;
          held.delete(controller);
          this.#running.set(engine.name, (this.#running.get(engine.name) ?? 1) - 1);
          this.#dispatch();
        },
      });
    }
  }
}
