/** The placement `plan --engine` shows (pool/predict.ts): list scheduling at unit build time, the fewest bytes moved. */
import { describe, expect, it } from 'vitest';
import type { EdgeKind, PlannedImage } from '../../src/plan/types.js';
import { predictPlacement, type PredictEngine } from '../../src/pool/predict.js';

/** Images in plan order: `[name, remainingPath, [upstream, kind][]]`. */
const plan = (...images: [string, number, [string, EdgeKind][]?][]): { images: PlannedImage[] } => ({
  images: images.map(([name, remainingPath, ups = []]) => ({
    name,
    tags: [],
    dependsOn: ups.map(([image, kind]) => ({ image, kind, detail: '' })),
    dependents: [],
    wave: 0,
    remainingPath,
  })),
});

const engine = (name: string, slots = 1, holds: string[] = []): PredictEngine => ({ name, slots, holds: new Set(holds) });
const where = (p: ReturnType<typeof predictPlacement>): Record<string, string | undefined> => Object.fromEntries(p.images.map((i) => [i.image, i.engine]));

describe('predictPlacement', () => {
  it('spreads independent images over free slots, the longest path first, and moves each one built away home', () => {
    const p = predictPlacement({
      plan: plan(['a', 1], ['b', 2], ['c', 1], ['d', 1, [['b', 'from']]]),
      stale: new Set(['a', 'b', 'c', 'd']),
      engines: [engine('home'), engine('w')],
    });
    // Round 1: b (path 2) on home, a on w; round 2: c first (plan order) takes home, d goes to w and b moves there.
    expect(where(p)).toEqual({ a: 'w', b: 'home', c: 'home', d: 'w' });
    expect(p.images.find((i) => i.image === 'a')!.moves).toEqual([{ image: 'a', from: 'w', to: 'home' }]);
    expect(p.images.find((i) => i.image === 'd')!.moves).toEqual([
      { image: 'b', from: 'home', to: 'w' },
      { image: 'd', from: 'w', to: 'home' },
    ]);
    expect(p.totals).toEqual({
      builds: [
        { engine: 'home', count: 2 },
        { engine: 'w', count: 2 },
      ],
      moves: 3,
      bytes: 0,
      unknownSizes: 3,
      rounds: 2,
    });
  });

  it('moves an upstream built elsewhere to the engine that reads it, from the engine that built it, with its size', () => {
    const p = predictPlacement({
      plan: plan(['base', 3], ['x', 2], ['mid', 2, [['base', 'from']]], ['top', 1, [['mid', 'copy-from']]]),
      stale: new Set(['base', 'x', 'mid', 'top']),
      engines: [engine('home'), engine('w')],
      sizes: new Map([
        ['base', 100],
        ['mid', 10],
      ]),
    });
    // Round 1: base (3) home, x w; round 2: mid on home (holds base), nothing else ready; round 3: top on home (holds mid).
    expect(where(p)).toEqual({ base: 'home', x: 'w', mid: 'home', top: 'home' });
    expect(p.totals.moves).toBe(1);
    expect(p.totals.rounds).toBe(3);
  });

  it('prefers the engine that holds the bytes a build reads, and counts what moves', () => {
    const p = predictPlacement({
      plan: plan(['big', 2], ['small', 2], ['one', 1, [['big', 'from']]], ['two', 1, [['small', 'from']]], ['three', 1, [['big', 'from']]]),
      stale: new Set(['one', 'two', 'three']),
      engines: [engine('home', 1, ['big', 'small']), engine('w', 2, ['big'])],
      sizes: new Map([
        ['big', 1000],
        ['small', 5],
      ]),
    });
    // one: both hold big, w is less loaded? no: both at 0, pool order: home. two: home busy, w lacks small (5 bytes).
    // three: home busy; w holds big.
    expect(where(p)).toEqual({ big: undefined, small: undefined, one: 'home', two: 'w', three: 'w' });
    expect(p.images.find((i) => i.image === 'two')!.moves).toEqual([
      { image: 'small', from: 'home', to: 'w', bytes: 5 },
      { image: 'two', from: 'w', to: 'home' },
    ]);
    expect(p.totals).toMatchObject({ moves: 3, bytes: 5, unknownSizes: 2, rounds: 1 });
  });

  it('a build waits for a slot rather than moving bytes when no slot is free', () => {
    const p = predictPlacement({
      plan: plan(['a', 1], ['b', 1], ['c', 1]),
      stale: new Set(['a', 'b', 'c']),
      engines: [engine('home', 2), engine('w', 1)],
    });
    // Least loaded first: a home (0/2), b w (0/1), c home (1/2 < 1/1).
    expect(where(p)).toEqual({ a: 'home', b: 'w', c: 'home' });
    expect(p.totals.rounds).toBe(1);
    const one = predictPlacement({ plan: plan(['a', 1], ['b', 1], ['c', 1]), stale: new Set(['a', 'b', 'c']), engines: [engine('home')] });
    expect(one.totals.rounds).toBe(3);
    expect(one.totals.moves).toBe(0);
  });

  it('counts only the edges a build reads on its engine: mounts, context and depends_on are read on home', () => {
    const kinds: EdgeKind[] = ['mounts', 'context', 'depends_on'];
    for (const kind of kinds) {
      const p = predictPlacement({
        plan: plan(['big', 1], ['busy', 1], ['user', 1, [['big', kind]]]),
        stale: new Set(['busy', 'user']),
        engines: [engine('home', 1, ['big']), engine('w', 1)],
        sizes: new Map([['big', 1000]]),
      });
      // Both ready at once: busy goes home first (plan order), user to w moves nothing for `kind`.
      expect(where(p)).toMatchObject({ busy: 'home', user: 'w' });
      expect(p.images.find((i) => i.image === 'user')!.moves).toEqual([{ image: 'user', from: 'w', to: 'home' }]);
    }
    for (const kind of ['from', 'copy-from', 'mount-from', 'args', 'contexts'] as EdgeKind[]) {
      const p = predictPlacement({
        plan: plan(['big', 1], ['user', 1, [['big', kind]]]),
        stale: new Set(['user']),
        engines: [engine('w0', 1), engine('w', 1, ['big'])],
        sizes: new Map([['big', 1000]]),
      });
      expect(where(p).user).toBe('w');
    }
  });

  it('places no fresh image, and a downstream of a fresh one reads it where it is', () => {
    const p = predictPlacement({
      plan: plan(['base', 2], ['app', 1, [['base', 'from']]]),
      stale: new Set(['app']),
      engines: [engine('home', 1, ['base']), engine('w', 4)],
      sizes: new Map([['base', 7]]),
    });
    expect(p.images).toEqual([
      { image: 'base', moves: [] },
      { image: 'app', engine: 'home', moves: [] },
    ]);
    expect(p.totals.builds).toEqual([
      { engine: 'home', count: 1 },
      { engine: 'w', count: 0 },
    ]);
  });
});
