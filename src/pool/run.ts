/**
 * One run's view of the pool: its engines' slots, the moves between them, and which engines
 * still answer. Made per run (watch makes one per run), so an engine lost in one run is asked
 * again in the next.
 */
import { Moves, type Moved } from './moves.js';
import { EngineSlots } from './slots.js';
import type { PoolEngine } from './types.js';

/** How long an engine may take to answer before it counts as lost. */
const ANSWER_TIMEOUT_MS = 5000;

export interface PoolRunOptions {
  readonly engines: readonly PoolEngine[];
  /** `--tag-everywhere`: every image moved to and tagged on every engine, not only the home one. */
  readonly tagEverywhere: boolean;
  /** Told of every move. */
  readonly onMoved?: (moved: Moved) => void;
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
    this.moves = new Moves(() => this.slots.alive(), o.onMoved);
  }

  /** Whether the engine still answers (an inspect of an image that cannot exist, at most 5 s). */
  async answers(e: PoolEngine): Promise<boolean> {
    const nothing = `sha256:${'0'.repeat(64)}`;
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), ANSWER_TIMEOUT_MS).unref());
    return Promise.race([
      e.engine.inspectImage(nothing).then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  }

  /** After a failure on `e`: true (and the engine marked lost) when it no longer answers. */
  async lostAfterFailure(e: PoolEngine): Promise<boolean> {
    if (this.slots.lost(e.name) !== undefined) return true;
    if (await this.answers(e)) return false;
    this.slots.markLost(e.name, 'it stopped answering');
    return true;
  }
}
