/**
 * `plan`: what `up` would do, as `mbuild plan --format json` says it: each image predicted up
 * to date or built (and why) by the engine. An engine that cannot be asked leaves the plan
 * without predictions, with a note, as the command does.
 */
import { predictPlanned } from '../cache/predict.js';
import { builderOn, engineFor, needBuildKit, sessionCheck } from '../cli/engine.js';
import { warnOn } from '../cli/print.js';
import { err, messageOf, ok, settled } from '../core/result.js';
import { EngineError } from '../docker/engine.js';
import { loadOf } from './project.js';
import { silentIo } from './silent.js';
import type { EngineOptions, PlanResult, Prediction, Project } from './types.js';

export async function plan(project: Project, options: EngineOptions = {}): Promise<PlanResult> {
  const loaded = loadOf(project);
  if (loaded === undefined) return err({ reason: 'invalid-input', message: 'plan() takes a project that load() returned' });
  const { planned } = loaded;
  const builder = options.builder ?? 'auto';
  const classic = sessionCheck(planned, builder);
  if (!classic.ok) return classic;
  const silent = silentIo(loaded.options.cwd, planned.file.environment ?? loaded.options.env);
  const engine = engineFor(silent.io, { ...(options.host !== undefined && { host: options.host }) });
  if (!engine.ok) return engine;
  const asked = await settled(
    (async () => {
      const on = builderOn(await engine.value.info(), builder);
      const predicted = await predictPlanned(planned, engine.value, on, warnOn(silent.io));
      return { predicted, problems: builder === 'auto' ? needBuildKit(planned, on) : [] };
    })(),
  );
  const base = { plan: planned.plan, engine: engine.value.endpoint };
  if (!asked.ok) {
    const note = `freshness not predicted: ${messageOf(asked.error)}`;
    if (asked.error instanceof EngineError) return ok({ ...base, note, warnings: silent.lines() });
    return err({ reason: 'context-unreadable', message: `a context cannot be read: ${messageOf(asked.error)}` });
  }
  if (asked.value.problems.length > 0) return err({ reason: 'invalid-build-file', diagnostics: asked.value.problems });
  const predictions: Prediction[] = asked.value.predicted.map((p) =>
    p.fresh ? { image: p.image, fresh: true, imageId: p.imageId } : { image: p.image, fresh: false, reasons: p.reasons },
  );
  return ok({ ...base, predictions, warnings: silent.lines() });
}
