/** `mbuild plan` and `mbuild graph`: the plan without building anything. */
import { predictPlanned, type Prediction } from '../../cache/predict.js';
import type { Diagnostic } from '../../core/diagnostic.js';
import { EngineError, type BuilderKind, type Engine } from '../../docker/engine.js';
import { buildResolver } from '../../mounts/sources.js';
import type { Planned } from '../../plan/types.js';
import { graphDot, graphJson, graphMermaid, planText } from '../../report/plan-format.js';
import { engineJson, engineLine, engineOrReport } from '../engine.js';
import { ExitCode, warnOn, type CliIo } from '../io.js';
import { planOrReport, printDiagnostics, type GlobalOptions } from '../load.js';

/** What the engine says about the plan: predictions, or a note saying why there are none, and the problems `up` would fail on. */
interface EngineView {
  readonly predicted?: Prediction[];
  readonly note?: string;
  readonly problems: Diagnostic[];
}

/** Mounts whose external source image does not exist locally: `up` never pulls one, so it would fail. */
async function missingMountSources({ file, plan }: Planned, engine: Engine): Promise<Diagnostic[]> {
  const resolve = buildResolver(engine, new Map());
  const out: Diagnostic[] = [];
  for (const { name } of plan.images) {
    for (const mount of file.images.get(name)!.mounts) {
      const sides = mount.source.kind === 'diff' ? [mount.source.base, mount.source.head] : [mount.source];
      for (const side of sides) {
        const found = side.kind === 'external' ? await resolve(side) : undefined;
        if (typeof found !== 'string') continue;
        out.push({ severity: 'error', code: 'mount-source-missing', message: `mount ${mount.from}:${mount.path} of image '${name}': ${found}`, location: file.locate.value([...mount.origin, 'from']) });
      }
    }
  }
  return out;
}

/**
 * An engine that cannot be reached (or fails while asked) leaves the plan without
 * predictions, with a note: the plan stands without it. A context that cannot be read is a
 * problem of the input, as is a mount source that is not there: `up` would fail on both.
 */
async function askEngine(io: CliIo, planned: Planned, engine: Engine, opts: { builder: 'auto' | BuilderKind }): Promise<EngineView> {
  const note = (e: unknown): EngineView => ({ note: `freshness not predicted: ${e instanceof Error ? e.message : String(e)}`, problems: [] });
  try {
    const info = await engine.info();
    const builder = opts.builder === 'auto' ? (info.buildkit ? 'buildkit' : 'classic') : opts.builder;
    const predicted = await predictPlanned(planned, engine, builder, warnOn(io));
    return { predicted, problems: await missingMountSources(planned, engine) };
  } catch (e) {
    if (e instanceof EngineError) return note(e);
    if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw e;
    return { ...note(e), problems: [{ severity: 'error', code: 'context-unreadable', message: `a context cannot be read: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

/**
 * With an engine, each image is predicted fresh or stale with its reasons; without one the
 * plan is still printed, with a note (exit 0). Input `up` would fail on is an error (exit 2).
 */
export async function planCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string; builder: 'auto' | BuilderKind }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names, { lastRun: true });
  if (typeof planned === 'number') return planned;
  // The engine line is printed on stdout below, not on stderr under --verbose.
  const engine = engineOrReport(io, { ...opts, verbose: false });
  if (typeof engine === 'number') return engine;
  const { predicted, note, problems } = await askEngine(io, planned, engine, opts);
  if (opts.format === 'json') {
    io.stdout.write(`${JSON.stringify({ ...planned.plan, engine: engineJson(engine.endpoint), ...(predicted && { predictions: predicted.map(({ image, fresh, ...rest }) => ({ image, fresh, ...('reasons' in rest ? { reasons: rest.reasons } : { imageId: rest.imageId }) })) }) }, null, 2)}\n`);
  } else {
    io.stdout.write(`${planText(planned.plan, predicted)}${engineLine(engine.endpoint)}\n`);
    if (note !== undefined && problems.length === 0) io.stdout.write(`(${note})\n`);
  }
  printDiagnostics(io, problems, true);
  return problems.length > 0 ? ExitCode.invalid : ExitCode.ok;
}
export async function graphCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  const render = opts.format === 'mermaid' ? graphMermaid : opts.format === 'json' ? graphJson : graphDot;
  io.stdout.write(render(planned.plan));
  return ExitCode.ok;
}
