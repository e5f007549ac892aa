/**
 * The session's image index (src/cache/image-index.ts) on a fake engine: how long each answer
 * lives. The project's listing is asked once, then served from memory and asked again in the
 * background (an image removed elsewhere is forgotten after one run); images built in the
 * session are known without a listing; an image an inspect finds gone is forgotten at once; a
 * failed listing is not kept; inspects started ahead serve the first run only; base image IDs
 * live for one run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ImageIndex } from '../../src/cache/image-index.js';
import type { ImageInfo, ImageSummary } from '../../src/docker/engine.js';
import { testdir } from '../helpers/testdir.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

/** A project folder whose state records `keys` (image -> its .json.key text). */
function root(keys: Record<string, string> = {}): string {
  const t = testdir(Object.fromEntries(Object.entries(keys).map(([image, text]) => [`.mbuild/state/${image}.json.key`, text])));
  cleanups.push(t.cleanup);
  return t.dir;
}

const labels = (key: string, project = 'p') => ({ 'io.mbuild.project': project, 'io.mbuild.image': 'web', 'io.mbuild.key': key });
/** An image of the engine; `id` without its `sha256:` prefix. */
const img = (id: string, key: string, project = 'p'): ImageSummary => ({ id: `sha256:${id}`, repoTags: [], labels: labels(key, project) });

function fake(initial: ImageSummary[]) {
  const state = { images: [...initial], lists: 0, byMark: 0, inspects: [] as string[], failList: false };
  const engine = {
    /** `lists` counts the listings by label; each goes with one by mark tag (`byMark`), which these images never match. */
    listImages: async (f: { labels: readonly string[]; reference?: string }) => {
      if (f.reference !== undefined) state.byMark++;
      else state.lists++;
      if (state.failList) throw new Error('daemon gone');
      if (f.reference !== undefined) return state.images.filter((i) => i.repoTags.some((t) => t.startsWith(f.reference!.slice(0, -1))));
      return state.images.filter((i) => f.labels.every((l) => i.labels[l.split('=')[0]!] === l.split('=')[1]));
    },
    inspectImage: async (ref: string): Promise<ImageInfo | undefined> => {
      state.inspects.push(ref);
      const i = state.images.find((x) => x.id === ref);
      return i && { id: i.id, repoTags: [], labels: i.labels, size: 1, created: '', layers: [], hasCmd: true, onBuild: [], env: [] };
    },
  };
  return { state, engine };
}

const settle = () => new Promise<void>((r) => setTimeout(r, 0));

describe('ImageIndex: the project listing lives for the session', () => {
  it('lists once, then serves from memory (asking again in the background), and knows what the session built', async () => {
    const dir = root();
    const { state, engine } = fake([img('a', 'k-a'), img('x', 'k-x', 'other')]);
    const images = new ImageIndex(engine);
    const first = images.run('p', dir);
    expect(await first.find('web', 'k-a')).toEqual({ imageId: 'sha256:a', inUse: false });
    expect(await first.find('web', 'k-x')).toBeUndefined();
    expect(state.lists).toBe(1);
    first.built('k-b', 'sha256:b');
    const second = images.run('p', dir);
    expect(await second.find('web', 'k-b')).toEqual({ imageId: 'sha256:b', inUse: false });
    expect(state.lists).toBe(1);
    expect(await second.find('web', 'k-a')).toEqual({ imageId: 'sha256:a', inUse: false });
    expect(await second.find('api', 'k-a')).toEqual({ imageId: 'sha256:a', inUse: false });
    expect(state.lists).toBe(2); // one refresh in the background for the run
    // Another project has its own listing.
    expect(await images.run('other', dir).find('web', 'k-x')).toEqual({ imageId: 'sha256:x', inUse: false });
    expect(state.lists).toBe(3);
    expect(state.byMark).toBe(3);
  });

  it('an image removed elsewhere is served for one more run, then forgotten', async () => {
    const dir = root();
    const { state, engine } = fake([img('a', 'k-a'), img('gone', 'k-gone')]);
    const images = new ImageIndex(engine);
    expect(await images.run('p', dir).find('web', 'k-gone')).toMatchObject({ imageId: 'sha256:gone' });
    state.images = state.images.filter((i) => i.id !== 'sha256:gone');
    expect(await images.run('p', dir).find('web', 'k-gone')).toMatchObject({ imageId: 'sha256:gone' });
    await settle();
    expect(await images.run('p', dir).find('web', 'k-gone')).toBeUndefined();
    expect(await images.run('p', dir).find('web', 'k-a')).toMatchObject({ imageId: 'sha256:a' });
  });

  it('an image an inspect finds gone is forgotten at once, even by a listing served from memory', async () => {
    const dir = root({ app: 'k-x sha256:x\n' });
    const { state, engine } = fake([img('x', 'k-x'), img('y', 'k-y')]);
    const images = new ImageIndex(engine);
    // No state for `web`: the listing, which names x.
    expect(await images.run('p', dir).find('web', 'k-x')).toEqual({ imageId: 'sha256:x', inUse: false });
    state.images = state.images.filter((i) => i.id !== 'sha256:x');
    // `app` recorded x for k-x: its inspect finds x gone; the listing in memory still names it.
    expect(await images.run('p', dir).find('app', 'k-x')).toBeUndefined();
    expect(state.inspects).toEqual(['sha256:x']);
    expect(await images.run('p', dir).find('web', 'k-x')).toBeUndefined();
    // Built again (same ID): known again.
    const run = images.run('p', dir);
    run.built('k-x', 'sha256:x');
    expect(await run.find('web', 'k-x')).toMatchObject({ imageId: 'sha256:x' });
  });

  it('a failed listing is not kept: the next run asks again', async () => {
    const dir = root();
    const { state, engine } = fake([img('a', 'k-a')]);
    const images = new ImageIndex(engine);
    state.failList = true;
    await expect(images.run('p', dir).find('web', 'k-a')).rejects.toThrow('daemon gone');
    state.failList = false;
    expect(await images.run('p', dir).find('web', 'k-a')).toMatchObject({ imageId: 'sha256:a' });
    expect(state.lists).toBe(2);
  });
});

describe('ImageIndex: what lives for one run', () => {
  it('the inspects started ahead serve the first run of their root only; a recorded image is checked by each run', async () => {
    const dir = root({ app: 'k-a sha256:a\n' });
    const { state, engine } = fake([img('a', 'k-a')]);
    const images = new ImageIndex(engine);
    images.expect(dir);
    await settle();
    expect(state.inspects).toEqual(['sha256:a']);
    expect(await images.run('p', dir).find('app', 'k-a')).toMatchObject({ imageId: 'sha256:a', inUse: true, info: { id: 'sha256:a' } });
    expect(state.inspects).toEqual(['sha256:a']);
    expect(await images.run('p', dir).find('app', 'k-a')).toMatchObject({ imageId: 'sha256:a', inUse: true });
    expect(state.inspects).toEqual(['sha256:a', 'sha256:a']);
    // Started for another root: not this run's.
    images.expect(root());
    await settle();
    await images.run('p', dir).find('app', 'k-a');
    expect(state.inspects).toEqual(['sha256:a', 'sha256:a', 'sha256:a']);
    expect(state.lists).toBe(0);
  });

  it('a first run without local state asks for the listing at once (every lookup needs it), and only once', async () => {
    const cold = root();
    const { state, engine } = fake([img('a', 'k-a')]);
    const images = new ImageIndex(engine);
    images.expect(cold);
    const run = images.run('p', cold);
    await settle();
    expect(state.lists).toBe(1);
    expect(await run.find('app', 'k-a')).toMatchObject({ imageId: 'sha256:a' });
    expect(await run.find('web', 'k-b')).toBeUndefined();
    expect(state.lists).toBe(1);
    // With local state, no listing before a lookup needs one.
    const warm = root({ app: 'k-a sha256:a\n' });
    images.expect(warm);
    images.run('p', warm);
    await settle();
    expect(state.lists).toBe(1);
  });

  it("base image IDs are one run's", () => {
    const images = new ImageIndex(fake([]).engine);
    const dir = root();
    const first = images.run('p', dir);
    first.baseIds.set('busybox', Promise.resolve({ id: 'sha256:1', onBuild: false, env: [] }));
    expect(images.run('p', dir).baseIds.size).toBe(0);
  });
});
