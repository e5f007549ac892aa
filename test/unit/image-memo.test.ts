import { describe, expect, it } from 'vitest';
import type { Engine, ImageInfo } from '../../src/docker/engine.js';
import { rememberImageIds } from '../../src/execute/image-memo.js';

const ID = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const info = (id: string): ImageInfo => ({ id, repoTags: [], labels: {}, size: 1, created: '', layers: [], hasCmd: true, onBuild: [], env: [] });

/** An engine holding `images` that counts the inspects it answers; `failNext` makes the next inspect reject. */
class CountingEngine {
  asked: string[] = [];
  removed: string[] = [];
  failNext = false;
  constructor(readonly images: Set<string>) {}
  inspectImage(ref: string): Promise<ImageInfo | undefined> {
    this.asked.push(ref);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('connect ECONNREFUSED'));
    }
    return Promise.resolve(this.images.has(ref) ? info(ref) : undefined);
  }
  removeImage(ref: string): Promise<void> {
    this.removed.push(ref);
    this.images.delete(ref);
    return Promise.resolve();
  }
  /** Uses `this`: the memo must call it on the engine itself. */
  tagImage(imageId: string, tag: string): Promise<void> {
    this.asked.push(`tag ${imageId} ${tag}`);
    return Promise.resolve();
  }
}

const memo = (images: string[]) => {
  const inner = new CountingEngine(new Set(images));
  return { inner, engine: rememberImageIds(inner as unknown as Engine) };
};

describe('rememberImageIds', () => {
  it('asks the engine once per image ID', async () => {
    const { inner, engine } = memo([ID]);
    const [a, b] = await Promise.all([engine.inspectImage(ID), engine.inspectImage(ID)]);
    expect(await engine.inspectImage(ID)).toEqual(a);
    expect(b?.id).toBe(ID);
    expect(inner.asked).toEqual([ID]);
  });

  it('always asks for tags and other references', async () => {
    const { inner, engine } = memo(['busybox:latest']);
    await engine.inspectImage('busybox:latest');
    await engine.inspectImage('busybox:latest');
    expect(inner.asked).toEqual(['busybox:latest', 'busybox:latest']);
  });

  it('asks again for a missing image and after a failed request', async () => {
    const { inner, engine } = memo([]);
    expect(await engine.inspectImage(ID)).toBeUndefined();
    inner.images.add(ID);
    expect((await engine.inspectImage(ID))?.id).toBe(ID);
    inner.failNext = true;
    await expect(engine.inspectImage(OTHER)).rejects.toThrow('ECONNREFUSED');
    expect(await engine.inspectImage(OTHER)).toBeUndefined();
    expect(inner.asked).toEqual([ID, ID, OTHER, OTHER]);
  });

  it('forgets what it knows when mbuild removes an image', async () => {
    const { inner, engine } = memo([ID]);
    await engine.inspectImage(ID);
    await engine.removeImage(ID);
    expect(await engine.inspectImage(ID)).toBeUndefined();
    expect(inner.removed).toEqual([ID]);
    expect(inner.asked).toEqual([ID, ID]);
  });

  it('never shares an inspect the caller may drop', async () => {
    const { inner, engine } = memo([ID]);
    await engine.inspectImage(ID, new AbortController().signal);
    await engine.inspectImage(ID);
    await engine.inspectImage(ID);
    expect(inner.asked).toEqual([ID, ID]);
  });

  it('passes every other call to the engine itself', async () => {
    const { inner, engine } = memo([ID]);
    await engine.tagImage(ID, 'x:1');
    expect(inner.asked).toEqual([`tag ${ID} x:1`]);
  });
});
