import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Engine, ImageInfo } from '../../src/docker/engine.js';
import { Moves } from '../../src/pool/moves.js';
import { placeOn } from '../../src/pool/placement.js';
import { EngineSlots } from '../../src/pool/slots.js';
import type { PoolEngine } from '../../src/pool/types.js';

/** An engine that holds `images` and records exports and loads; `dead`: every call fails. */
function fakeEngine(images: Set<string>, log: string[], name: string, o: { dead?: boolean } = {}): Engine {
  const info = (id: string): ImageInfo => ({ id, repoTags: [], labels: {}, size: 1000, created: '', layers: [], hasCmd: true, onBuild: [], env: [] });
  return {
    inspectImage: async (ref: string) => {
      if (o.dead === true) throw new Error('connect ECONNREFUSED');
      return images.has(ref) ? info(ref) : undefined;
    },
    exportImage: async (ref: string) => {
      log.push(`export ${ref} from ${name}`);
      return Readable.from([Buffer.from(`tar of ${ref}`)]);
    },
    loadImage: async (tar: Readable) => {
      const chunks: Buffer[] = [];
      for await (const c of tar) chunks.push(c as Buffer);
      const id = Buffer.concat(chunks).toString().replace('tar of ', '');
      log.push(`load ${id} into ${name}`);
      images.add(id);
    },
  } as unknown as Engine;
}

const pe = (name: string, engine: Engine, slots = 1, home = false): PoolEngine => ({ name, engine, slots, home });
const never = new AbortController().signal;

describe('placeOn', () => {
  const a = { name: 'a' };
  const b = { name: 'b' };
  const c = { name: 'c' };
  it('picks the engine where the fewest bytes move', () => {
    expect(
      placeOn(
        [a, b, c],
        (e) => ({ a: 30, b: 10, c: 20 })[e.name]!,
        () => 0,
      ),
    ).toBe(b);
  });
  it('then the least loaded, then the first named', () => {
    expect(
      placeOn(
        [a, b, c],
        () => 0,
        (e) => ({ a: 0.5, b: 0, c: 0 })[e.name]!,
      ),
    ).toBe(b);
    expect(
      placeOn(
        [a, b, c],
        () => 0,
        () => 0,
      ),
    ).toBe(a);
  });
  it('never takes a lighter load over fewer bytes', () => {
    expect(
      placeOn(
        [a, b],
        (e) => (e === a ? 0 : 1),
        (e) => (e === a ? 1 : 0),
      ),
    ).toBe(a);
  });
});

describe('EngineSlots', () => {
  const engines = [pe('home', {} as Engine, 1, true), pe('e1', {} as Engine, 1)];
  const first = (free: readonly PoolEngine[]): PoolEngine => free[0]!;

  it('gives a freed slot to the waiting job with the highest priority', async () => {
    const slots = new EngineSlots(engines);
    const l1 = await slots.acquire(1, first, { signal: never });
    const l2 = await slots.acquire(1, first, { signal: never });
    expect([l1?.engine.name, l2?.engine.name]).toEqual(['home', 'e1']);
    const order: string[] = [];
    const low = slots.acquire(1, first, { signal: never }).then((l) => order.push(`low on ${l?.engine.name ?? '-'}`));
    const high = slots.acquire(5, first, { signal: never }).then((l) => order.push(`high on ${l?.engine.name ?? '-'}`));
    l2?.release();
    await high;
    expect(order).toEqual(['high on e1']);
    l1?.release();
    await low;
    expect(order).toEqual(['high on e1', 'low on home']);
  });

  it('a lost engine takes nothing; a job no engine can take gets undefined', async () => {
    const slots = new EngineSlots(engines);
    const busy = await slots.acquire(1, first, { signal: never });
    expect(busy?.engine.name).toBe('home');
    const waiting = slots.acquire(1, first, { signal: never, exclude: new Set(['e1']) });
    slots.markLost('e1', 'gone');
    expect(slots.alive().map((e) => e.name)).toEqual(['home']);
    busy?.release();
    expect((await waiting)?.engine.name).toBe('home');
    slots.markLost('home', 'gone');
    expect(await slots.acquire(1, first, { signal: never })).toBeUndefined();
  });

  it('an aborted wait resolves undefined and takes no slot', async () => {
    const slots = new EngineSlots([engines[0]!]);
    const held = await slots.acquire(1, first, { signal: never });
    const ac = new AbortController();
    const waiting = slots.acquire(1, first, { signal: ac.signal });
    ac.abort();
    expect(await waiting).toBeUndefined();
    held?.release();
    expect(slots.load(engines[0]!)).toBe(0);
  });

  it('release twice frees one slot', async () => {
    const slots = new EngineSlots([pe('x', {} as Engine, 2)]);
    const l = await slots.acquire(1, first, { signal: never });
    await slots.acquire(1, first, { signal: never });
    l?.release();
    l?.release();
    expect(slots.load(slots.engines[0]!)).toBe(0.5);
  });
});

describe('Moves', () => {
  it('moves an image once per engine, however many builds wait for it', async () => {
    const log: string[] = [];
    const home = pe('home', fakeEngine(new Set(['sha256:a']), log, 'home'), 1, true);
    const e1 = pe('e1', fakeEngine(new Set(), log, 'e1'));
    const moves = new Moves(() => [home, e1]);
    const [x, y] = await Promise.all([moves.ensure('sha256:a', e1, never), moves.ensure('sha256:a', e1, never)]);
    expect(x).toEqual(y);
    expect(x.ok && x.value?.from).toBe('home');
    expect(x.ok && x.value?.via).toBe('stream');
    expect(x.ok && x.value?.bytes).toBe('tar of sha256:a'.length);
    expect(log).toEqual(['export sha256:a from home', 'load sha256:a into e1']);
    expect(await moves.ensure('sha256:a', e1, never)).toEqual(x);
    expect(await moves.ensure('sha256:a', home, never)).toEqual({ ok: true, value: undefined });
    expect(log).toHaveLength(2);
  });

  it('takes the image from an engine that holds it, and fails when none does', async () => {
    const log: string[] = [];
    const home = pe('home', fakeEngine(new Set(), log, 'home'), 1, true);
    const e1 = pe('e1', fakeEngine(new Set(['sha256:b']), log, 'e1'));
    const e2 = pe('e2', fakeEngine(new Set(), log, 'e2'));
    const moves = new Moves(() => [home, e1, e2]);
    const r = await moves.ensure('sha256:b', home, never);
    expect(r.ok && r.value?.from).toBe('e1');
    const none = await moves.ensure('sha256:zz', e2, never);
    expect(none.ok).toBe(false);
    expect(!none.ok && none.error.message).toMatch(/no engine of the pool holds image sha256:zz/);
  });

  it('a route (the shared cache) is tried first; its failure falls back to a stream', async () => {
    const log: string[] = [];
    const homeImages = new Set(['sha256:c']);
    const home = pe('home', fakeEngine(homeImages, log, 'home'), 1, true);
    const e1Images = new Set<string>();
    const e1 = pe('e1', fakeEngine(e1Images, log, 'e1'));
    const moves = new Moves(() => [home, e1]);
    const viaCache = await moves.ensure('sha256:c', e1, never, async () => {
      e1Images.add('sha256:c');
      return { from: 'reg/cache:k', bytes: 5 };
    });
    expect(viaCache.ok && viaCache.value).toMatchObject({ via: 'cache', from: 'reg/cache:k', bytes: 5 });
    expect(log).toEqual([]);
    const e2 = pe('e2', fakeEngine(new Set(), log, 'e2'));
    const moves2 = new Moves(() => [home, e2]);
    const streamed = await moves2.ensure('sha256:c', e2, never, async () => undefined);
    expect(streamed.ok && streamed.value?.via).toBe('stream');
  });

  it('an engine that does not answer holds nothing, and a failed move can be tried again', async () => {
    const log: string[] = [];
    const dead = pe('dead', fakeEngine(new Set(['sha256:d']), log, 'dead', { dead: true }));
    const home = pe('home', fakeEngine(new Set(), log, 'home'), 1, true);
    let alive = [home, dead];
    const moves = new Moves(() => alive);
    expect(await moves.holds('sha256:d', dead)).toBe(false);
    expect((await moves.ensure('sha256:d', home, never)).ok).toBe(false);
    const e1 = pe('e1', fakeEngine(new Set(['sha256:d']), log, 'e1'));
    alive = [home, e1];
    const again = await moves.ensure('sha256:d', home, never);
    expect(again.ok && again.value?.from).toBe('e1');
  });
});
