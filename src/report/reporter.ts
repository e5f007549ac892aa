/**
 * Reporters render BuildEvents. The core never renders; the CLI picks a reporter at
 * the edge (create.ts): listr2 on a TTY, plain prefixed lines when not a TTY or when CI
 * is set, NDJSON for `--progress json`, and `--quiet`.
 */
import type { BuildEvent } from '../core/events.js';

export interface Reporter {
  onEvent(event: BuildEvent): void;
  /** Flushes and stops rendering (restores the cursor on a TTY). */
  close(): Promise<void>;
}

export interface ReporterOutput {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the full log of an image is kept, named in failure details. */
  readonly logPath: (image: string) => string;
}
