/** `mbuild validate`: every static check `plan` and `up` run (Dockerfiles included), or one line saying the file is valid. */
import { ok } from '../../core/result.js';
import { countLine, displayPath } from '../../report/diagnostic-printer.js';
import type { CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import { planFor, type GlobalOptions } from '../load.js';

export async function validateCommand(io: CliIo, opts: GlobalOptions): Promise<CommandResult> {
  const planned = await planFor(io, opts, 'all', { lastRun: true, notes: true });
  if (!planned.ok) return planned;
  const { file, diagnostics } = planned.value;
  const groups = file.groups.size;
  const counted = countLine(diagnostics);
  io.stdout.write(
    `${displayPath(file.source.path, io.cwd)} is valid: ${file.images.size} image${file.images.size === 1 ? '' : 's'}` +
      `${groups > 0 ? `, ${groups} group${groups === 1 ? '' : 's'}` : ''}${counted === '' ? '' : `, ${counted}`}\n`,
  );
  return ok(ExitCode.ok);
}
