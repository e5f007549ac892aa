/**
 * One run's view of the pool: its engines' slots, the moves between them, and which engines
 * still answer. Made per run (watch makes one per run), so an engine lost in one run is asked
 * again in the next.
 */
import { Moves } from './moves.js';
import { EngineSlots } from './slots.js';
import type { PoolEngine } from './types.js';

/** How long an engine may take to answer before it counts as lost. */
const ANSWER_TIMEOUT_MS = 5000;
/** How often the engines with builds running are asked whether they still answer. */
const PROBE_EVERY_MS = 2000;

export interface PoolRunOptions {
  readonly engines: readonly PoolEngine[];
  /** `--tag-everywhere`: every image moved to and tagged on every engine, not only the home one. */
  readonly tagEverywhere: boolean;
}

export class PoolRun {
  readonly slots: EngineSlots;
  readonly moves: Moves;
  readonly home: PoolEngine;

  constructor(readonly o: PoolRunOptions) {
    const home = o.engines.find((e) => e.home) ?? o.engines[0];
    if (home === undefined) throw new Error('Internal error: an empty pool');
    this.home = home;
    this.slots = new EngineSlots(o.engines);
    this.moves = new Moves(() => this.slots.alive());
  }

  #probing: NodeJS.Timeout | undefined;
  #asking = false;

  /**
   * While builds run, every engine running one is asked every 2 s whether it still answers:
   * one that does not within 5 s (a dead host, a frozen daemon, a cut network) is lost, and
   * its builds are stopped to be placed again. A build's own stream has no idle timeout (a
   * step may print nothing for an hour): this is what notices an engine that hangs.
   */
  watchEngines(): void {
    if (this.#probing !== undefined) return;
    this.#probing = setInterval(() => {
      const busy = this.slots.busy().filter((e) => this.slots.lost(e.name) === undefined);
      if (busy.length === 0) {
        clearInterval(this.#probing);
        this.#probing = undefined;
        return;
      }
      if (this.#asking) return;
      this.#asking = true;
      void Promise.all(
        busy.map(async (e) => {
          if (!(await this.answers(e))) this.slots.markLost(e.name, 'stopped answering');
        }),
      ).finally(() => (this.#asking = false));
    }, PROBE_EVERY_MS);
    this.#probing.unref();
  }

  /** Whether the engine still answers (an inspect of an image that cannot exist, at most 5 s). */
  async answers(e: PoolEngine): Promise<boolean> {
    const nothing = `sha256:${'0'.repeat(64)}`;
    // The request is dropped when it times out: a socket left open to a frozen daemon would keep the process alive.
    return e.engine.inspectImage(nothing, AbortSignal.timeout(ANSWER_TIMEOUT_MS)).then(
      () => true,
      () => false,
    );
  }

  /** After a failure on `e`: true (and the engine marked lost) when it no longer answers. */
  async lostAfterFailure(e: PoolEngine): Promise<boolean> {
    if (this.slots.lost(e.name) !== undefined) return true;
    if (await this.answers(e)) return false;
    this.slots.markLost(e.name, 'stopped answering');
    return true;
  }
}
