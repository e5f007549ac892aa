/**
 * Between decide and prepare, with a pool of engines: an image the home engine lacks but
 * another engine of the pool holds under its key (built there by an earlier run) is moved
 * home and finished like a local skip: no build. A build no cache may skip does not ask.
 */
import { forcedBuild, type Decision } from '../cache/freshness.js';
import type { RunIndex } from '../cache/image-index.js';
import type { Failure, ImageOutcome } from '../core/events.js';
import { err, type Result } from '../core/result.js';
import { finishUpToDate } from './finish.js';
import type { ImageJob } from './job.js';
import { emitMoved } from './on-pool.js';

export async function fromOtherEngines(job: ImageJob, decision: Decision, index: RunIndex): Promise<Result<ImageOutcome, Failure> | undefined> {
  const pool = job.opts.pool;
  if (pool === undefined || forcedBuild({ noCache: job.opts.noCache, image: job.image }) !== undefined) return undefined;
  const { run } = pool;
  for (const e of run.slots.alive()) {
    if (e.name === run.home.name) continue;
    const found = await pool
      .indexOf(e.name)
      ?.find(job.image.name, decision.key)
      .catch(() => undefined);
    if (found === undefined) continue;
    run.moves.record(found.imageId, e);
    const moved = await run.moves.ensure(found.imageId, run.home, job.signal);
    if (!moved.ok) {
      if (job.signal.aborted) return err({ reason: 'cancelled' });
      continue;
    }
    if (moved.value !== undefined) emitMoved(job, job.image.name, moved.value);
    index.built(decision.key, found.imageId);
    return finishUpToDate(job, decision, { fresh: true, imageId: found.imageId, inUse: false }, index);
  }
  return undefined;
}
