/** `mbuild config`: the fully resolved file, as YAML or JSON; `--format mbuild`: a compose file converted, as an mbuild.yaml. */
import { relative } from 'node:path';
import { stringify } from 'yaml';
import { convertedBuildFile, convertedHeader, resolvedBuildFile } from '../../config/print.js';
import { ok } from '../../core/result.js';
import type { CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadFor, type GlobalOptions } from '../load.js';

export async function configCommand(io: CliIo, opts: GlobalOptions & { format: string }): Promise<CommandResult> {
  const loaded = await loadFor(io, opts);
  if (!loaded.ok) return loaded;
  const { file, written, compose } = loaded.value;
  if (opts.format === 'mbuild' && compose !== undefined) {
    const header = convertedHeader(relative(io.cwd, file.source.path) || file.source.path, compose.skipped);
    io.stdout.write(header + stringify(convertedBuildFile(file, written), { lineWidth: 0 }));
    return ok(ExitCode.ok);
  }
  const resolved = resolvedBuildFile(file);
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(resolved, null, 2)}\n` : stringify(resolved, { lineWidth: 0 }));
  return ok(ExitCode.ok);
}
