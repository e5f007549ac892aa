/** Rules about cycles: in the dependency graph as written, and in `extends` chains. */
import { findCycles } from '../../core/cycles.js';
import { error, references, type Reference, type Rule } from './rule.js';

export const dependencyCycle: Rule = ({ file }) => {
  const edges = new Map<string, Reference[]>();
  for (const ref of references(file)) {
    if (file.images.has(ref.to)) edges.set(ref.from, [...(edges.get(ref.from) ?? []), ref]);
  }
  return findCycles(file.images.keys(), (n) => (edges.get(n) ?? []).map((r) => r.to)).map((cycle) => {
    const steps = cycle.slice(1).map((to, i) => (edges.get(cycle[i]!) ?? []).find((r) => r.to === to)!);
    const [first] = steps;
    return error(
      'dependency-cycle',
      `dependency cycle: ${cycle.join(' -> ')}`,
      file.locate.value(first!.at),
      steps.map((s) => ({ message: `'${s.from}' depends on '${s.to}' through ${s.via}`, location: file.locate.value(s.at) })),
    );
  });
};

export const extendsCycle: Rule = ({ written, file }) =>
  findCycles(Object.keys(written.images), (n) => {
    const parent = written.images[n]?.extends;
    return parent !== undefined && parent in written.images ? [parent] : [];
  }).map((cycle) =>
    error(
      'extends-cycle',
      `extends cycle: ${cycle.join(' -> ')}`,
      file.locate.value(['images', cycle[0]!, 'extends']),
      cycle.slice(0, -1).map((name, i) => ({
        message: `'${name}' extends '${cycle[i + 1]}'`,
        location: file.locate.value(['images', name, 'extends']),
      })),
    ),
  );
