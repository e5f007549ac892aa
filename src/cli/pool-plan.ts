/**
 * `plan --engine` and `graph --engine` (issue 21): the pool named by the flags or the engines
 * file, each engine connected, asked which of the plan's images it has (cache/predict.ts's
 * freshness, on that engine), and the placement pool/predict.ts predicts from it. An engine
 * that does not answer is shown unreachable and left out; the home engine not answering
 * leaves no placement.
 */
import type { Prediction } from '../cache/predict.js';
import { predictPlanned } from '../cache/predict.js';
import { err, messageOf, ok, settled, type Result } from '../core/result.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import type { Planned } from '../plan/types.js';
import { predictPlacement, type PredictEngine } from '../pool/predict.js';
import type { PoolEngineView, PoolView } from '../report/pool-format.js';
import { builderOn } from './engine.js';
import type { CommandFailure } from './failure.js';
import type { CliIo } from './io.js';
import { startPool, type StartedPool } from './pool.js';
import { warnOn } from './print.js';

/** Slots of an engine that names none: `up`'s default `--jobs`. */
export const DEFAULT_SLOTS = 4;

/**
 * The pool of `--engine` flags, else of the engines file, connecting (cli/pool.ts, as `up`
 * connects it); undefined without one. A bad flag, file or docker context is bad input.
 */
export const poolFor = (io: CliIo, flags: readonly string[]): Result<StartedPool | undefined, CommandFailure> =>
  startPool(io, { engine: flags, jobs: DEFAULT_SLOTS });

const freshNames = (predicted: readonly Prediction[]): Set<string> => new Set(predicted.filter((p) => p.fresh).map((p) => p.image));

/**
 * What each engine holds and where each image would be built. `home`: the predictions
 * already made on the first engine (undefined: it did not answer, `homeNote` says why).
 */
export async function poolView(
  io: CliIo,
  planned: Planned,
  pool: StartedPool,
  home: { readonly predicted?: readonly Prediction[]; readonly note?: string },
  builder: 'auto' | BuilderKind,
): Promise<PoolView> {
  const engines: PoolEngineView[] = [];
  const reachable: PredictEngine[] = [];
  for (const [i, { entry, engine }] of pool.entries()) {
    const slots = entry.slots ?? DEFAULT_SLOTS;
    const base = { name: entry.name, url: engine.endpoint.url, slots };
    // One engine after another: the predictions share the project's stat cache file.
    const asked = i === 0 ? (home.predicted ? ok(home.predicted) : err(home.note ?? 'no answer')) : await settled(predictOn(io, planned, engine, builder));
    if (!asked.ok) {
      engines.push({ ...base, unreachable: typeof asked.error === 'string' ? asked.error : messageOf(asked.error) });
      continue;
    }
    engines.push(base);
    reachable.push({ name: entry.name, slots, holds: freshNames(asked.value) });
  }
  if (home.predicted === undefined) return { engines };
  const sizes = await imageSizes(pool[0]!.engine, home.predicted);
  const stale = new Set(home.predicted.filter((p) => !p.fresh).map((p) => p.image));
  return { engines, placement: predictPlacement({ plan: planned.plan, stale, engines: reachable, sizes }) };
}

async function predictOn(io: CliIo, planned: Planned, engine: Engine, builder: 'auto' | BuilderKind): Promise<Prediction[]> {
  const info = await engine.info();
  return predictPlanned(planned, engine, builderOn(info, builder), warnOn(io));
}

/** The sizes of the images home has (the fresh ones); an inspect that fails leaves a size unknown. */
async function imageSizes(engine: Engine, predicted: readonly Prediction[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const p of predicted) {
    if (!p.fresh) continue;
    const info = await settled(engine.inspectImage(p.imageId));
    if (info.ok && info.value !== undefined) sizes.set(p.image, info.value.size);
  }
  return sizes;
}
