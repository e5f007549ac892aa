/** Rules about cycles: in the dependency graph as written, and in `extends` chains. */
import type { Diagnostic, Location, RelatedInformation } from '../../core/diagnostic.js';
import { cycleMessage, findCycles, SHOWN_STEPS } from '../../core/cycles.js';
import { error, references, type Reference, type Rule } from './rule.js';

/** `notes`: one per step shown (at most SHOWN_STEPS). */
function cycleError(code: string, what: string, cycle: readonly string[], at: Location, notes: RelatedInformation[]): Diagnostic {
  return error(code, cycleMessage(what, cycle, notes.length), at, notes);
}

export const dependencyCycle: Rule = ({ file }) => {
  const edges = new Map<string, Reference[]>();
  for (const ref of references(file)) {
    if (!file.images.has(ref.to)) continue;
    const out = edges.get(ref.from);
    if (out === undefined) edges.set(ref.from, [ref]);
    else out.push(ref);
  }
  return findCycles(file.images.keys(), (n) => (edges.get(n) ?? []).map((r) => r.to)).map((cycle) => {
    const steps = cycle.slice(1, SHOWN_STEPS + 1).map((to, i) => (edges.get(cycle[i]!) ?? []).find((r) => r.to === to)!);
    const notes = steps.map((s) => ({ message: `'${s.from}' depends on '${s.to}' through ${s.via}`, location: file.locate.value(s.at) }));
    return cycleError('dependency-cycle', 'dependency cycle', cycle, file.locate.value(steps[0]!.at), notes);
  });
};

export const extendsCycle: Rule = ({ written, file }) =>
  findCycles(Object.keys(written.images), (n) => {
    const parent = written.images[n]?.extends;
    return parent !== undefined && Object.hasOwn(written.images, parent) ? [parent] : [];
  }).map((cycle) =>
    cycleError(
      'extends-cycle',
      'extends cycle',
      cycle,
      file.locate.value(['images', cycle[0]!, 'extends']),
      cycle
        .slice(0, -1)
        .slice(0, SHOWN_STEPS)
        .map((name, i) => ({
          message: `'${name}' extends '${cycle[i + 1]!}'`,
          location: file.locate.value(['images', name, 'extends']),
        })),
    ),
  );
