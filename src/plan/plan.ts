/**
 * Phase 6: createPlan(file, dockerfile refs, names) -> BuildPlan. Pure: no I/O.
 * Selects the requested images or groups plus everything they depend on, orders them
 * topologically, and ranks each by the longest chain of work still behind it.
 */
import { byText } from '../core/order.js';
import { err, ok, type Result } from '../core/result.js';
import type { BuildFile } from '../config/types.js';
import { cyclesAmong, edgesOf, type GraphCycle } from './graph.js';
import type { BuildPlan, DockerfileReference, Edge, PlannedImage } from './types.js';

export type PlanError = { readonly reason: 'unknown-name'; readonly name: string; readonly suggestion?: string } | ({ readonly reason: 'cycle' } & GraphCycle);

/** Images named by `names` (images or groups); no names: the `default` group, else every image. */
export function selectImages(file: BuildFile, names: readonly string[]): Result<string[], PlanError> {
  if (names.length === 0) return ok([...(file.groups.get('default') ?? file.images.keys())]);
  const out: string[] = [];
  for (const name of names) {
    if (file.images.has(name)) out.push(name);
    else if (file.groups.has(name)) for (const member of file.groups.get(name)!) out.push(member);
    else return err({ reason: 'unknown-name', name });
  }
  return ok([...new Set(out)]);
}

export function createPlan(
  file: BuildFile,
  dockerfileRefs: ReadonlyMap<string, readonly DockerfileReference[]>,
  names: readonly string[],
  /** The graph's edges, when the caller already has them (load/ checks its cycles first): edgesOf(file, dockerfileRefs). */
  edges: ReadonlyMap<string, readonly Edge[]> = edgesOf(file, dockerfileRefs),
): Result<BuildPlan, PlanError> {
  const selected = selectImages(file, names);
  if (!selected.ok) return selected;
  const upstreams = new Map<string, readonly string[]>();
  const upstreamOf = (n: string): readonly string[] => {
    let ups = upstreams.get(n);
    if (ups === undefined) upstreams.set(n, (ups = [...new Set((edges.get(n) ?? []).map((e) => e.image))]));
    return ups;
  };

  const included = reachable(selected.value, upstreamOf);
  const dependents = new Map<string, string[]>([...included].map((n) => [n, []]));
  for (const n of included) for (const up of upstreamOf(n)) dependents.get(up)!.push(n);
  const { wave, remaining, sorted } = levels(included, upstreamOf, dependents);
  // Kahn's pass leaves out exactly the images on or behind a cycle: only then is it looked for (issue 22).
  if (sorted < included.size) {
    const [cycle] = cyclesAmong(edges, included);
    if (cycle) return err({ reason: 'cycle', ...cycle });
  }
  const waveOf = (n: string): number => wave.get(n)!;
  const remainingOf = (n: string): number => remaining.get(n)!;

  const order = [...included].sort((a, b) => waveOf(a) - waveOf(b) || remainingOf(b) - remainingOf(a) || byText(a, b));
  const images: PlannedImage[] = order.map((name) => ({
    name,
    tags: file.images.get(name)!.tags,
    dependsOn: edges.get(name) ?? [],
    dependents: [...dependents.get(name)!].sort(),
    wave: waveOf(name),
    remainingPath: remainingOf(name),
  }));
  const waves: string[][] = [];
  for (const image of images) (waves[image.wave] ??= []).push(image.name);

  const criticalPath: string[] = [];
  let next: string | undefined = images.filter((i) => i.wave === 0).sort((a, b) => b.remainingPath - a.remainingPath || byText(a.name, b.name))[0]?.name;
  while (next !== undefined) {
    criticalPath.push(next);
    const below = dependents
      .get(next)!
      .filter((d) => remainingOf(d) === remainingOf(next!) - 1)
      .sort();
    next = below[0];
  }
  return ok({ project: file.name, requested: [...names], images, waves, criticalPath });
}

/** `roots` and everything they depend on. */
function reachable(roots: readonly string[], upstreamOf: (n: string) => readonly string[]): Set<string> {
  const included = new Set<string>(roots);
  const queue = [...included];
  for (let i = 0; i < queue.length; i++) {
    for (const up of upstreamOf(queue[i]!)) {
      if (!included.has(up)) {
        included.add(up);
        queue.push(up);
      }
    }
  }
  return included;
}

/**
 * Wave (longest chain of upstreams) and remaining path (longest chain of dependents, itself
 * included) of every image of an acyclic graph, in one topological pass each way (Kahn).
 */
function levels(
  included: ReadonlySet<string>,
  upstreamOf: (n: string) => readonly string[],
  dependents: ReadonlyMap<string, readonly string[]>,
): { wave: Map<string, number>; remaining: Map<string, number>; sorted: number } {
  // `upstreamOf`: each upstream once.
  const waiting = new Map<string, number>([...included].map((n) => [n, upstreamOf(n).length]));
  const topo = [...included].filter((n) => waiting.get(n) === 0);
  const wave = new Map<string, number>(topo.map((n) => [n, 0]));
  for (let i = 0; i < topo.length; i++) {
    const n = topo[i]!;
    for (const down of dependents.get(n)!) {
      wave.set(down, Math.max(wave.get(down) ?? 0, wave.get(n)! + 1));
      const left = waiting.get(down)! - 1;
      waiting.set(down, left);
      if (left === 0) topo.push(down);
    }
  }
  const remaining = new Map<string, number>();
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i]!;
    let longest = 0;
    for (const down of dependents.get(n)!) longest = Math.max(longest, remaining.get(down)!);
    remaining.set(n, 1 + longest);
  }
  return { wave, remaining, sorted: topo.length };
}
