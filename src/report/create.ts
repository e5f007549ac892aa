/**
 * The reporter for a run, picked at the edge: listr2 on a real terminal outside CI, plain
 * prefixed lines otherwise, NDJSON for `--progress json`, and `--quiet`. listr2 is loaded
 * only when it is picked.
 */
import type { Reporter, ReporterOutput } from './reporter.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';

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
