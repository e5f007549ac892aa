/**
 * Step 1 of an image's build: its cache key, computed from its inputs without sending a
 * byte, and whether the engine already has an image of the project built from it; if not,
 * why it must be built (cache/freshness.ts).
 */
import { decide, type Decision } from '../cache/freshness.js';
import type { RunIndex } from '../cache/image-index.js';
import type { Failure } from '../core/events.js';
import { err, type Result } from '../core/result.js';
import { contextFailure, guarded } from './failure.js';
import type { ImageJob } from './job.js';

export function decideImage(job: ImageJob, index: RunIndex): Promise<Result<Decision, Failure>> {
  const { opts, image, upstream } = job;
  return guarded('engine', async () => {
    const decided = await decide({
      file: opts.file,
      image,
      builder: opts.builder,
      upstream,
      engine: opts.engine,
      statCache: opts.cache.statCache,
      index,
      noCache: opts.noCache,
    });
    if (!decided.ok) return err(contextFailure(decided.error));
    opts.onDecided?.(image.name, decided.value.inputs.reads);
    return decided;
  });
}
