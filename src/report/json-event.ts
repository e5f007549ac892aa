/**
 * One line of the NDJSON stream of `--progress json` (BuildEvents, WatchEvents and the
 * `error` event of a command that stopped before its run): the event with the stream's
 * `version` and its `time`. schema/events.schema.json describes every line; docs/events.md
 * says what a version promises.
 */
import type { Diagnostic, Severity } from '../core/diagnostic.js';
import { displayPath, position } from './diagnostic-printer.js';

/** Bumped when a field is removed or changes meaning; new events and fields keep it. */
export const EVENTS_VERSION = 1;

export const jsonLine = (event: { readonly type: string }): string =>
  `${JSON.stringify({ version: EVENTS_VERSION, time: new Date().toISOString(), ...event })}\n`;

export interface JsonDiagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  /** Relative to the working directory when inside it. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export function jsonDiagnostic(d: Diagnostic, cwd: string): JsonDiagnostic {
  if (d.location === undefined) return { severity: d.severity, code: d.code, message: d.message };
  const at = position(d.location.file, d.location.range.offset);
  return { severity: d.severity, code: d.code, message: d.message, file: displayPath(d.location.file.path, cwd), line: at.line, column: at.column };
}

/** A command stopped before its run: bad input (exit 2), or an engine or context it could not use (exit 1). */
export interface ErrorEvent {
  readonly type: 'error';
  readonly reason: 'invalid-input' | 'invalid-build-file' | 'engine-unavailable' | 'context-unreadable';
  readonly message: string;
  readonly exitCode: number;
  readonly diagnostics?: readonly JsonDiagnostic[];
}
