/** `mbuild plan` and `mbuild graph`: the plan without building anything. */
import { graphDot, graphJson, graphMermaid, planText } from '../../report/plan-format.js';
import { ExitCode, type CliIo } from '../io.js';
import type { GlobalOptions } from '../load.js';
import { planOrReport } from '../plan-load.js';

export async function planCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(planned.plan, null, 2)}\n` : planText(planned.plan));
  return ExitCode.ok;
}

export async function graphCommand(io: CliIo, names: readonly string[], opts: GlobalOptions & { format: string }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  const render = opts.format === 'mermaid' ? graphMermaid : opts.format === 'json' ? graphJson : graphDot;
  io.stdout.write(render(planned.plan));
  return ExitCode.ok;
}
