/**
 * Where a build goes (the runtime's choice and `plan --engines`' prediction): of the engines
 * free now, the one where the fewest bytes must move (the upstream images its build reads
 * that the engine does not hold), then the least loaded (builds running over slots), then
 * the first named. An image never waits for a busy engine while another is free: a move
 * costs about 14 ms per MiB (docs/benchmarks.md, "Engine pool"), far less than a build slot left idle.
 */
import type { PoolEngine } from './types.js';

export function placeOn<E extends Pick<PoolEngine, 'name'>>(free: readonly E[], bytesOn: (e: E) => number, load: (e: E) => number): E {
  let best = free[0];
  if (best === undefined) throw new Error('Internal error: no free engine to place on');
  let bestBytes = bytesOn(best);
  let bestLoad = load(best);
  for (const e of free.slice(1)) {
    const bytes = bytesOn(e);
    const l = load(e);
    if (bytes < bestBytes || (bytes === bestBytes && l < bestLoad)) {
      best = e;
      bestBytes = bytes;
      bestLoad = l;
    }
  }
  return best;
}
