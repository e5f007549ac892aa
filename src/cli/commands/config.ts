/** `mbuild config`: the fully resolved file, as YAML or JSON. */
import { stringify } from 'yaml';
import { resolvedBuildFile } from '../../config/print.js';
import { ok } from '../../core/result.js';
import type { CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadFor, type GlobalOptions } from '../load.js';

export async function configCommand(io: CliIo, opts: GlobalOptions & { format: string }): Promise<CommandResult> {
  const loaded = await loadFor(io, opts);
  if (!loaded.ok) return loaded;
  const resolved = resolvedBuildFile(loaded.value.file);
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(resolved, null, 2)}\n` : stringify(resolved, { lineWidth: 0 }));
  return ok(ExitCode.ok);
}
