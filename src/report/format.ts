/** Shared wording for every reporter: durations, sizes, outcomes, the summary table and failure details. */
import type { Failure, ImageOutcome, ImageResult } from '../core/events.js';
import { unreachable } from '../core/result.js';
import { formatBytes } from '../core/units.js';

export const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`);

export const bytes = formatBytes;

/** ` (from cache REF)` for an image pulled from the shared cache, else nothing. */
export const fromCache = (o: ImageOutcome): string =>
  o.kind === 'up-to-date' && o.cache !== undefined ? ` (from cache ${o.cache}${o.remote === true ? ', not pulled' : ''})` : '';

/** `same as IMAGE (why IMAGE was built)`: an image of the run built for the same key. */
/** With a pool: `moved base from b to home (3.1 MB, 0.2s)`. */
export const movedText = (e: { image: string; from: string; to: string; bytes: number; durationMs: number }): string =>
  `moved ${e.image} from ${e.from} to ${e.to} (${bytes(e.bytes)}, ${seconds(e.durationMs)})`;

export const sameAsText = (o: Extract<ImageOutcome, { kind: 'same-as' }>): string => `same as ${o.sameAs}${o.why === '' ? '' : ` (${o.why})`}`;

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export function failureText(f: Failure): string {
  switch (f.reason) {
    case 'build-failed':
      return f.step ? `failed at ${f.step}: ${f.message}` : `failed: ${f.message}`;
    case 'engine-error':
      return `engine error: ${f.message}`;
    case 'context-error':
      return `context error: ${f.message}`;
    case 'mount-failed':
      return `mount failed: ${f.message}`;
    case 'output-failed':
      return `output failed: ${f.message}`;
    case 'dependency-failed':
      return `skipped: ${f.dependency} failed`;
    case 'same-as-failed':
      return `failed: same key as ${f.image}, whose build failed`;
    case 'push-failed':
      return `push of ${f.ref} failed: ${f.message}`;
    case 'cancelled':
      return 'cancelled';
    case 'not-started':
      return 'not started';
    case 'unknown-error':
      return `internal error: ${f.message}`;
    default:
      return unreachable(f);
  }
}

export function resultWord(o: ImageOutcome): string {
  switch (o.kind) {
    case 'built':
      return 'built';
    case 'up-to-date':
      return 'up to date';
    case 'same-as':
      return `same as ${o.sameAs}`;
    case 'failed':
      return o.failure.reason === 'dependency-failed'
        ? 'skipped'
        : o.failure.reason === 'not-started'
          ? 'not started'
          : o.failure.reason === 'cancelled'
            ? 'cancelled'
            : 'FAILED';
    default:
      return unreachable(o);
  }
}

/** The table printed at the end of every run: image, result, time, image ID, size. */
export function summaryTable(results: readonly ImageResult[]): string {
  const rows = [['IMAGE', 'RESULT', 'TIME', 'IMAGE ID', 'SIZE']];
  for (const { image, outcome } of results) {
    rows.push([
      image,
      resultWord(outcome),
      outcome.kind === 'up-to-date' || outcome.kind === 'same-as' ? '-' : seconds(outcome.durationMs),
      outcome.kind === 'failed' ? '-' : shortId(outcome.imageId),
      outcome.kind === 'failed' || (outcome.kind === 'up-to-date' && outcome.remote === true) ? '-' : bytes(outcome.size),
    ]);
  }
  const widths = rows[0]!.map((_, c) => rows.reduce((w, r) => Math.max(w, r[c]!.length), 0));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** For each real failure: the failing step, its Dockerfile line and the last log lines. */
export function failureDetails(results: readonly ImageResult[], logPath: (image: string) => string): string {
  const out: string[] = [];
  for (const { image, outcome } of results) {
    if (outcome.kind !== 'failed') continue;
    const f = outcome.failure;
    // Said where it happened: the image that failed (or was cancelled) has its own details.
    if (f.reason === 'dependency-failed' || f.reason === 'same-as-failed' || f.reason === 'not-started' || f.reason === 'cancelled') continue;
    out.push(`error: image '${image}' ${failureText(f)}`);
    if (f.reason === 'build-failed') {
      if (f.dockerfileLine) out.push(`  --> ${f.dockerfileLine.path}:${f.dockerfileLine.line}`, `   | ${f.dockerfileLine.text}`);
      if (f.logTail.length > 0) out.push(`  last ${f.logTail.length} log lines:`, ...f.logTail.map((l) => `   | ${l}`));
      if (f.logLost !== true) out.push(`  full log: ${logPath(image)}`);
    }
  }
  return out.join('\n');
}

export function totals(results: readonly ImageResult[], durationMs: number, interrupted: boolean): string {
  const count = (k: string) => results.filter((r) => resultWord(r.outcome) === k).length;
  const rows: [string, number][] = [
    ['built', count('built')],
    ['same as another', results.filter((r) => r.outcome.kind === 'same-as').length],
    ['up to date', count('up to date')],
    ['failed', count('FAILED')],
    ['skipped', count('skipped')],
    ['cancelled', count('cancelled')],
    ['not started', count('not started')],
  ];
  const parts = rows.filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  return `${interrupted ? 'interrupted' : 'done'} in ${seconds(durationMs)}: ${parts.join(', ')}`;
}
