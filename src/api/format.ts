/** Diagnostics as the CLI prints them (`file:line:col: error: ...` with the source line), as text. */
import type { Diagnostic } from '../core/diagnostic.js';
import { formatReport } from '../report/diagnostic-printer.js';

export interface FormatOptions {
  /** Paths are shown relative to this folder when inside it; default `process.cwd()`. */
  readonly cwd?: string;
  /** ANSI colours; default false. */
  readonly color?: boolean;
}

export const formatDiagnostics = (diagnostics: readonly Diagnostic[], options: FormatOptions = {}): string =>
  formatReport(diagnostics, { cwd: options.cwd ?? process.cwd(), color: options.color ?? false });
