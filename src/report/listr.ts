/**
 * The TTY reporter: one listr2 row per image (waiting, building with its current step,
 * done with its time, failed, skipped). The only module that imports listr2. Signals
 * are ours (registerSignalListeners: false): the CLI cancels builds, then closes this.
 */
import { Listr, type DefaultRenderer, type ListrTaskWrapper, type SimpleRenderer } from 'listr2';
import type { BuildEvent, ImageOutcome } from '../core/events.js';
import { unreachable } from '../core/result.js';
import { bytes, failureDetails, failureText, fromCache, sameAsText, seconds, shortId, summaryTable, totals } from './format.js';
import type { Reporter, ReporterOutput } from './reporter.js';

type TaskWrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

interface Row {
  task?: TaskWrapper;
  title: string;
  output?: string;
  done?: (o: ImageOutcome) => void;
}

export class ListrReporter implements Reporter {
  readonly #out: ReporterOutput;
  readonly #rows = new Map<string, Row>();
  #running: Promise<unknown> | undefined;
  #final = '';

  constructor(out: ReporterOutput) {
    this.#out = out;
  }

  onEvent(e: BuildEvent): void {
    switch (e.type) {
      case 'run-started':
        this.#start(e.images);
        break;
      case 'image-queued':
        this.#update(e.image, `${e.image} waiting for a build slot`);
        break;
      case 'image-started':
        this.#update(e.image, `${e.image} building (${e.why})`);
        break;
      case 'image-step':
        this.#update(e.image, undefined, `${e.step}${e.cached ? ' (cached)' : ''}`);
        break;
      case 'image-log':
        this.#update(e.image, undefined, e.line);
        break;
      case 'image-warning':
        this.#update(e.image, undefined, `warning: ${e.message}`);
        break;
      case 'image-output':
        this.#update(e.image, undefined, `output ${e.path} -> ${e.to}`);
        break;
      case 'image-done': {
        const o = e.outcome;
        if (o.kind === 'built') this.#update(e.image, `${e.image} built in ${seconds(o.durationMs)} ${shortId(o.imageId)}`);
        else if (o.kind === 'up-to-date') this.#update(e.image, `${e.image} up to date${fromCache(o)} ${shortId(o.imageId)}`);
        else if (o.kind === 'same-as') this.#update(e.image, `${e.image} ${sameAsText(o)} ${shortId(o.imageId)}`);
        else this.#update(e.image, `${e.image} ${failureText(o.failure)}`);
        this.#rows.get(e.image)?.done?.(o);
        break;
      }
      case 'push-started':
        this.#update(e.image, undefined, `pushing ${e.ref}`);
        break;
      case 'push-progress':
        this.#update(e.image, undefined, `pushing ${e.ref}: ${bytes(e.current)} of ${bytes(e.total)}`);
        break;
      case 'push-done':
        this.#update(e.image, undefined, `pushed ${e.ref}`);
        break;
      case 'push-failed':
        this.#update(e.image, undefined, `push of ${e.ref} failed: ${e.message}`);
        break;
      case 'cache-stored':
        this.#update(e.image, undefined, `stored in the cache as ${e.ref}`);
        break;
      case 'run-finished': {
        const details = failureDetails(e.results, this.#out.logPath);
        this.#final = `\n${summaryTable(e.results)}\n${totals(e.results, e.durationMs, e.interrupted)}\n${details === '' ? '' : `\n${details}\n`}`;
        break;
      }
      default:
        unreachable(e);
    }
  }

  #start(images: readonly string[]): void {
    const list = new Listr<unknown, 'default', 'simple'>(
      images.map((image) => {
        const row: Row = { title: `${image} waiting for its inputs` };
        const finished = new Promise<ImageOutcome>((resolve) => (row.done = resolve));
        this.#rows.set(image, row);
        return {
          title: row.title,
          task: async (_ctx: unknown, task: TaskWrapper) => {
            row.task = task;
            task.title = row.title;
            if (row.output) task.output = row.output;
            const o = await finished;
            if (o.kind !== 'failed') return;
            const f = o.failure;
            if (f.reason === 'dependency-failed' || f.reason === 'not-started') task.skip(row.title);
            else throw new Error(row.title);
          },
        };
      }),
      {
        renderer: 'default',
        fallbackRenderer: 'simple',
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        collectErrors: false,
        rendererOptions: { collapseErrors: true, showErrorMessage: false, formatOutput: 'truncate' },
      },
    );
    this.#running = list.run().catch(() => undefined);
  }

  #update(image: string, title?: string, output?: string): void {
    const row = this.#rows.get(image);
    if (!row) return;
    if (title !== undefined) row.title = title;
    if (output !== undefined) row.output = output;
    if (row.task) {
      if (title !== undefined) row.task.title = title;
      if (output !== undefined) row.task.output = output;
    }
  }

  async close(): Promise<void> {
    // Rows still open (an interrupted run) end as they are.
    for (const row of this.#rows.values()) row.done?.({ kind: 'failed', failure: { reason: 'not-started' }, durationMs: 0 });
    await this.#running;
    if (this.#final !== '') this.#out.stdout.write(this.#final);
  }
}
