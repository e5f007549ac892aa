/**
 * The text of the terminal view's rows and of its summary's outputs, pure: an image waiting
 * (dim, naming what it waits for), building (step counter and elapsed time), failed
 * (FAILED in red), and what each output wrote where. Colours only when `color` is true.
 */
import type { Failure, ImageOutcome, ImageResult } from '../core/events.js';
import { bytes, failureText, fromCache, sameAsText, seconds, shortId, summaryTable, totals } from './format.js';

const paint = (code: string, text: string, color: boolean): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
export const dim = (text: string, color: boolean): string => paint('2', text, color);
export const red = (text: string, color: boolean): string => paint('31', text, color);

/**
 * Colours on a terminal unless `NO_COLOR` is set (to anything, as no-color.org says) or the
 * terminal is dumb: the rule of cli/io.ts `useColor`.
 */
export const colorFor = (env: Readonly<Record<string, string | undefined>>, isTTY: boolean | undefined): boolean =>
  isTTY === true && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb';

/** `api  waiting for base, lib`: the images of the run it still waits for; its inputs when none is named. */
export function waitingTitle(image: string, pending: readonly string[], color: boolean): string {
  const what = pending.length === 0 ? 'its inputs' : pending.join(', ');
  return `${image} ${dim(`waiting for ${what}`, color)}`;
}

/** Its inputs are ready; every build slot is taken. */
export const queuedTitle = (image: string, color: boolean): string => `${image} ${dim('waiting for a build slot', color)}`;

/**
 * `[3/7]` of a step name as the builders write it: `[3/7] RUN make`, or BuildKit's
 * `[build 3/7] RUN make` for a named stage. Nothing for a step without a counter.
 */
export function stepCounter(step: string): string | undefined {
  const m = /^\[(?:[^\]]* )?(\d+)\/(\d+)\]/.exec(step);
  return m ? `[${m[1]!}/${m[2]!}]` : undefined;
}

/** Whole seconds, as a row redrawn each second shows them: `0s`, `42s`, `1m05s`. */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `api building [3/7] 12s (Dockerfile changed)`: the counter once a step has begun. */
export function buildingTitle(image: string, b: { readonly why: string; readonly elapsedMs: number; readonly counter?: string | undefined }): string {
  const counter = b.counter === undefined ? '' : ` ${b.counter}`;
  return `${image} building${counter} ${elapsed(b.elapsedMs)}${b.why === '' ? '' : ` (${b.why})`}`;
}

/** A real failure reads `FAILED ...` (red); a skipped, cancelled or unstarted image says so plainly. */
export function failedText(f: Failure, color: boolean): string {
  if (f.reason === 'dependency-failed' || f.reason === 'cancelled' || f.reason === 'not-started') return failureText(f);
  const text = failureText(f);
  const rest = text.startsWith('failed') ? text.slice('failed'.length) : `: ${text}`;
  return `${red('FAILED', color)}${rest}`;
}

/** The row of an image that is done. */
export function doneTitle(image: string, o: ImageOutcome, color: boolean): string {
  switch (o.kind) {
    case 'built':
      return `${image} built in ${seconds(o.durationMs)} ${shortId(o.imageId)}`;
    case 'up-to-date':
      return `${image} up to date${fromCache(o)} ${shortId(o.imageId)}`;
    case 'same-as':
      return `${image} ${sameAsText(o)} ${shortId(o.imageId)}`;
    case 'failed':
      return `${image} ${failedText(o.failure, color)}`;
  }
}

export interface OutputWritten {
  readonly image: string;
  readonly path: string;
  readonly to: string;
  readonly files: number;
  readonly bytes: number;
}

/** The summary's `outputs:` section, one line per output written (aligned by image); nothing when none was. */
export function outputsText(outputs: readonly OutputWritten[]): string {
  if (outputs.length === 0) return '';
  const width = Math.max(...outputs.map((o) => o.image.length));
  const lines = outputs.map((o) => `  ${o.image.padEnd(width)}  ${o.path} -> ${o.to} (${o.files} file${o.files === 1 ? '' : 's'}, ${bytes(o.bytes)})`);
  return `outputs:\n${lines.join('\n')}`;
}

/** The summary table with every FAILED result in red (the table is padded first, so colour keeps it aligned). */
export const colorFailed = (table: string, color: boolean): string => (color ? table.replace(/ FAILED( |$)/gm, ` ${red('FAILED', true)}$1`) : table);

/** The summary after a run: the table, the outputs written (when any), the totals line. */
export function summaryText(
  run: { readonly results: readonly ImageResult[]; readonly durationMs: number; readonly interrupted: boolean },
  outputs: readonly OutputWritten[],
  color: boolean,
): string {
  const written = outputsText(outputs);
  const table = colorFailed(summaryTable(run.results), color);
  return `${table}\n${written === '' ? '' : `\n${written}\n\n`}${totals(run.results, run.durationMs, run.interrupted)}\n`;
}
