/**
 * Reporters render BuildEvents. The core never renders; the CLI picks a reporter at
 * the edge: listr2 on a TTY, plain prefixed lines when not a TTY or when CI is set,
 * NDJSON for `--progress json`, and `--quiet`.
 */
import type { BuildEvent } from '../core/events.js';

export interface Reporter {
  onEvent(event: BuildEvent): void;
  /** Flushes and stops rendering (restores the cursor on a TTY). */
  close(): Promise<void>;
}

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

export interface ReporterOutput {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the full log of an image is kept, named in failure details. */
  readonly logPath: (image: string) => string;
}

/** `auto`: the animated renderer only on a real terminal outside CI. */
export function resolveMode(mode: ProgressMode, out: ReporterOutput): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const ci = out.env['CI'] !== undefined && out.env['CI'] !== '' && out.env['CI'] !== 'false';
  // A terminal that reports no width (some pseudo-terminals) would truncate every row to nothing.
  const width = out.stdout.columns ?? 0;
  return out.stdout.isTTY === true && !ci && out.env['TERM'] !== 'dumb' && width > 0 ? 'tty' : 'plain';
}

export async function createReporter(mode: ProgressMode, out: ReporterOutput): Promise<Reporter> {
  const resolved = resolveMode(mode, out);
  switch (resolved) {
    case 'tty': {
      const { ListrReporter } = await import('./listr.js');
      return new ListrReporter(out);
    }
    case 'json': {
      const { JsonReporter } = await import('./plain.js');
      return new JsonReporter(out);
    }
    case 'plain':
    case 'quiet': {
      const { PlainReporter } = await import('./plain.js');
      return new PlainReporter(out, { quiet: resolved === 'quiet' });
    }
  }
}
