/** `mbuild validate`: the diagnostics, or one line saying the file is valid. */
import { displayPath } from '../../report/diagnostic-printer.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadOrReport, type GlobalOptions } from '../load.js';

export async function validateCommand(io: CliIo, opts: GlobalOptions): Promise<ExitCode> {
  const loaded = await loadOrReport(io, opts);
  if (typeof loaded === 'number') return loaded;
  const { file } = loaded;
  const warnings = loaded.diagnostics.length;
  const groups = file.groups.size;
  io.stdout.write(
    `${displayPath(file.source.path, io.cwd)} is valid: ${file.images.size} image${file.images.size === 1 ? '' : 's'}` +
      `${groups > 0 ? `, ${groups} group${groups === 1 ? '' : 's'}` : ''}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`,
  );
  return ExitCode.ok;
}
