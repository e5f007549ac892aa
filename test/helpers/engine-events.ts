/**
 * Reading `mbuild up --progress json` output: one BuildEvent per line plus its `time`.
 * Builds become intervals (image-started .. image-done) with both the wall-clock times
 * and the positions in the stream, so order and overlap can be asserted either way.
 */
import type { BuildEvent, Failure, ImageOutcome } from '../../src/core/events.js';

export type JsonEvent = BuildEvent & { readonly time: string };

export function parseEvents(stdout: string): JsonEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as JsonEvent;
      } catch {
        throw new Error(`line ${i + 1} of --progress json output is not JSON: ${l}`);
      }
    });
}

export interface BuildInterval {
  readonly image: string;
  /** Milliseconds since the epoch, from the events' `time`. */
  readonly start: number;
  readonly end: number;
  /** Positions of image-started and image-done in the stream. */
  readonly startIndex: number;
  readonly endIndex: number;
  readonly outcome: ImageOutcome;
}

/** One interval per image that started; throws if an image started twice or never ended. */
export function intervals(events: readonly JsonEvent[]): Map<string, BuildInterval> {
  const out = new Map<string, BuildInterval>();
  events.forEach((e, i) => {
    if (e.type !== 'image-started') return;
    if (out.has(e.image)) throw new Error(`${e.image} started twice`);
    const endIndex = events.findIndex((d, j) => j > i && d.type === 'image-done' && d.image === e.image);
    if (endIndex === -1) throw new Error(`${e.image} started but never finished`);
    const done = events[endIndex] as Extract<JsonEvent, { type: 'image-done' }>;
    out.set(e.image, { image: e.image, start: Date.parse(e.time), end: Date.parse(done.time), startIndex: i, endIndex, outcome: done.outcome });
  });
  return out;
}

/** Both builds were running at the same moment (strictly). */
export const overlap = (a: BuildInterval, b: BuildInterval): boolean => a.start < b.end && b.start < a.end;

/** Per image: `built`, or the failure reason (`build-failed`, `dependency-failed`, `not-started`, `cancelled`, …). */
export function outcomes(events: readonly JsonEvent[]): Record<string, string> {
  const finished = events.find((e): e is Extract<JsonEvent, { type: 'run-finished' }> => e.type === 'run-finished');
  if (!finished) throw new Error('no run-finished event');
  return Object.fromEntries(finished.results.map((r) => [r.image, r.outcome.kind === 'failed' ? r.outcome.failure.reason : r.outcome.kind]));
}

export function failureOf(events: readonly JsonEvent[], image: string): Failure | undefined {
  const done = events.find((e): e is Extract<JsonEvent, { type: 'image-done' }> => e.type === 'image-done' && e.image === image);
  return done?.outcome.kind === 'failed' ? done.outcome.failure : undefined;
}

export function imageIdOf(events: readonly JsonEvent[], image: string): string {
  const done = events.find((e): e is Extract<JsonEvent, { type: 'image-done' }> => e.type === 'image-done' && e.image === image);
  if (done === undefined || done.outcome.kind === 'failed') throw new Error(`${image} was not built`);
  return done.outcome.imageId;
}

/** How many times each event type occurred for `image`. */
export const count = (events: readonly JsonEvent[], type: JsonEvent['type'], image: string): number =>
  events.filter((e) => e.type === type && 'image' in e && e.image === image).length;
