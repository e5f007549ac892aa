/**
 * Steps 2 and 3 of an image's build on a pool of engines (pool/). The build takes a slot on
 * the free engine where the fewest bytes must move (pool/placement.ts), the images its build
 * reads are moved there (pool/moves.ts; external base images too, so the engine builds from
 * the very image the key names), the context is prepared as always (mounts and image
 * contexts read on the home engine, which holds every image of the run) and the build runs
 * there. The slot is given back, and the new image moves to the home engine, where step 4
 * tags it. An engine that stops answering during the build or a move has the build placed
 * again on the others, once, with the reason in the image's row.
 */
import type { Decision } from '../cache/freshness.js';
import type { Failure } from '../core/events.js';
import { markTag, pinnedRef } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import type { Moved, Route } from '../pool/moves.js';
import { placeOn } from '../pool/placement.js';
import type { PoolEngine } from '../pool/types.js';
import { untilAborted, type ImageJob, type PoolBuilds, type PreparedContext } from './job.js';
import { runBuild } from './run-build.js';
import { tagRef } from './registry-access.js';
import { guarded } from './failure.js';

/** An image the engine must hold for the build: an upstream of the run (by name) or an external base (by reference). */
interface Wanted {
  readonly imageId: string;
  readonly upstream?: string;
  readonly ref?: string;
}

export async function buildOnPool(
  job: ImageJob,
  decision: Decision,
  why: string,
  pool: PoolBuilds,
  prepare: () => Promise<Result<PreparedContext, Failure>>,
): Promise<Result<string, Failure>> {
  const { run } = pool;
  const wanted = wantedBy(job, decision, pool);
  let reason = why;
  let replaced = false;
  for (;;) {
    await Promise.all(run.slots.alive().flatMap((e) => wanted.map((w) => run.moves.holds(w.imageId, e))));
    const bytesOn = (e: PoolEngine): number => wanted.reduce((sum, w) => sum + (run.moves.known(w.imageId, e) === true ? 0 : run.moves.size(w.imageId)), 0);
    const choose = (free: readonly PoolEngine[]): PoolEngine => placeOn(free, bytesOn, (e) => run.slots.load(e));
    const lease = await run.slots.acquire(pool.priority(job.image.name), choose, { signal: job.signal });
    if (lease === undefined) return err(job.signal.aborted ? { reason: 'cancelled' } : { reason: 'engine-error', message: noEngineLeft(pool) });
    const engine = lease.engine;
    job.opts.emit({ type: 'image-started', image: job.image.name, why: reason, engine: engine.name });
    run.watchEngines();
    let built: Result<string, Failure>;
    try {
      // The engine lost mid-build (pool/run.ts) stops the build as a cancel would.
      built = await buildOn({ ...job, signal: AbortSignal.any([job.signal, lease.signal]) }, engine, wanted, pool, prepare);
    } finally {
      lease.release();
    }
    // Home, where step 4 tags it; an engine lost before its image got there has it built again.
    const done = built.ok ? await movedHome(job, pool, built.value, engine, decision.key) : built;
    if (done.ok) return done;
    // A move's failure may be either end's: every engine is asked then.
    const suspects = done.error.reason === 'engine-error' ? run.o.engines.map((e) => e.name) : [engine.name];
    if (job.signal.aborted || !(await anyLost(pool, suspects))) return done;
    // Stopped because its engine was lost, a second time: say so, not `cancelled`.
    if (replaced) return err({ reason: 'engine-error', message: `${lostText(pool, engine)}, and the build was already placed again once` });
    replaced = true;
    reason = `${lostText(pool, engine)}; building again`;
  }
}

async function movedHome(job: ImageJob, pool: PoolBuilds, imageId: string, engine: PoolEngine, key: string): Promise<Result<string, Failure>> {
  pool.run.moves.record(imageId, engine);
  // Classic: the engine that built it knows it by its mark tag (a later run finds it there, from-engines.ts).
  const mark = job.opts.builder === 'classic' && !engine.home ? markTag(job.opts.file.name, job.image.name, key) : undefined;
  if (mark !== undefined) {
    const marked = await guarded('tagging', async () => {
      await engine.engine.tagImage(imageId, mark);
      return ok(undefined);
    });
    if (!marked.ok) return marked;
  }
  const home = await move(job, pool, imageId, job.image.name, pool.run.home);
  return home.ok ? ok(imageId) : home;
}

/** The build on `engine`: what it reads moved there first, then the context prepared and sent. */
async function buildOn(
  job: ImageJob,
  engine: PoolEngine,
  wanted: readonly Wanted[],
  pool: PoolBuilds,
  prepare: () => Promise<Result<PreparedContext, Failure>>,
): Promise<Result<string, Failure>> {
  for (const w of wanted) {
    // An upstream of the run stored in the shared cache comes from there (a worker pulls only the layers it lacks).
    const route = w.upstream !== undefined && !engine.home ? viaCache(job, w.imageId) : undefined;
    const moved = await move(job, pool, w.imageId, w.upstream ?? w.ref ?? w.imageId, engine, route);
    if (!moved.ok) return moved;
    const named = await nameOn(job, engine, w);
    if (!named.ok) return named;
  }
  const prepared = await prepare();
  if (!prepared.ok) return prepared;
  const sessions = pool.sessionsOf(engine.name);
  const opts = { ...job.opts, engine: engine.engine, ...(sessions && { sessions }) };
  return runBuild({ ...job, opts }, prepared.value);
}

/** The image on `to`, moved once per run; an `image-moved` event when it moved. */
async function move(job: ImageJob, pool: PoolBuilds, imageId: string, name: string, to: PoolEngine, route?: Route): Promise<Result<void, Failure>> {
  const moved = await pool.run.moves.ensure(imageId, to, job.signal, route);
  if (!moved.ok) return err(job.signal.aborted ? { reason: 'cancelled' } : { reason: 'engine-error', message: moved.error.message });
  if (moved.value !== undefined) emitMoved(job, name, moved.value);
  return ok(undefined);
}

/** Moves already reported: every caller awaiting one move gets the same record; the first reports it. */
const reported = new WeakSet<Moved>();

/** An `image-moved` event, once per move. */
export function emitMoved(job: ImageJob, name: string, m: Moved): void {
  if (reported.has(m)) return;
  reported.add(m);
  job.opts.emit({ type: 'image-moved', image: name, for: job.image.name, from: m.from, to: m.to, via: m.via, bytes: m.bytes, durationMs: m.durationMs });
}

/**
 * With a shared cache (`cache.to`): an image the run stored there is pulled from it, once its
 * store is over (publish.ts); undefined (stream it) when it was not stored or the pull fails.
 */
function viaCache(job: ImageJob, imageId: string): Route | undefined {
  const access = job.opts.registry;
  if (access?.cache.to === undefined) return undefined;
  return async (to) => {
    const ref = await untilAborted(access.cacheEntry(imageId), job.signal);
    const at = ref === undefined || typeof ref !== 'string' ? undefined : tagRef(ref);
    if (at?.ok !== true) return undefined;
    const auth = await access.auth(at.value.ref.registry);
    if (!auth.ok) return undefined;
    let bytes = 0;
    try {
      const onProgress = (_current: number, total: number): void => void (bytes = total);
      await to.engine.pullImage(at.value.repo, at.value.tag, { auth: auth.value, signal: job.signal, onProgress, ...access.stallOf(at.value.ref.registry) });
      return (await to.engine.inspectImage(imageId)) === undefined ? undefined : { from: at.value.text, bytes };
    } catch {
      return undefined;
    }
  };
}

/**
 * The names the build uses for the image on that engine: an upstream's pin (BuildKit names
 * in-file images by it) and its tags (a Dockerfile may name it by one: `FROM shop/base:dev`),
 * an external base's reference when the engine has another image under it.
 */
function nameOn(job: ImageJob, engine: PoolEngine, w: Wanted): Promise<Result<void, Failure>> {
  const { opts } = job;
  return guarded('engine', async () => {
    if (w.upstream !== undefined) {
      if (opts.builder === 'buildkit') await engine.engine.tagImage(w.imageId, pinnedRef(opts.file.name, w.upstream, w.imageId));
      if (!engine.home) for (const tag of opts.file.images.get(w.upstream)?.tags ?? []) await engine.engine.tagImage(w.imageId, tag);
    }
    if (w.ref !== undefined && !w.ref.includes('@')) {
      const there = await engine.engine.inspectImage(w.ref);
      if (there?.id !== w.imageId) await engine.engine.tagImage(w.imageId, withTag(w.ref));
    }
    return ok(undefined);
  });
}

/** `busybox` → `busybox:latest`; a reference with a tag stays. */
const withTag = (ref: string): string => (/:[^/]*$/.test(ref) ? ref : `${ref}:latest`);

/** The upstream images the engine reads in this build, and its external bases, with their IDs. */
function wantedBy(job: ImageJob, decision: Decision, pool: PoolBuilds): Wanted[] {
  const upstream = pool.needs(job.image.name).flatMap((name) => {
    const imageId = job.upstream.get(name);
    return imageId === undefined ? [] : [{ imageId, upstream: name }];
  });
  const bases = Object.entries(decision.inputs.bases)
    .filter(([, id]) => id.startsWith('sha256:'))
    .map(([ref, imageId]) => ({ imageId, ref }));
  return [...upstream, ...bases];
}

/** Whether any of these engines is lost (asked now). */
async function anyLost(pool: PoolBuilds, names: readonly string[]): Promise<boolean> {
  const engines = pool.run.o.engines.filter((e) => names.includes(e.name));
  const lost = await Promise.all(engines.map((e) => pool.run.lostAfterFailure(e)));
  return lost.includes(true);
}

const lostText = (pool: PoolBuilds, e: PoolEngine): string => {
  const lost = pool.run.o.engines.filter((x) => pool.run.slots.lost(x.name) !== undefined).map((x) => x.name);
  return `engine ${lost.length > 0 ? lost.join(', ') : e.name} stopped answering`;
};

const noEngineLeft = (pool: PoolBuilds): string =>
  `no engine of the pool can build it: ${pool.run.o.engines.map((e) => `${e.name} ${pool.run.slots.lost(e.name) ?? 'is busy'}`).join('; ')}`;

/**
 * `--tag-everywhere`: the image moved to every live engine of the pool and its tags put on
 * each (the home engine's are step 4's). A failure is the image's: the user asked for it.
 */
export async function tagEverywhere(job: ImageJob, pool: PoolBuilds, imageId: string): Promise<Result<void, Failure>> {
  const others = pool.run.slots.alive().filter((e) => e.name !== pool.run.home.name);
  const done = await Promise.all(
    others.map(async (e) => {
      const moved = await move(job, pool, imageId, job.image.name, e);
      if (!moved.ok) return moved;
      return guarded('tagging', async () => {
        for (const tag of job.image.tags) await e.engine.tagImage(imageId, tag);
        return ok(undefined);
      });
    }),
  );
  return done.find((r) => !r.ok) ?? ok(undefined);
}
