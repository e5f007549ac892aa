/**
 * Where each image would be built on the pool, as `plan --engine` shows it: the policy the
 * runtime places by, simulated with a unit build time. Pure.
 *
 * Rounds: an image is ready once every upstream image is done (a fresh image is done at
 * the start: it is on home and is not placed). Ready images, the longest `remainingPath`
 * first (then plan order), each go to an engine with a free slot where the fewest bytes
 * must move: the upstream images its build reads on the engine (edge kinds in
 * `READ_ON_ENGINE`) that the engine does not hold; ties go to fewer moves (sizes can be
 * unknown), then the least loaded engine (running / slots), then pool order. An image
 * built away from home is moved home after its build; what moves to an engine stays there.
 */
import type { BuildPlan, EdgeKind } from '../plan/types.js';

/** Upstream images a build reads on the engine it runs on; the others (`mounts`, `context`, `depends_on`) mbuild reads on home. */
export const READ_ON_ENGINE: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['from', 'copy-from', 'mount-from', 'args', 'contexts']);

export interface PredictEngine {
  readonly name: string;
  /** Builds at once there. */
  readonly slots: number;
  /** The images of the plan (by name) it already has, as they are now. */
  readonly holds: ReadonlySet<string>;
}

export interface PlacementInput {
  readonly plan: Pick<BuildPlan, 'images'>;
  /** The images that will be built; the others are fresh (on home). */
  readonly stale: ReadonlySet<string>;
  /** The pool in order: the first is home. */
  readonly engines: readonly PredictEngine[];
  /** Bytes of an image, where known. */
  readonly sizes?: ReadonlyMap<string, number>;
}

export interface Move {
  readonly image: string;
  readonly from: string;
  readonly to: string;
  /** Undefined when the image's size is not known. */
  readonly bytes?: number;
}

export interface ImagePlacement {
  readonly image: string;
  /** Where it is built; undefined for a fresh image. */
  readonly engine?: string;
  /** The upstream images moved to its engine before its build, then the image itself moved home after it. */
  readonly moves: readonly Move[];
}

export interface Placement {
  /** In plan order. */
  readonly images: readonly ImagePlacement[];
  readonly totals: {
    /** Builds per engine, every engine of the pool named (in pool order). */
    readonly builds: readonly { readonly engine: string; readonly count: number }[];
    readonly moves: number;
    /** Bytes moved, of the moves whose size is known. */
    readonly bytes: number;
    /** Moves of an image whose size is not known. */
    readonly unknownSizes: number;
    /** Rounds of builds at unit time: the run's length in builds. */
    readonly rounds: number;
  };
}

export function predictPlacement({ plan, stale, engines, sizes }: PlacementInput): Placement {
  const home = engines[0];
  if (home === undefined) throw new Error('a pool has at least one engine');
  const order = new Map(plan.images.map((image, i) => [image.name, i]));
  const holders = new Map<string, Set<string>>();
  const hold = (image: string, engine: string): void => {
    const set = holders.get(image);
    if (set === undefined) holders.set(image, new Set([engine]));
    else set.add(engine);
  };
  for (const e of engines) for (const image of e.holds) hold(image, e.name);
  const builtOn = new Map<string, string>();
  const placed = new Map<string, { engine: string; moves: Move[] }>();
  const done = new Set(plan.images.filter((i) => !stale.has(i.name)).map((i) => i.name));
  const builds = new Map(engines.map((e) => [e.name, 0]));
  let remaining = plan.images.filter((i) => stale.has(i.name));
  let rounds = 0;
  const move = (image: string, to: string): Move => {
    const held = holders.get(image);
    const from = builtOn.get(image) ?? (held === undefined || held.has(home.name) ? home.name : [...held][0]!);
    const bytes = sizes?.get(image);
    return { image, from, to, ...(bytes !== undefined && { bytes }) };
  };

  while (remaining.length > 0) {
    const ready = remaining
      .filter((i) => i.dependsOn.every((e) => done.has(e.image)))
      .sort((a, b) => b.remainingPath - a.remainingPath || order.get(a.name)! - order.get(b.name)!);
    if (ready.length === 0) throw new Error('the plan has an image whose upstream is not in it');
    const running = new Map(engines.map((e) => [e.name, 0]));
    const started: { name: string; engine: string }[] = [];
    for (const image of ready) {
      const reads = [...new Set(image.dependsOn.filter((e) => READ_ON_ENGINE.has(e.kind)).map((e) => e.image))];
      let best: { engine: PredictEngine; index: number; missing: string[]; bytes: number; load: number } | undefined;
      engines.forEach((engine, index) => {
        const load = running.get(engine.name)!;
        if (load >= engine.slots) return;
        const missing = reads.filter((u) => holders.get(u)?.has(engine.name) !== true);
        const bytes = missing.reduce((sum, u) => sum + (sizes?.get(u) ?? 0), 0);
        const candidate = { engine, index, missing, bytes, load: load / engine.slots };
        if (best === undefined || better(candidate, best)) best = candidate;
      });
      if (best === undefined) break; // every slot is taken this round
      const { engine, missing } = best as { engine: PredictEngine; missing: string[] };
      const moves = missing.map((u) => move(u, engine.name));
      for (const u of missing) hold(u, engine.name);
      running.set(engine.name, running.get(engine.name)! + 1);
      builds.set(engine.name, builds.get(engine.name)! + 1);
      placed.set(image.name, { engine: engine.name, moves });
      started.push({ name: image.name, engine: engine.name });
    }
    rounds++;
    for (const { name, engine } of started) {
      done.add(name);
      builtOn.set(name, engine);
      hold(name, engine);
      if (engine !== home.name) {
        placed.get(name)!.moves.push(move(name, home.name));
        hold(name, home.name);
      }
    }
    const now = new Set(started.map((s) => s.name));
    remaining = remaining.filter((i) => !now.has(i.name));
  }

  const images = plan.images.map((i): ImagePlacement => {
    const p = placed.get(i.name);
    return p === undefined ? { image: i.name, moves: [] } : { image: i.name, engine: p.engine, moves: p.moves };
  });
  const moves = images.flatMap((i) => i.moves);
  return {
    images,
    totals: {
      builds: engines.map((e) => ({ engine: e.name, count: builds.get(e.name)! })),
      moves: moves.length,
      bytes: moves.reduce((sum, m) => sum + (m.bytes ?? 0), 0),
      unknownSizes: moves.filter((m) => m.bytes === undefined).length,
      rounds,
    },
  };
}

interface Candidate {
  readonly index: number;
  readonly missing: readonly string[];
  readonly bytes: number;
  readonly load: number;
}

/** Fewer bytes, then fewer moves, then less loaded, then earlier in the pool. */
const better = (a: Candidate, b: Candidate): boolean =>
  a.bytes !== b.bytes
    ? a.bytes < b.bytes
    : a.missing.length !== b.missing.length
      ? a.missing.length < b.missing.length
      : a.load !== b.load
        ? a.load < b.load
        : a.index < b.index;
