/** `mbuild plan` and `mbuild graph`: the plan without building anything. */
import { duplicatesOf, type Duplicates } from '../../cache/fold.js';
import { predictPlanned, type Prediction } from '../../cache/predict.js';
import type { Diagnostic } from '../../core/diagnostic.js';
import { err, messageOf, ok, settled } from '../../core/result.js';
import { EngineError, type BuilderKind, type Engine } from '../../docker/engine.js';
import { buildResolver } from '../../mounts/sources.js';
import type { Planned } from '../../plan/types.js';
import { duplicatesText, graphDot, graphJson, graphMermaid, planText } from '../../report/plan-format.js';
import { graphColours, placedOn, poolJson, poolText, type PoolView } from '../../report/pool-format.js';
import { builderOn, engineFor, engineJson, engineLine, needBuildKit, sessionCheck } from '../engine.js';
import type { CommandResult } from '../failure.js';
import { garbageJson, garbageText, garbageView } from '../gc.js';
import { ExitCode, type CliIo } from '../io.js';
import { planFor, type GlobalOptions } from '../load.js';
import { poolFor, poolView } from '../pool-plan.js';
import { warnOn } from '../print.js';

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
        if (side.kind !== 'external') continue;
        const found = await resolve(side);
        if (found.ok) continue;
        out.push({
          severity: 'error',
          code: 'mount-source-missing',
          message: `mount ${mount.from}:${mount.path} of image '${name}': ${found.error}`,
          location: file.locate.value([...mount.origin, 'from']),
        });
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
  const asked = await settled(predictions(io, planned, engine, opts.builder));
  if (asked.ok) return asked.value;
  const e = asked.error;
  const note = `freshness not predicted: ${messageOf(e)}`;
  if (e instanceof EngineError) return { note, problems: [] };
  if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw e;
  return { note, problems: [{ severity: 'error', code: 'context-unreadable', message: `a context cannot be read: ${messageOf(e)}` }] };
}

/** The predictions, and the mount sources `up` would miss; rejects when the engine or a context cannot be read. */
async function predictions(io: CliIo, planned: Planned, engine: Engine, builder: 'auto' | BuilderKind): Promise<EngineView> {
  const info = await engine.info();
  const on = builderOn(info, builder);
  const predicted = await predictPlanned(planned, engine, on, warnOn(io));
  // `--builder classic` was refused before connecting; `auto` is known now.
  const classic = builder === 'auto' ? needBuildKit(planned, on) : [];
  return { predicted, problems: [...classic, ...(await missingMountSources(planned, engine))] };
}

/**
 * With an engine, each image is predicted fresh or stale with its reasons; without one the
 * plan is still printed, with a note (exit 0). Input `up` would fail on is an error (exit 2).
 */
export async function planCommand(
  io: CliIo,
  names: readonly string[],
  opts: GlobalOptions & { format: string; builder: 'auto' | BuilderKind; engine?: string[] },
): Promise<CommandResult> {
  const loaded = await planFor(io, opts, names, { lastRun: true, notes: true });
  if (!loaded.ok) return loaded;
  const planned = loaded.value;
  const classic = sessionCheck(planned, opts.builder);
  if (!classic.ok) return classic;
  // With an engine pool (issue 21), its first engine (home) is the engine of the plan.
  const pool = poolFor(io, opts.engine ?? []);
  if (!pool.ok) return pool;
  // The engine line is printed on stdout below, not on stderr under --verbose.
  const found = pool.value === undefined ? engineFor(io, { ...opts, verbose: false }) : ok(pool.value[0]!.engine);
  if (!found.ok) return found;
  const engine = found.value;
  const { predicted, note, problems } = await askEngine(io, planned, engine, opts);
  const onPool: PoolView | undefined = pool.value && (await poolView(io, planned, pool.value, { predicted, note }, opts.builder));
  const duplicates = predicted && foldable(planned, predicted);
  // The garbage policy's section: only with an engine that answered.
  const garbage = predicted === undefined ? undefined : await settled(garbageView(engine, planned.file));
  if (opts.format === 'json') {
    const predictions = predicted?.map(({ image, fresh, ...rest }) => ({
      image,
      fresh,
      ...('reasons' in rest ? { reasons: rest.reasons } : { imageId: rest.imageId }),
    }));
    const extra = {
      ...(garbage?.ok === true && { garbage: garbageJson(garbage.value) }),
      ...(predictions && { predictions }),
      ...(duplicates && { duplicates }),
      ...(onPool && { placement: poolJson(onPool) }),
    };
    io.stdout.write(`${JSON.stringify({ ...planned.plan, engine: engineJson(engine.endpoint), ...extra }, null, 2)}\n`);
  } else {
    const where = onPool === undefined ? `${engineLine(engine.endpoint)}\n` : poolText(onPool);
    io.stdout.write(`${planText(planned.plan, predicted, onPool && placedOn(onPool))}${duplicates ? duplicatesText(duplicates) : ''}${where}`);
    if (note !== undefined && problems.length === 0) io.stdout.write(`(${note})\n`);
    if (garbage?.ok === true) io.stdout.write(garbageText(garbage.value));
  }
  return problems.length > 0 ? err({ reason: 'invalid-build-file', diagnostics: problems }) : ok(ExitCode.ok);
}

/** The images `up` would build that share a key with another (issue 23): each key is built once. */
function foldable({ file }: Planned, predicted: readonly Prediction[]): Duplicates[] {
  const stale = predicted.flatMap((p) => (p.fresh || p.decision === undefined ? [] : [{ image: file.images.get(p.image)!, key: p.decision.key }]));
  return duplicatesOf(stale, false);
}

/** With an engine pool, each node is coloured by the engine it would be built on (the engines are asked, as `plan` asks them). */
export async function graphCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string; engine?: string[] }): Promise<CommandResult> {
  const planned = await planFor(io, opts, names);
  if (!planned.ok) return planned;
  const pool = poolFor(io, opts.engine ?? []);
  if (!pool.ok) return pool;
  let colours;
  if (pool.value !== undefined) {
    const home = await askEngine(io, planned.value, pool.value[0]!.engine, { builder: 'auto' });
    if (home.problems.length > 0) return err({ reason: 'invalid-build-file', diagnostics: home.problems });
    const view = await poolView(io, planned.value, pool.value, home, 'auto');
    if (view.placement === undefined) io.stderr.write(`warning: engines not coloured: the home engine did not answer (${home.note ?? ''})\n`);
    else colours = graphColours(view);
  }
  const render = opts.format === 'mermaid' ? graphMermaid : opts.format === 'json' ? graphJson : graphDot;
  io.stdout.write(render(planned.value.plan, colours));
  return ok(ExitCode.ok);
}
