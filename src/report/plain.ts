/** Plain prefixed lines for CI and pipes (`[api] [2/3] RUN make`), and the quiet mode. */
import type { BuildEvent } from '../core/events.js';
import { unreachable } from '../core/result.js';
import { failureDetails, failureText, fromCache, sameAsText, seconds, shortId, movedText } from './format.js';
import { jsonLine } from './json-event.js';
import type { Reporter, ReporterOutput } from './reporter.js';
import { summaryText, type OutputWritten } from './rows.js';

export class PlainReporter implements Reporter {
  readonly #out: ReporterOutput;
  readonly #quiet: boolean;
  /** Said before the run's first build: a run whose images are all up to date announces none. */
  #announce: string | undefined;
  /** Listed again in the summary. */
  #outputs: OutputWritten[] = [];

  constructor(out: ReporterOutput, opts: { quiet: boolean }) {
    this.#out = out;
    this.#quiet = opts.quiet;
  }

  onEvent(e: BuildEvent): void {
    const line = (s: string) => {
      if (!this.#quiet) this.#out.stdout.write(`${s}\n`);
    };
    switch (e.type) {
      case 'run-started':
        this.#announce = `building with ${e.builder}${e.engines === undefined ? '' : ` on ${e.engines.length} engines (${e.engines.join(', ')})`}, ${e.jobs} at a time`;
        break;
      case 'image-queued':
        break;
      case 'image-started':
        if (this.#announce !== undefined) line(this.#announce);
        this.#announce = undefined;
        line(`[${e.image}] building${e.engine === undefined ? '' : ` on ${e.engine}`}: ${e.why}`);
        break;
      case 'image-step':
        line(`[${e.image}] ${e.step}${e.cached ? ' (cached)' : ''}`);
        break;
      case 'image-log':
        line(`[${e.image}]   ${e.line}`);
        break;
      case 'image-warning':
        this.#out.stderr.write(`[${e.image}] warning: ${e.message}\n`);
        break;
      case 'image-output':
        this.#outputs.push({ image: e.image, path: e.path, to: e.to, files: e.files, bytes: e.bytes });
        line(`[${e.image}] output ${e.path} -> ${e.to}`);
        break;
      case 'image-done': {
        const o = e.outcome;
        if (o.kind === 'built') line(`[${e.image}] built in ${seconds(o.durationMs)}: ${shortId(o.imageId)} ${e.tags.join(' ')}`);
        else if (o.kind === 'up-to-date') line(`[${e.image}] up to date${fromCache(o)}: ${shortId(o.imageId)} ${e.tags.join(' ')}`);
        else if (o.kind === 'same-as') line(`[${e.image}] ${sameAsText(o)}: ${shortId(o.imageId)} ${e.tags.join(' ')}`);
        else line(`[${e.image}] ${failureText(o.failure)}`);
        break;
      }
      case 'push-started':
        line(`[${e.image}] pushing ${e.ref}`);
        break;
      case 'push-progress':
        break;
      case 'push-done':
        line(`[${e.image}] pushed ${e.ref}${e.via === 'copy' ? ' (manifest copied from the cache)' : ''}: ${e.digest}`);
        break;
      case 'push-failed':
        this.#out.stderr.write(`[${e.image}] push of ${e.ref} failed: ${e.message}\n`);
        break;
      case 'cache-stored':
        line(`[${e.image}] stored in the cache as ${e.ref}`);
        break;
      case 'image-moved':
        line(`[${e.for}] ${movedText(e)}`);
        break;
      case 'run-finished': {
        const details = failureDetails(e.results, this.#out.logPath);
        if (!this.#quiet) this.#out.stdout.write(`\n${summaryText(e, this.#outputs, false)}`);
        this.#outputs = [];
        if (details !== '') this.#out.stderr.write(`\n${details}\n`);
        break;
      }
      default:
        unreachable(e);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** `--progress json`: one JSON object per event and line, with the stream's version and a timestamp (json-event.ts). */
export class JsonReporter implements Reporter {
  readonly #out: ReporterOutput;

  constructor(out: ReporterOutput) {
    this.#out = out;
  }

  onEvent(e: BuildEvent): void {
    this.#out.stdout.write(jsonLine(e));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
