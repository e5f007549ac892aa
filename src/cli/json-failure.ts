/**
 * With `--progress json`, a command that stops before its run says why on stdout too, as
 * the stream's `error` event (report/json-event.ts), besides the usual text on stderr: a
 * reader of the stream sees every outcome as an event.
 */
import { countLine } from '../report/diagnostic-printer.js';
import { jsonDiagnostic, jsonLine, type ErrorEvent } from '../report/json-event.js';
import type { CommandFailure } from './failure.js';
import type { CliIo } from './io.js';

export function failureEvent(f: CommandFailure, exitCode: number, cwd: string): ErrorEvent {
  if (f.reason === 'invalid-build-file') {
    return { type: 'error', reason: f.reason, message: countLine(f.diagnostics), exitCode, diagnostics: f.diagnostics.map((d) => jsonDiagnostic(d, cwd)) };
  }
  return { type: 'error', reason: f.reason, message: f.message, exitCode };
}

export const writeFailureEvent = (io: CliIo, f: CommandFailure, exitCode: number): void => void io.stdout.write(jsonLine(failureEvent(f, exitCode, io.cwd)));
