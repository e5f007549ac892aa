/** The garbage policy's selection (cache/gc.ts): pure, from histories, the built record, the engine's images and containers. */
import { describe, expect, it } from 'vitest';
import { mayHaveGarbage, pinImage, selectGarbage, type GcInput } from '../../src/cache/gc.js';
import { markTag, pinnedRef } from '../../src/core/labels.js';
import type { ImageSummary } from '../../src/docker/engine.js';

const P = 'shop';
const id = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const img = (n: number, image: string, tags: string[] = [], more: Partial<ImageSummary> = {}): ImageSummary => ({
  id: id(n),
  repoTags: tags,
  labels: { 'io.mbuild.project': P, 'io.mbuild.image': image, 'io.mbuild.key': `k${n}` },
  ...more,
});
const pin = (image: string, n: number): string => pinnedRef(P, image, id(n));

/** `api` built 1..6 (6 current, tagged), all in the record; keep 3. */
function input(o: Partial<GcInput> = {}): GcInput {
  return {
    project: P,
    keep: 3,
    histories: new Map([['api', [6, 5, 4, 3, 2, 1].map(id)]]),
    built: new Set([1, 2, 3, 4, 5, 6].map(id)),
    images: [img(6, 'api', ['shop-api:latest', pin('api', 6)]), ...[5, 4, 3, 2, 1].map((n) => img(n, 'api', [pin('api', n)]))],
    inUse: new Set(),
    ...o,
  };
}
const removed = (i: GcInput) => selectGarbage(i).images.map((x) => x.imageId);

describe('selectGarbage', () => {
  it('removes the builds beyond keep, with their superseded pins, and keeps the last keep builds', () => {
    const s = selectGarbage(input());
    expect(s.images.map((x) => x.imageId).sort()).toEqual([1, 2, 3].map(id));
    expect(s.images.find((x) => x.imageId === id(2))?.pins).toEqual([pin('api', 2)]);
    // A kept build's pin is its only tag: untagging it would delete the image.
    expect(s.pins).toEqual([]);
  });

  it('untags a superseded pin of a kept build that has another tag, never the pin of the current build', () => {
    const images = input().images.map((i) => (i.id === id(5) ? { ...i, repoTags: [...i.repoTags, 'mine:v5'] } : i));
    expect(selectGarbage(input({ images })).pins).toEqual([{ tag: pin('api', 5), imageId: id(5) }]);
  });

  it('counts only builds the engine still has', () => {
    const images = input().images.filter((i) => i.id !== id(5));
    expect(removed(input({ images })).sort()).toEqual([1, 2].map(id));
  });

  it('keeps an image a container uses, an image with a user tag, and an image another checkout built', () => {
    const images = input().images.map((i) => (i.id === id(2) ? { ...i, repoTags: ['mine:old'] } : i));
    const s = selectGarbage(input({ images, inUse: new Set([id(1)]), built: new Set([2, 3, 4, 5, 6].map(id)) }));
    expect(s.images.map((x) => x.imageId)).toEqual([id(3)]);
    expect(s.kept).toEqual([{ imageId: id(2), image: 'api', reason: 'tagged mine:old' }]);
    // id(1): not built here (and used by a container): not even considered.
  });

  it('never removes an image without mbuild labels, of another project, or outside every history', () => {
    const images = [
      ...input().images.filter((i) => i.id !== id(1) && i.id !== id(2) && i.id !== id(3)),
      { id: id(1), repoTags: [], labels: {} },
      { ...img(2, 'api'), labels: { ...img(2, 'api').labels, 'io.mbuild.project': 'other' } },
      img(3, 'api'),
    ];
    expect(removed(input({ images, histories: new Map([['api', [6, 5, 4, 2, 1].map(id)]]) }))).toEqual([]);
  });

  it('keeps the current build of every image, even with keep 1, and an ID kept by any image', () => {
    const histories = new Map([
      ['api', [6, 5, 4, 3, 2, 1].map(id)],
      ['web', [2].map(id)],
    ]);
    expect(removed(input({ keep: 1, histories })).sort()).toEqual([1, 3, 4, 5].map(id));
  });

  it('keeps the parent of an image that stays, and removes children before parents', () => {
    const images = [...input().images.filter((i) => i.id !== id(6)), img(6, 'api', ['shop-api:latest'], { parentId: id(1) })];
    const s = selectGarbage(input({ images }));
    expect(s.images.map((x) => x.imageId).sort()).toEqual([2, 3].map(id));
    expect(s.kept).toEqual([{ imageId: id(1), image: 'api', reason: `parent of ${id(6).slice(7, 19)}` }]);
    const chain = [...input().images.filter((i) => i.id !== id(2)), img(2, 'api', [], { parentId: id(3) })];
    expect(removed(input({ images: chain }))).toEqual([2, 1, 3].map(id));
  });

  it('removes nothing with an empty record', () => {
    expect(selectGarbage(input({ built: new Set() }))).toEqual({ pins: [], images: [], kept: [] });
  });
});

describe('pinImage', () => {
  it('reads the image name of a pin of the project, dashes included', () => {
    expect(pinImage('my-shop', pinnedRef('my-shop', 'api-v2', id(1)))).toBe('api-v2');
    expect(pinImage('my-shop', 'shop-api:latest')).toBeUndefined();
  });
});

describe('mayHaveGarbage', () => {
  it('is true only when a build of this checkout lies beyond the first keep entries of every history', () => {
    const { built, histories } = input();
    expect(mayHaveGarbage(built, histories, 3)).toBe(true);
    expect(mayHaveGarbage(new Set([4, 5, 6].map(id)), histories, 3)).toBe(false);
    expect(mayHaveGarbage(built, histories, 6)).toBe(false);
    // Kept by another image's history.
    expect(mayHaveGarbage(new Set([id(1), id(6)]), new Map([...histories, ['web', [id(1)]]]), 3)).toBe(false);
  });
});

describe('selectGarbage: classic builds, marked by a tag instead of labels', () => {
  const mark = (image: string, n: number): string => markTag(P, image, `v1-${String(n).padStart(64, '0')}`)!;
  /** `api` built 1..4 classic (no mbuild labels; 4 current, tagged), all in the record. */
  const classic = (n: number, tags: string[] = []): ImageSummary => ({ id: id(n), repoTags: [...tags, mark('api', n)], labels: {} });
  const base = (o: Partial<GcInput> = {}): GcInput =>
    input({
      keep: 2,
      histories: new Map([['api', [4, 3, 2, 1].map(id)]]),
      built: new Set([1, 2, 3, 4].map(id)),
      images: [classic(4, ['shop-api:latest']), classic(3), classic(2), classic(1)],
      ...o,
    });

  it('removes a superseded image whose only tags are its marks, with them; keeps the current and the kept builds', () => {
    const s = selectGarbage(base());
    expect(s.images.map((x) => x.imageId).sort()).toEqual([1, 2].map(id));
    expect(s.images.find((x) => x.imageId === id(1))?.pins).toEqual([mark('api', 1)]);
    expect(s.images.find((x) => x.imageId === id(1))?.image).toBe('api');
    expect(s.kept).toEqual([]);
  });

  it('a user tag or a mark of another project keeps it; a mark is no image of the project when it names another', () => {
    const other = markTag('blog', 'web', `v1-${'0'.repeat(64)}`)!;
    const images = [classic(4, ['shop-api:latest']), classic(3), classic(2, ['mine:old']), { ...classic(1), repoTags: [mark('api', 1), other] }];
    const s = selectGarbage(base({ images }));
    expect(s.images).toEqual([]);
    expect(s.kept).toEqual([
      { imageId: id(2), image: 'api', reason: 'tagged mine:old' },
      { imageId: id(1), image: 'api', reason: `tagged ${other}` },
    ]);
    // Only another project's mark: not this project's image at all.
    expect(removed(base({ images: [classic(4), { id: id(1), repoTags: [other], labels: {} }] }))).toEqual([]);
  });

  it("a kept build's superseded pin goes when its mark stays on it", () => {
    const images = [classic(4), classic(3, [pin('api', 3)])];
    expect(selectGarbage(base({ images })).pins).toEqual([{ tag: pin('api', 3), imageId: id(3) }]);
  });
});
