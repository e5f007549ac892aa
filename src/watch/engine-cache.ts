/**
 * The engine as watch mode uses it: the same, except that `listImages` (the cache's key
 * index, read at the start of every run) is served from memory after the first call.
 * Listing images by label costs the daemon time in proportion to all its images (~250 ms
 * with ~1,300), on every save; watch is the one writer of its project's images.
 *
 * Kept exact enough to stay correct:
 *  - every successful build adds its image (with the labels it was built with) to the
 *    listings whose label filter it matches, so a key built during the session is known;
 *  - each served listing starts a refresh in the background; the refreshed listing plus the
 *    images built since it was asked for replaces the cached one (an image removed outside
 *    watch is forgotten after one run);
 *  - removeImage, and any failure of the daemon, drop the cache.
 */
import type { Engine, ImageSummary } from '../docker/engine.js';

interface Listing {
  images: ImageSummary[];
  refreshing: boolean;
}

const matches = (labels: Readonly<Record<string, string>>, filter: readonly string[]) =>
  filter.every((f) => {
    const eq = f.indexOf('=');
    return eq === -1 ? f in labels : labels[f.slice(0, eq)] === f.slice(eq + 1);
  });

export function withCachedImageList(engine: Engine): Engine {
  const listings = new Map<string, Listing>();
  /** Images built during the session, in order, for merging into refreshed listings. */
  const built: { at: number; image: ImageSummary }[] = [];
  const drop = <T>(p: Promise<T>): Promise<T> => p.catch((e: unknown) => {
    listings.clear();
    throw e;
  });

  const refresh = (key: string, filter: readonly string[], listing: Listing): void => {
    if (listing.refreshing) return;
    listing.refreshing = true;
    const since = performance.now();
    engine.listImages({ labels: filter }).then(
      (fresh) => {
        const ids = new Set(fresh.map((i) => i.id));
        const later = built.filter((b) => b.at >= since && matches(b.image.labels, filter) && !ids.has(b.image.id)).map((b) => b.image);
        if (listings.get(key) === listing) listings.set(key, { images: [...fresh, ...later], refreshing: false });
      },
      () => listings.delete(key),
    );
  };

  return new Proxy(engine, {
    get(target, prop, receiver) {
      switch (prop) {
        case 'listImages':
          return async (filter: { labels: readonly string[] }): Promise<ImageSummary[]> => {
            const key = JSON.stringify([...filter.labels].sort());
            const cached = listings.get(key);
            if (cached !== undefined) {
              refresh(key, filter.labels, cached);
              return [...cached.images];
            }
            const since = performance.now();
            const images = await drop(target.listImages(filter));
            const later = built.filter((b) => b.at >= since && matches(b.image.labels, filter.labels)).map((b) => b.image);
            listings.set(key, { images: [...images, ...later], refreshing: false });
            return [...images, ...later];
          };
        case 'build':
          return async (...args: Parameters<Engine['build']>) => {
            const outcome = await drop(target.build(...args));
            if (outcome.kind === 'succeeded') {
              const image: ImageSummary = { id: outcome.imageId, repoTags: [], labels: { ...args[0].labels } };
              built.push({ at: performance.now(), image });
              for (const [key, listing] of listings) if (matches(image.labels, JSON.parse(key) as string[])) listing.images.push(image);
            }
            return outcome;
          };
        case 'removeImage':
          return (...args: Parameters<Engine['removeImage']>) => {
            listings.clear();
            return target.removeImage(...args);
          };
        default: {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const r: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
            return r instanceof Promise ? drop(r) : r;
          };
        }
      }
    },
  });
}
