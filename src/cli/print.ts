/** What the CLI itself prints on stderr: warnings, and diagnostics like a compiler's. */
import type { Diagnostic } from '../core/diagnostic.js';
import { formatDiagnostics, formatReport } from '../report/diagnostic-printer.js';
import { useColor, type CliIo } from './io.js';

/** Prints `warning: MESSAGE`. */
export const warnOn =
  (io: CliIo) =>
  (message: string): void => {
    io.stderr.write(`warning: ${message}\n`);
  };

/** Prints diagnostics: after a failure with a count when there is more than one; warnings alone as they are. */
export function printDiagnostics(io: CliIo, diagnostics: readonly Diagnostic[], failed: boolean): void {
  if (diagnostics.length === 0) return;
  const opts = { cwd: io.cwd, color: useColor(io, 'stderr') };
  io.stderr.write(`${failed ? formatReport(diagnostics, opts) : formatDiagnostics(diagnostics, opts)}\n`);
}
