/**
 * Deterministic cycle finding: nodes and edges are visited in sorted order, and each
 * cycle is reported once, rotated to start at its smallest node, so the same file
 * always gives the same message (compose-go's checkCycle, wireit's sorted DFS).
 * The DFS keeps its own stack: a chain of 100,000 nodes costs no call stack.
 */
import { byText } from './order.js';

/** A longer cycle is named by its first and last nodes, and noted step by step only that far. */
export const SHOWN_STEPS = 20;

/**
 * `dependency cycle: a -> b -> c -> a`; a cycle of 6,000 images by its ends around `...` and
 * its length, saying so when its notes (`noted` of them) do not cover every step.
 */
export function cycleMessage(what: string, cycle: readonly string[], noted: number): string {
  const steps = cycle.length - 1;
  const half = SHOWN_STEPS / 2;
  const text = steps <= SHOWN_STEPS ? cycle.join(' -> ') : `${[...cycle.slice(0, half), '...', ...cycle.slice(-half)].join(' -> ')} (${steps} images)`;
  return `${what}: ${text}${steps > noted ? `; the first ${noted} of its ${steps} steps are shown` : ''}`;
}

/** At most this many cycles are returned (the first the DFS meets); a hostile graph can hold millions. */
export const MAX_CYCLES = 100;

interface Frame {
  readonly node: string;
  readonly next: readonly string[];
  i: number;
}

/** Returns every elementary cycle found by a sorted DFS, each as a node list `[a, b, a]`. */
export function findCycles(nodes: Iterable<string>, edgesOf: (node: string) => readonly string[]): string[][] {
  const done = new Set<string>();
  /** Node -> its index in `path` while it is being visited. */
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const found = new Map<string, string[]>();
  const frames: Frame[] = [];
  const enter = (node: string): void => {
    onPath.set(node, path.length);
    path.push(node);
    frames.push({ node, next: [...new Set(edgesOf(node))].sort(), i: 0 });
  };
  for (const root of [...nodes].sort()) {
    if (done.has(root) || onPath.has(root)) continue;
    enter(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const next = frame.next[frame.i++];
      if (next === undefined) {
        frames.pop();
        path.pop();
        onPath.delete(frame.node);
        done.add(frame.node);
        continue;
      }
      const at = onPath.get(next);
      if (at !== undefined) {
        if (found.size < MAX_CYCLES) {
          const cycle = closedCycle(path.slice(at));
          found.set(cycle.join('\0'), cycle);
        }
      } else if (!done.has(next)) {
        enter(next);
      }
    }
  }
  return [...found.values()].sort((a, b) => byText(a.join(' '), b.join(' ')));
}

/** `[b, c, a]` (b -> c -> a -> b) as `[a, b, c, a]`: started at its smallest node, closed. */
export function closedCycle(path: readonly string[]): string[] {
  let min = 0;
  for (let i = 1; i < path.length; i++) if (path[i]! < path[min]!) min = i;
  return [...path.slice(min), ...path.slice(0, min), path[min]!];
}
