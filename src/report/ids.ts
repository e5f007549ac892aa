/**
 * `mbuild up -q`: like `docker build -q`, stdout holds only image IDs, one line per image of
 * the run that has one (built, up to date or the same as another), in the summary's order,
 * once the run is done. Warnings and failures go to stderr as in quiet plain mode.
 */
import type { BuildEvent } from '../core/events.js';
import { PlainReporter } from './plain.js';
import type { Reporter, ReporterOutput } from './reporter.js';

export class IdsReporter implements Reporter {
  readonly #out: ReporterOutput;
  readonly #errors: PlainReporter;

  constructor(out: ReporterOutput) {
    this.#out = out;
    this.#errors = new PlainReporter(out, { quiet: true });
  }

  onEvent(e: BuildEvent): void {
    this.#errors.onEvent(e);
    if (e.type !== 'run-finished') return;
    const ids = e.results.flatMap((r) => (r.outcome.kind === 'failed' ? [] : [r.outcome.imageId]));
    if (ids.length > 0) this.#out.stdout.write(`${ids.join('\n')}\n`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
