/** The build file, its Dockerfiles and the plan (load/load-plan.ts), with every problem printed; shared by validate, up, plan, graph, why, clean, watch. */
import { loadPlan, type PlanChecks, type Planned } from '../load/load-plan.js';
import { ExitCode, type CliIo } from './io.js';
import { loadOptions, printDiagnostics, type GlobalOptions } from './load.js';

export type { Planned } from '../load/load-plan.js';

/** `names`: images or groups; `'all'`: every image of the file. */
export async function planOrReport(io: CliIo, opts: GlobalOptions, names: readonly string[] | 'all', checks: PlanChecks = {}): Promise<Planned | ExitCode> {
  const options = loadOptions(io, opts);
  if (typeof options === 'string') {
    io.stderr.write(`error: ${options}\n`);
    return ExitCode.invalid;
  }
  const planned = await loadPlan(options, names, checks);
  printDiagnostics(io, planned.ok ? planned.value.loaded.diagnostics : planned.error.diagnostics, !planned.ok);
  return planned.ok ? planned.value : ExitCode.invalid;
}
