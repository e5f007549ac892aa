/**
 * What `mbuild watch` renders: its runs with the reporter `up` would pick (on a terminal,
 * each cycle drawn as its own listr2 view) and its own events, as plain lines between the
 * views, or NDJSON with `--progress json`.
 */
import type { WatchEvent } from '../core/events.js';
import { createReporter, resolveMode, type ProgressMode } from './create.js';
import type { Reporter, ReporterOutput } from './reporter.js';
import { plainLine, watchLog } from './watch-log.js';

export interface WatchView {
  readonly reporter: Reporter;
  readonly watch: (e: WatchEvent) => void;
}

/** `quiet`: no build progress; watch's own events are still written (as NDJSON with `json`). */
export async function createWatchView(mode: ProgressMode, out: ReporterOutput, quiet: boolean): Promise<WatchView> {
  const resolved = resolveMode(mode, out);
  if (quiet) return { reporter: await createReporter('quiet', out), watch: watchLog(out.stdout, resolved === 'json') };
  if (resolved === 'tty') {
    const { ListrReporter } = await import('./listr.js');
    const reporter = new ListrReporter(out);
    return { reporter, watch: (e) => reporter.note(plainLine(e)) };
  }
  return { reporter: await createReporter(resolved, out), watch: watchLog(out.stdout, resolved === 'json') };
}
