/**
 * What a run's up-to-date checks will need that does not depend on the build file's
 * content, started while the build file loads (CPU work on this thread, while the engine
 * answers on another core): the stat cache, and an `inspect` of the image each image
 * recorded as in use (the first line of `state/<image>.json.key`). It only saves time:
 * an inspect is used by the one run it was started for, and the key index still checks
 * that the image carries the key and the project it looks for.
 */
import { readdirSync } from 'node:fs';
import type { Engine, ImageInfo } from '../docker/engine.js';
import { manifestsDir, statCachePath } from '../core/layout.js';
import { keyHistory } from './manifest.js';
import { StatCache } from './stat-cache.js';

/** More recorded images than this: a partial run (`up NAME`) may need few of them, so none are inspected ahead. */
export const PREFETCH_LIMIT = 256;
/** Inspects in flight at once. */
const LANES = 4;

export interface Prefetched {
  /** The project folder it was started for. */
  readonly root: string;
  readonly statCache: Promise<{ cache: StatCache; warning?: string }>;
  /** Image ID -> its inspect, taken at most once (`take`). */
  take(imageId: string): Promise<ImageInfo | undefined> | undefined;
}

/**
 * `connected`: the engine's negotiation. Nothing is asked before it succeeds, and nothing
 * at all when it fails (each request would try to connect again, up to a timeout each).
 */
export function prefetch(root: string, engine: Pick<Engine, 'inspectImage'>, connected: Promise<unknown>): Prefetched {
  const statCache = StatCache.load(statCachePath(root));
  const inspects = new Map<string, Promise<ImageInfo | undefined>>();
  let names: string[] = [];
  try {
    names = readdirSync(manifestsDir(root)).filter((n) => n.endsWith('.json.key'));
  } catch {
    /* no state yet */
  }
  if (names.length <= PREFETCH_LIMIT) {
    // A few at a time: each then reuses a kept-alive connection instead of opening its own.
    const lanes: Promise<unknown>[] = [];
    let n = 0;
    for (const name of names) {
      const id = keyHistory(root, name.slice(0, -'.json.key'.length))[0]?.imageId;
      if (id === undefined || inspects.has(id)) continue;
      const lane = n++ % LANES;
      const p = (lanes[lane] ?? connected).then(() => engine.inspectImage(id));
      // An error reaches the check that takes it; a failed connection ends every lane.
      lanes[lane] = p.catch(() => connected);
      lanes[lane].catch(() => undefined);
      inspects.set(id, p);
    }
  }
  return {
    root,
    statCache,
    take(imageId) {
      const p = inspects.get(imageId);
      inspects.delete(imageId);
      return p;
    },
  };
}
