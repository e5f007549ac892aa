/**
 * Phase 6: createPlan(file, dockerfile refs, names) -> BuildPlan. Pure: no I/O.
 * Selects the requested images or groups plus everything they depend on, orders them
 * topologically, and ranks each by the longest chain of work still behind it.
 */
import { byText } from '../core/order.js';
import { err, ok, type Result } from '../core/result.js';
import type { BuildFile } from '../config/types.js';
import { cyclesAmong, edgesOf, type GraphCycle } from './graph.js';
import type { BuildPlan, DockerfileReference, PlannedImage } from './types.js';

export type PlanError =
  | { readonly reason: 'unknown-name'; readonly name: string; readonly suggestion?: string }
  | ({ readonly reason: 'cycle' } & GraphCycle);

/** Images named by `names` (images or groups); no names: the `default` group, else every image. */
export function selectImages(file: BuildFile, names: readonly string[]): Result<string[], PlanError> {
  if (names.length === 0) return ok([...(file.groups.get('default') ?? file.images.keys())]);
  const out: string[] = [];
  for (const name of names) {
    if (file.images.has(name)) out.push(name);
    else if (file.groups.has(name)) out.push(...file.groups.get(name)!);
    else return err({ reason: 'unknown-name', name });
  }
  return ok([...new Set(out)]);
}

export function createPlan(
  file: BuildFile,
  dockerfileRefs: ReadonlyMap<string, readonly DockerfileReference[]>,
  names: readonly string[],
): Result<BuildPlan, PlanError> {
  const selected = selectImages(file, names);
  if (!selected.ok) return selected;
  const edges = edgesOf(file, dockerfileRefs);
  const upstreamOf = (n: string) => (edges.get(n) ?? []).map((e) => e.image);

  const included = new Set<string>();
  const visit = (n: string): void => {
    if (included.has(n)) return;
    included.add(n);
    upstreamOf(n).forEach(visit);
  };
  selected.value.forEach(visit);

  const [cycle] = cyclesAmong(edges, included);
  if (cycle) return err({ reason: 'cycle', ...cycle });

  const dependents = new Map<string, string[]>([...included].map((n) => [n, []]));
  for (const n of included) for (const up of new Set(upstreamOf(n))) dependents.get(up)!.push(n);

  const wave = new Map<string, number>();
  const waveOf = (n: string): number => {
    const known = wave.get(n);
    if (known !== undefined) return known;
    const w = Math.max(-1, ...upstreamOf(n).map(waveOf)) + 1;
    wave.set(n, w);
    return w;
  };
  const remaining = new Map<string, number>();
  const remainingOf = (n: string): number => {
    const known = remaining.get(n);
    if (known !== undefined) return known;
    const r = 1 + Math.max(0, ...dependents.get(n)!.map(remainingOf));
    remaining.set(n, r);
    return r;
  };

  const order = [...included].sort((a, b) => waveOf(a) - waveOf(b) || remainingOf(b) - remainingOf(a) || byText(a, b));
  const images: PlannedImage[] = order.map((name) => ({
    name,
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
    const below = dependents.get(next)!.filter((d) => remainingOf(d) === remainingOf(next!) - 1).sort();
    next = below[0];
  }
  return ok({ project: file.name, requested: [...names], images, waves, criticalPath });
}
