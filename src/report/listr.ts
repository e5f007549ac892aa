/**
 * The TTY reporter: one listr2 row per image (waiting for named upstream images or a build
 * slot, dim; building with its step counter and elapsed time; done with its time; FAILED in
 * red; skipped), then the summary with the outputs written. The only module that imports
 * listr2. Several runs (watch) each draw their own list, one after the other; lines of
 * `note` are written between lists, never into one. Signals are ours
 * (registerSignalListeners: false): the CLI cancels builds, then closes this.
 */
import { Listr, type DefaultRenderer, type ListrTaskWrapper, type SimpleRenderer } from 'listr2';
import type { BuildEvent, ImageOutcome } from '../core/events.js';
import { unreachable } from '../core/result.js';
import { bytes, failureDetails, movedText } from './format.js';
import type { Reporter, ReporterOutput } from './reporter.js';
import { buildingTitle, colorFor, doneTitle, queuedTitle, stepCounter, summaryText, waitingTitle, type OutputWritten } from './rows.js';

type TaskWrapper = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

/** Building rows redraw their elapsed time this often; no timer runs while nothing builds. */
const TICK_MS = 1000;

interface Row {
  task?: TaskWrapper;
  title: string;
  output?: string;
  done?: (o: ImageOutcome) => void;
  /** Upstream images of the run not done yet, while the row waits for them. */
  pending?: string[];
  building?: { readonly since: number; readonly why: string; counter?: string | undefined };
}

export class ListrReporter implements Reporter {
  readonly #out: ReporterOutput;
  readonly #color: boolean;
  #rows = new Map<string, Row>();
  #outputs: OutputWritten[] = [];
  /** Everything drawn or written, in order: lists, summaries, notes. */
  #tail: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(out: ReporterOutput) {
    this.#out = out;
    this.#color = colorFor(out.env, out.stdout.isTTY);
  }

  onEvent(e: BuildEvent): void {
    switch (e.type) {
      case 'run-started':
        this.#start(e.images, e.upstream ?? {});
        break;
      case 'image-queued':
        this.#stopWaiting(e.image);
        this.#update(e.image, queuedTitle(e.image, this.#color));
        break;
      case 'image-started':
        this.#stopWaiting(e.image);
        this.#building(e.image, { since: performance.now(), why: e.engine === undefined ? e.why : `${e.why} (on ${e.engine})` });
        break;
      case 'image-step':
        this.#step(e.image, e.step);
        this.#update(e.image, undefined, `${e.step}${e.cached ? ' (cached)' : ''}`);
        break;
      case 'image-log':
        this.#update(e.image, undefined, e.line);
        break;
      case 'image-warning':
        this.#update(e.image, undefined, `warning: ${e.message}`);
        break;
      case 'image-output':
        this.#outputs.push({ image: e.image, path: e.path, to: e.to, files: e.files, bytes: e.bytes });
        this.#update(e.image, undefined, `output ${e.path} -> ${e.to}`);
        break;
      case 'image-done':
        this.#done(e.image, e.outcome);
        break;
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
      case 'image-moved':
        this.#update(e.for, undefined, movedText(e));
        break;
      case 'run-finished':
        this.#finish(e);
        break;
      default:
        unreachable(e);
    }
  }

  /** A line written after the list being drawn, if any (watch's own messages). */
  note(line: string): void {
    this.#write(`${line}\n`);
  }

  async close(): Promise<void> {
    // Rows still open (an interrupted run) end as they are.
    this.#endRows();
    await this.#tail;
  }

  #write(text: string): void {
    this.#tail = this.#tail.then(() => void this.#out.stdout.write(text));
  }

  #start(images: readonly string[], upstream: Readonly<Record<string, readonly string[]>>): void {
    this.#endRows();
    this.#rows = new Map();
    this.#outputs = [];
    const tasks = images.map((image) => {
      const pending = [...(upstream[image] ?? [])];
      const row: Row = { title: waitingTitle(image, pending, this.#color), pending };
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
    });
    this.#tail = this.#tail.then(() =>
      new Listr<unknown, 'default', 'simple'>(tasks, {
        renderer: 'default',
        fallbackRenderer: 'simple',
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        collectErrors: false,
        rendererOptions: { collapseErrors: true, showErrorMessage: false, formatOutput: 'truncate' },
      })
        .run()
        .then(
          () => undefined,
          () => undefined,
        ),
    );
  }

  #finish(e: Extract<BuildEvent, { type: 'run-finished' }>): void {
    this.#endRows();
    const details = failureDetails(e.results, this.#out.logPath);
    this.#write(`\n${summaryText(e, this.#outputs, this.#color)}${details === '' ? '' : `\n${details}\n`}`);
  }

  /** Ends every row still open as not started, and the timer. */
  #endRows(): void {
    for (const row of this.#rows.values()) {
      row.building = undefined;
      row.done?.({ kind: 'failed', failure: { reason: 'not-started' }, durationMs: 0 });
    }
    this.#tick();
  }

  /** The row no longer waits for its upstream: it is queued or started. */
  #stopWaiting(image: string): void {
    const row = this.#rows.get(image);
    if (row) row.pending = undefined;
  }

  #building(image: string, b: NonNullable<Row['building']>): void {
    const row = this.#rows.get(image);
    if (!row) return;
    row.building = b;
    this.#update(image, buildingTitle(image, { ...b, elapsedMs: 0 }));
    this.#tick();
  }

  #step(image: string, step: string): void {
    const b = this.#rows.get(image)?.building;
    const counter = stepCounter(step);
    if (b === undefined || counter === undefined) return;
    b.counter = counter;
    this.#update(image, buildingTitle(image, { ...b, elapsedMs: performance.now() - b.since }));
  }

  #done(image: string, o: ImageOutcome): void {
    const row = this.#rows.get(image);
    if (row) row.building = undefined;
    this.#update(image, doneTitle(image, o, this.#color));
    row?.done?.(o);
    for (const [name, other] of this.#rows) {
      if (other.pending === undefined || !other.pending.includes(image)) continue;
      other.pending = other.pending.filter((p) => p !== image);
      this.#update(name, waitingTitle(name, other.pending, this.#color));
    }
    this.#tick();
  }

  /** Redraws the elapsed time of building rows; starts the timer while one builds, stops it when none does. */
  #tick(): void {
    const now = performance.now();
    let building = false;
    for (const [image, row] of this.#rows) {
      if (row.building === undefined) continue;
      building = true;
      this.#update(image, buildingTitle(image, { ...row.building, elapsedMs: now - row.building.since }));
    }
    if (building && this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref();
    } else if (!building && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
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
}
