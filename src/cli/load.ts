/** Loads the build file for a command and prints its diagnostics; shared by every command. */
import { loadBuildFile, type Loaded } from '../config/load.js';
import { countLine, formatDiagnostics } from '../report/diagnostic-printer.js';
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

/** Either the loaded file (warnings printed to stderr) or an exit code after printing the errors. */
export async function loadOrReport(io: CliIo, opts: GlobalOptions): Promise<Loaded | ExitCode> {
  const vars = parseVars(opts.var);
  if (typeof vars === 'string') {
    io.stderr.write(`error: ${vars}\n`);
    return ExitCode.invalid;
  }
  const loaded = await loadBuildFile({ ...(opts.file !== undefined && { file: opts.file }), cwd: io.cwd, env: io.env, vars });
  const diagnostics = loaded.ok ? loaded.value.diagnostics : loaded.error.diagnostics;
  if (diagnostics.length > 0) {
    io.stderr.write(`${formatDiagnostics(diagnostics, { cwd: io.cwd, color: useColor(io, 'stderr') })}\n`);
  }
  if (!loaded.ok) {
    io.stderr.write(`${countLine(diagnostics)}\n`);
    return ExitCode.invalid;
  }
  return loaded.value;
}
