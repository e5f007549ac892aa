/**
 * What a command loads, with its diagnostics printed: the build file alone (`config`,
 * `context`), or the build file, its Dockerfiles and the plan (load/load-plan.ts: validate,
 * plan, graph, why, clean, up, watch).
 */
import type { Diagnostic } from '../core/diagnostic.js';
import { loadBuildFile, type Loaded, type LoadOptions } from '../config/load.js';
import { loadPlan, type LoadedPlan, type PlanChecks } from '../load/load-plan.js';
import { formatDiagnostics, formatReport } from '../report/diagnostic-printer.js';
import { ExitCode, useColor, type CliIo } from './io.js';

export interface GlobalOptions {
  readonly file?: string;
  readonly var?: readonly string[];
  /** `-H/--host`: the Docker engine endpoint (cli/engine.ts). */
  readonly host?: string;
  /** `-v/--verbose`: say which engine endpoint is used, and why. */
  readonly verbose?: boolean;
}

export function parseVars(pairs: readonly string[] | undefined): Record<string, string> | string {
  const vars: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pair.slice(0, eq))) return `invalid --var '${pair}': expected NAME=VALUE`;
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}

/** What the loading pipeline needs from the command line, or the usage error to print. */
export function loadOptions(io: CliIo, opts: GlobalOptions): LoadOptions | string {
  const vars = parseVars(opts.var);
  if (typeof vars === 'string') return vars;
  return { ...(opts.file !== undefined && { file: opts.file }), cwd: io.cwd, env: io.env, vars };
}

/** Prints diagnostics to stderr: after a failure with a count when there is more than one; warnings alone as they are. */
export function printDiagnostics(io: CliIo, diagnostics: readonly Diagnostic[], failed: boolean): void {
  if (diagnostics.length === 0) return;
  const opts = { cwd: io.cwd, color: useColor(io, 'stderr') };
  io.stderr.write(`${failed ? formatReport(diagnostics, opts) : formatDiagnostics(diagnostics, opts)}\n`);
}

/** Either the loaded file (warnings printed to stderr) or an exit code after printing the errors. */
export async function loadOrReport(io: CliIo, opts: GlobalOptions): Promise<Loaded | ExitCode> {
  const options = loadOptions(io, opts);
  if (typeof options === 'string') {
    io.stderr.write(`error: ${options}\n`);
    return ExitCode.invalid;
  }
  const loaded = await loadBuildFile(options);
  printDiagnostics(io, loaded.ok ? loaded.value.diagnostics : loaded.error.diagnostics, !loaded.ok);
  return loaded.ok ? loaded.value : ExitCode.invalid;
}

/** `names`: images or groups; `'all'`: every image of the file. */
export async function planOrReport(io: CliIo, opts: GlobalOptions, names: readonly string[] | 'all', checks: PlanChecks = {}): Promise<LoadedPlan | ExitCode> {
  const options = loadOptions(io, opts);
  if (typeof options === 'string') {
    io.stderr.write(`error: ${options}\n`);
    return ExitCode.invalid;
  }
  const planned = await loadPlan(options, names, checks);
  printDiagnostics(io, planned.ok ? planned.value.diagnostics : planned.error.diagnostics, !planned.ok);
  return planned.ok ? planned.value : ExitCode.invalid;
}
