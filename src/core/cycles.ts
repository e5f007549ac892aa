/**
 * Deterministic cycle finding: nodes and edges are visited in sorted order, and each
 * cycle is reported once, rotated to start at its smallest node, so the same file
 * always gives the same message (compose-go's checkCycle, wireit's sorted DFS).
 */
import { byText } from './order.js';

/** Returns every elementary cycle found by a sorted DFS, each as a node list `[a, b, a]`. */
export function findCycles(nodes: Iterable<string>, edgesOf: (node: string) => readonly string[]): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of [...new Set(edgesOf(node))].sort()) {
      const s = state.get(next);
      if (s === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        const rotated = rotateToSmallest(cycle);
        found.set(rotated.join('\0'), [...rotated, rotated[0]!]);
      } else if (s === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...nodes].sort()) if (!state.has(node)) visit(node);
  return [...found.values()].sort((a, b) => byText(a.join(' '), b.join(' ')));
}

function rotateToSmallest(cycle: string[]): string[] {
  let min = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]! < cycle[min]!) min = i;
  return [...cycle.slice(min), ...cycle.slice(0, min)];
}
