/** Load -> Dockerfile references -> plan, with every problem printed; shared by up, plan, graph, watch. */
import type { Loaded } from '../config/load.js';
import { didYouMean } from '../config/suggest.js';
import { readDockerfileRefs } from '../dockerfile/images.js';
import { createPlan } from '../plan/plan.js';
import type { BuildPlan } from '../plan/types.js';
import { countLine, formatDiagnostics } from '../report/diagnostic-printer.js';
import { ExitCode, useColor, type CliIo } from './io.js';
import { loadOrReport, type GlobalOptions } from './load.js';

export interface Planned {
  readonly loaded: Loaded;
  readonly plan: BuildPlan;
}

/** `names`: images or groups; `'all'`: every image of the file. */
export async function planOrReport(io: CliIo, opts: GlobalOptions, names: readonly string[] | 'all'): Promise<Planned | ExitCode> {
  const loaded = await loadOrReport(io, opts);
  if (typeof loaded === 'number') return loaded;
  const refs = await readDockerfileRefs(loaded.file);
  if (!refs.ok) {
    io.stderr.write(`${formatDiagnostics(refs.error, { cwd: io.cwd, color: useColor(io, 'stderr') })}\n${countLine(refs.error)}\n`);
    return ExitCode.invalid;
  }
  const plan = createPlan(loaded.file, refs.value, names === 'all' ? [...loaded.file.images.keys()] : names);
  if (plan.ok) return { loaded, plan: plan.value };
  const e = plan.error;
  if (e.reason === 'unknown-name') {
    const candidates = [...loaded.file.images.keys(), ...loaded.file.groups.keys()];
    io.stderr.write(`error: no image or group named '${e.name}'${didYouMean(e.name, candidates)}\n`);
  } else {
    io.stderr.write(`error: dependency cycle: ${e.cycle.join(' -> ')}\n${e.edges.map((x) => `  '${x.from}' depends on '${x.image}' through ${x.detail}`).join('\n')}\n`);
  }
  return ExitCode.invalid;
}
