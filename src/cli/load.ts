/**
 * What a command loads, its warnings printed: the build file alone (`config`, `context`), or
 * the build file, its Dockerfiles and the plan (load/load-plan.ts: validate, plan, graph,
 * why, clean, up, watch). Errors are the command's failure, printed at the edge.
 */
import { loadBuildFile, type Loaded, type LoadFailure, type LoadOptions } from '../config/load.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { loadPlan, type LoadedPlan, type PlanChecks } from '../load/load-plan.js';
import type { CommandFailure } from './failure.js';
import type { CliIo } from './io.js';
import { printDiagnostics } from './print.js';

export interface GlobalOptions {
  readonly file?: string;
  readonly var?: readonly string[];
  /** `--env-file PATH`, repeatable: instead of `.env` beside the build file. */
  readonly envFile?: readonly string[];
  /** `-H/--host`: the Docker engine endpoint (cli/engine.ts). */
  readonly host?: string;
  /** `-v/--verbose`: say which engine endpoint is used, and why. */
  readonly verbose?: boolean;
}

export function parseVars(pairs: readonly string[] | undefined): Result<Record<string, string>, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pair.slice(0, eq))) return err(`invalid --var '${pair}': expected NAME=VALUE`);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return ok(vars);
}

/** What the loading pipeline needs from the command line, or the usage error to print. */
export function loadOptions(io: CliIo, opts: GlobalOptions): Result<LoadOptions, string> {
  const vars = parseVars(opts.var);
  if (!vars.ok) return vars;
  return ok({
    ...(opts.file !== undefined && { file: opts.file }),
    cwd: io.cwd,
    env: io.env,
    vars: vars.value,
    ...(opts.envFile !== undefined && { envFiles: opts.envFile }),
  });
}

/** The loaded value, its warnings printed; or the failure: a usage error, or every diagnostic of the load. */
async function loadWith<T extends { readonly diagnostics: readonly Diagnostic[] }>(
  io: CliIo,
  opts: GlobalOptions,
  load: (options: LoadOptions) => Promise<Result<T, LoadFailure>>,
): Promise<Result<T, CommandFailure>> {
  const options = loadOptions(io, opts);
  if (!options.ok) return err({ reason: 'invalid-input', message: options.error });
  const loaded = await load(options.value);
  if (!loaded.ok) return err({ reason: 'invalid-build-file', diagnostics: loaded.error.diagnostics });
  printDiagnostics(io, loaded.value.diagnostics, false);
  return loaded;
}

/** The build file alone. */
export const loadFor = (io: CliIo, opts: GlobalOptions): Promise<Result<Loaded, CommandFailure>> => loadWith(io, opts, loadBuildFile);

/** The build file, its Dockerfiles and the plan of `names` (images or groups; `'all'`: every image). */
export const planFor = (
  io: CliIo,
  opts: GlobalOptions,
  names: readonly string[] | 'all',
  checks: PlanChecks = {},
): Promise<Result<LoadedPlan, CommandFailure>> => loadWith(io, opts, (options) => loadPlan(options, names, checks));
