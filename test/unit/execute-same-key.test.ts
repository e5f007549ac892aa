/**
 * One build per key per run (execute/same-key.ts): who builds a key and what the others
 * take; what makes two builds interchangeable (`foldId`); and the worker pool giving a
 * waiting image's slot to another while it waits (`pause`).
 */
import { describe, expect, it } from 'vitest';
import type { ImageSpec } from '../../src/config/types.js';
import { duplicatesOf, foldId } from '../../src/cache/fold.js';
import { SameKey, type Claim } from '../../src/execute/same-key.js';
import { WorkerPool } from '../../src/execute/worker-pool.js';

const first = (c: Claim) => {
  if (!c.first) throw new Error('expected the first claim');
  return c;
};
const waiting = (c: Claim) => {
  if (c.first) throw new Error('expected a waiting claim');
  return c;
};

describe('SameKey', () => {
  it('the first claim builds; the others wait for what it settles, the first settle wins', async () => {
    const keys = new SameKey();
    const a = first(keys.claim('k', 'a'));
    const b = waiting(keys.claim('k', 'b'));
    expect(b.image).toBe('a');
    expect(keys.held('k', 'a')).toBeUndefined();
    a.settle({ kind: 'image', imageId: 'sha256:1', why: 'first build' });
    a.settle({ kind: 'released' });
    expect(await b.shared).toEqual({ kind: 'image', imageId: 'sha256:1', why: 'first build' });
    // An image that comes later in the run takes it too.
    expect(await waiting(keys.claim('k', 'c')).shared).toMatchObject({ kind: 'image' });
    expect(keys.claim('other', 'c').first).toBe(true);
  });

  it('a failure is passed on; a release lets the next image claim the key', async () => {
    const keys = new SameKey();
    first(keys.claim('k', 'a')).settle({ kind: 'failed', failure: { reason: 'build-failed', message: 'x', logTail: [] } });
    expect(await waiting(keys.claim('k', 'b')).shared).toMatchObject({ kind: 'failed' });

    const c = first(keys.claim('j', 'c'));
    const d = waiting(keys.claim('j', 'd'));
    c.settle({ kind: 'released' });
    expect(await d.shared).toEqual({ kind: 'released' });
    expect(keys.claim('j', 'd').first).toBe(true);
    expect(waiting(keys.claim('j', 'e')).image).toBe('d');
  });
});

describe('foldId', () => {
  const spec = (o: Partial<ImageSpec> = {}): ImageSpec => ({ name: 'x', noCache: false, secrets: [], ssh: [], ...o }) as ImageSpec;
  it('is the key for images without their own build settings, whatever their names, tags or outputs', () => {
    const a = spec({ name: 'a', tags: ['a:1'] });
    const b = spec({ name: 'b', tags: ['b:1'], outputs: [{ path: '/x', to: '/p/x', replace: false, origin: [] }] });
    expect(foldId('k', a, false)).toBe(foldId('k', b, false));
    expect(foldId('k', a, false)).not.toBe(foldId('j', a, false));
  });
  it('tells apart a build no cache may skip, and other sources of the same secret id', () => {
    expect(foldId('k', spec({ noCache: true }), false)).not.toBe(foldId('k', spec(), false));
    expect(foldId('k', spec({ noCache: true }), false)).toBe(foldId('k', spec(), true));
    const secret = (file: string) => spec({ secrets: [{ id: 's', source: { kind: 'file', path: file }, origin: ['x'] }] as unknown as ImageSpec['secrets'] });
    expect(foldId('k', secret('/a'), false)).not.toBe(foldId('k', secret('/b'), false));
    expect(foldId('k', secret('/a'), false)).toBe(foldId('k', { ...secret('/a'), name: 'y' }, false));
  });
});

describe('duplicatesOf (mbuild plan)', () => {
  it('groups images of one fold in plan order; an image alone is no duplicate', () => {
    const spec = (name: string, noCache = false) => ({ name, noCache, secrets: [], ssh: [] }) as unknown as ImageSpec;
    const images = [
      { image: spec('a'), key: 'k' },
      { image: spec('x'), key: 'j' },
      { image: spec('b'), key: 'k' },
      { image: spec('n', true), key: 'k' },
      { image: spec('c'), key: 'k' },
    ];
    expect(duplicatesOf(images, false)).toEqual([{ image: 'a', same: ['b', 'c'] }]);
    expect(duplicatesOf(images, true)).toEqual([{ image: 'a', same: ['b', 'n', 'c'] }]);
  });
});

describe('WorkerPool pause', () => {
  it('gives the slot to another job while one waits, and takes one again before going on', async () => {
    const pool = new WorkerPool(1);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let bDone!: () => void;
    const bFinished = new Promise<void>((r) => (bDone = r));
    const a = pool.run(1, async (pause) => {
      order.push('a waits');
      await pause(gate);
      order.push('a goes on');
    });
    const b = pool.run(1, async () => {
      order.push('b runs');
      bDone();
      await gate; // holds the only slot until a's wait is over
      order.push('b ends');
    });
    await bFinished;
    release();
    await Promise.all([a, b]);
    // a got its slot back only once b had ended: never two jobs at once.
    expect(order).toEqual(['a waits', 'b runs', 'b ends', 'a goes on']);
  });
});
