/**
 * Watch's engine wrapper (src/watch/engine-cache.ts) on a fake engine: the key-index
 * listing is served from memory after the first call, images built meanwhile are in it,
 * a background refresh forgets images removed elsewhere but keeps those built while it ran,
 * and removeImage or a daemon failure drops the cache.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BuildOutcome, Engine, ImageSummary } from '../../src/docker/engine.js';
import { withCachedImageList } from '../../src/watch/engine-cache.js';

const FILTER = { labels: ['io.mbuild.project=p'] };
const img = (id: string, project = 'p'): ImageSummary => ({ id, repoTags: [], labels: { 'io.mbuild.project': project, 'io.mbuild.key': `k-${id}` } });

function fake(initial: ImageSummary[]) {
  const state = { images: [...initial], lists: 0, failNext: false, gate: undefined as Promise<void> | undefined };
  const engine = {
    endpoint: { url: 'unix:///fake' },
    listImages: vi.fn(async (f: { labels: readonly string[] }) => {
      state.lists++;
      const snapshot = state.images.filter((i) => f.labels.every((l) => i.labels[l.split('=')[0]!] === l.split('=')[1]));
      if (state.gate) await state.gate;
      return snapshot;
    }),
    build: vi.fn(async (req: { labels: Record<string, string> }): Promise<BuildOutcome> => {
      const id = `sha256:${state.images.length + 100}`;
      state.images.push({ id, repoTags: [], labels: req.labels });
      return { kind: 'succeeded', imageId: id };
    }),
    removeImage: vi.fn(async () => undefined),
    inspectImage: vi.fn(async () => {
      if (state.failNext) throw new Error('daemon gone');
      return undefined;
    }),
  };
  return { state, engine, wrapped: withCachedImageList(engine as unknown as Engine) };
}

const ids = (xs: ImageSummary[]) => xs.map((i) => i.id).sort();
const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe('withCachedImageList', () => {
  it('lists once, then serves from memory, with images built since', async () => {
    const { state, wrapped } = fake([img('a'), img('x', 'other')]);
    expect(ids(await wrapped.listImages(FILTER))).toEqual(['a']);
    const built = await wrapped.build({ labels: img('b').labels } as never, { signal: new AbortController().signal, onEvent: () => undefined });
    expect(built.kind).toBe('succeeded');
    await wrapped.build({ labels: img('y', 'other').labels } as never, { signal: new AbortController().signal, onEvent: () => undefined });
    expect(ids(await wrapped.listImages(FILTER))).toEqual(['a', built.kind === 'succeeded' ? built.imageId : '']);
    expect(state.lists).toBe(2); // the first listing, then one background refresh
    expect(wrapped.endpoint.url).toBe('unix:///fake');
  });

  it('a refresh forgets images removed elsewhere and keeps those built while it ran', async () => {
    const { state, wrapped } = fake([img('a'), img('gone')]);
    await wrapped.listImages(FILTER);
    state.images = state.images.filter((i) => i.id !== 'sha256:gone' && i.id !== 'gone');
    let open!: () => void;
    state.gate = new Promise((r) => (open = r));
    expect(ids(await wrapped.listImages(FILTER))).toEqual(['a', 'gone']); // stale for this one call; refresh started
    const c = await wrapped.build({ labels: img('c').labels } as never, { signal: new AbortController().signal, onEvent: () => undefined });
    open();
    state.gate = undefined;
    await settle();
    await settle();
    expect(ids(await wrapped.listImages(FILTER))).toEqual(['a', c.kind === 'succeeded' ? c.imageId : '']);
  });

  it('removeImage and a daemon failure drop the cache', async () => {
    const { state, wrapped } = fake([img('a')]);
    await wrapped.listImages(FILTER);
    await settle();
    await wrapped.removeImage('x');
    await wrapped.listImages(FILTER);
    expect(state.lists).toBe(2);
    state.failNext = true;
    await expect(wrapped.inspectImage('x')).rejects.toThrow('daemon gone');
    await wrapped.listImages(FILTER);
    expect(state.lists).toBe(3);
  });
});
