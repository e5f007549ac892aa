/**
 * What `up` of the whole file starts while the build file loads (CPU work on this thread,
 * while the engine answers on another core): the stat cache's read, and the session's image
 * index inspecting the image each image recorded as in use (image-index.ts `expect`). It
 * only saves time: the first run uses each inspect at most once, and still checks that the
 * image carries the key and the project it looks for.
 */
import { statCachePath } from '../core/layout.js';
import type { ImageIndex } from './image-index.js';
import { StatCache } from './stat-cache.js';

export interface Prefetched {
  /** The project folder it was started for. */
  readonly root: string;
  readonly statCache: Promise<{ cache: StatCache; warning?: string }>;
}

export function prefetch(root: string, images: ImageIndex): Prefetched {
  const statCache = StatCache.load(statCachePath(root));
  images.expect(root);
  return { root, statCache };
}
