/** `mbuild plan` and `mbuild graph`: the plan without building anything. */
import type { Prediction } from '../../cache/predict.js';
import type { BuilderKind } from '../../docker/engine.js';
import { graphDot, graphJson, graphMermaid, planText } from '../../report/plan-format.js';
import { predictions } from './cache.js';
import { engineJson, engineLine, engineOrReport } from '../engine.js';
import { ExitCode, type CliIo } from '../io.js';
import type { GlobalOptions } from '../load.js';
import { planOrReport } from '../plan-load.js';

/**
 * With an engine, each image is predicted fresh or stale with its reasons; without one the
 * plan is still printed, with a note.
 */
export async function planCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string; builder: 'auto' | BuilderKind }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  const { file } = planned.loaded;
  let predicted: Prediction[] | undefined;
  let note = '';
  // The engine line is printed on stdout below, not on stderr under --verbose.
  const engine = engineOrReport(io, { ...opts, verbose: false });
  if (typeof engine === 'number') return engine;
  try {
    const info = await engine.info();
    const builder = opts.builder === 'auto' ? (info.buildkit ? 'buildkit' : 'classic') : opts.builder;
    predicted = await predictions(io, file, planned.plan, engine, builder);
  } catch (e) {
    note = `freshness not predicted: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify({ ...planned.plan, engine: engineJson(engine.endpoint), ...(predicted && { predictions: predicted.map(({ image, fresh, ...rest }) => ({ image, fresh, ...('reasons' in rest ? { reasons: rest.reasons } : { imageId: rest.imageId }) })) }) }, null, 2)}\n`);
  } else {
    io.stdout.write(`${planText(planned.plan, predicted)}${engineLine(engine.endpoint)}\n`);
    if (note !== '') io.stdout.write(`(${note})\n`);
  }
  return ExitCode.ok;
}

export async function graphCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  const render = opts.format === 'mermaid' ? graphMermaid : opts.format === 'json' ? graphJson : graphDot;
  io.stdout.write(render(planned.plan));
  return ExitCode.ok;
}
