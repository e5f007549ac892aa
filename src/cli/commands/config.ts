/** `mbuild config`: the fully resolved file, as YAML or JSON. */
import { stringify } from 'yaml';
import { resolvedBuildFile } from '../../config/print.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadOrReport, type GlobalOptions } from '../load.js';

export async function configCommand(io: CliIo, opts: GlobalOptions & { format: string }): Promise<ExitCode> {
  const loaded = await loadOrReport(io, opts);
  if (typeof loaded === 'number') return loaded;
  const resolved = resolvedBuildFile(loaded.file);
  io.stdout.write(opts.format === 'json' ? `${JSON.stringify(resolved, null, 2)}\n` : stringify(resolved, { lineWidth: 0 }));
  return ExitCode.ok;
}
