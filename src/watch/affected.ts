/**
 * The images a change affects: the changed ones plus everything downstream through every
 * kind of edge (args, FROM, COPY --from, mounts, depends_on), in plan order.
 */
import type { BuildPlan } from '../plan/types.js';

export function affectedImages(plan: BuildPlan, changed: ReadonlySet<string>): string[] {
  const byName = new Map(plan.images.map((i) => [i.name, i]));
  const out = new Set<string>();
  const visit = (name: string): void => {
    if (out.has(name) || !byName.has(name)) return;
    out.add(name);
    byName.get(name)!.dependents.forEach(visit);
  };
  changed.forEach(visit);
  return plan.images.map((i) => i.name).filter((n) => out.has(n));
}

/** The plan restricted to `images`; edges to images outside it are kept (their IDs are known). */
export function subPlan(plan: BuildPlan, images: readonly string[]): BuildPlan {
  const keep = new Set(images);
  return {
    ...plan,
    images: plan.images.filter((i) => keep.has(i.name)),
    waves: plan.waves.map((w) => w.filter((n) => keep.has(n))).filter((w) => w.length > 0),
  };
}

/**
 * `images` plus, transitively, every upstream in the plan that has no built ID yet (its
 * build failed or never ran): a dependent cannot be built without it. Plan order.
 */
export function withUnbuiltUpstream(plan: BuildPlan, images: readonly string[], known: ReadonlyMap<string, string>): string[] {
  const byName = new Map(plan.images.map((i) => [i.name, i]));
  const out = new Set<string>();
  const visit = (name: string): void => {
    if (out.has(name)) return;
    out.add(name);
    for (const e of byName.get(name)?.dependsOn ?? []) if (!known.has(e.image) && byName.has(e.image)) visit(e.image);
  };
  images.forEach(visit);
  return plan.images.map((i) => i.name).filter((n) => out.has(n));
}
