/**
 * Why a command stopped before its work was done, as a value (wireit's `Failure`): a helper
 * returns it in a `Result`, the command hands it up as it is, and the edge (main.ts) prints
 * it and turns it into the exit code, in one place.
 */
import type { Diagnostic } from '../core/diagnostic.js';
import { unreachable, type Result } from '../core/result.js';
import { ExitCode, type CliIo } from './io.js';
import { printDiagnostics } from './print.js';

export type CommandFailure =
  /** A flag, name or path of the command line that cannot be used, or an engine endpoint that cannot (exit 2). */
  | { readonly reason: 'invalid-input'; readonly message: string }
  /** The build file, or what it names (a Dockerfile, an ignore file, a context, a mount source), has errors: every diagnostic (exit 2). */
  | { readonly reason: 'invalid-build-file'; readonly diagnostics: readonly Diagnostic[] }
  /** The engine cannot be reached, or lacks what was asked of it (exit 1). */
  | { readonly reason: 'engine-unavailable'; readonly message: string }
  /** A context the command must read cannot be read (exit 1). */
  | { readonly reason: 'context-unreadable'; readonly message: string };

/** What a command ends with: the exit code of the work it did, or why it could not do it. */
export type CommandResult = Result<ExitCode, CommandFailure>;

/** Prints the failure on stderr and says the exit code it ends the command with. */
export function reportFailure(io: CliIo, f: CommandFailure): ExitCode {
  switch (f.reason) {
    case 'invalid-input':
      io.stderr.write(`error: ${f.message}\n`);
      return ExitCode.invalid;
    case 'invalid-build-file':
      printDiagnostics(io, f.diagnostics, true);
      return ExitCode.invalid;
    case 'engine-unavailable':
    case 'context-unreadable':
      io.stderr.write(`error: ${f.message}\n`);
      return ExitCode.failed;
    default:
      return unreachable(f);
  }
}
