/**
 * The engine pool in `plan` and `graph` (issue 21): each engine and what it would build,
 * the transfers between engines (pool/predict.ts's placement), and the colour of each
 * engine in a graph.
 */
import { formatBytes } from '../core/units.js';
import type { Placement } from '../pool/predict.js';

/** An engine of the pool as `plan` saw it. */
export interface PoolEngineView {
  readonly name: string;
  readonly url: string;
  readonly slots: number;
  /** Undefined when it answered; else why it did not (it is left out of the placement). */
  readonly unreachable?: string;
}

export interface PoolView {
  /** In pool order: the first is home. */
  readonly engines: readonly PoolEngineView[];
  /** Undefined when the home engine did not answer (nothing is known of freshness). */
  readonly placement?: Placement;
}

/** image -> the engine it would be built on (fresh images are absent). */
export const placedOn = (view: PoolView): ReadonlyMap<string, string> =>
  new Map(view.placement?.images.flatMap((i) => (i.engine === undefined ? [] : [[i.image, i.engine] as const])) ?? []);

const size = (bytes: number | undefined): string => (bytes === undefined ? 'size not known' : formatBytes(bytes));

/** The `engines:` and `transfers:` sections of `plan`'s text. */
export function poolText(view: PoolView): string {
  const builds = new Map(view.placement?.totals.builds.map((b) => [b.engine, b.count]));
  const width = Math.max(...view.engines.map((e) => e.name.length));
  const lines = ['engines (the first is home):'];
  view.engines.forEach((e, i) => {
    const what = e.unreachable !== undefined ? `unreachable: ${e.unreachable}` : `${builds.get(e.name) ?? 0} build${builds.get(e.name) === 1 ? '' : 's'}`;
    lines.push(`  ${e.name.padEnd(width)}  ${e.url}, ${e.slots} slot${e.slots === 1 ? '' : 's'}${i === 0 ? ', home' : ''}: ${what}`);
  });
  const placement = view.placement;
  if (placement === undefined) {
    lines.push('(placement not predicted: the home engine did not answer)');
    return `${lines.join('\n')}\n`;
  }
  const moves = placement.images.flatMap((i) => i.moves.map((m) => ({ ...m, for: i.image })));
  lines.push(moves.length === 0 ? 'transfers: none' : 'transfers:');
  for (const m of moves) {
    const why = m.image === m.for ? 'built away from home' : `read by ${m.for}`;
    lines.push(`  ${m.image}: ${m.from} -> ${m.to} (${size(m.bytes)}; ${why})`);
  }
  const t = placement.totals;
  const unknown = t.unknownSizes > 0 ? `, ${t.unknownSizes} of a size not known yet` : '';
  if (moves.length > 0) lines.push(`${t.moves} transfer${t.moves === 1 ? '' : 's'}, ${formatBytes(t.bytes)}${unknown}`);
  lines.push(`${t.rounds} round${t.rounds === 1 ? '' : 's'} of builds, one build time each (a prediction: builds are not equally long)`);
  return `${lines.join('\n')}\n`;
}

/** What `plan --format json` says of the pool: `placement`. */
export function poolJson(view: PoolView): object {
  return {
    engines: view.engines.map((e, i) => ({ ...e, home: i === 0 })),
    ...(view.placement !== undefined && { images: view.placement.images, totals: view.placement.totals }),
  };
}

/** A graph's colours: ColorBrewer Set3, one per engine in pool order (repeating past 12). */
const PALETTE = ['#8dd3c7', '#ffffb3', '#bebada', '#fb8072', '#80b1d3', '#fdb462', '#b3de69', '#fccde5', '#d9d9d9', '#bc80bd', '#ccebc5', '#ffed6f'];

/** The colouring of a graph by engine: each engine's colour, and each image's engine. */
export interface GraphColours {
  readonly engines: readonly { readonly name: string; readonly colour: string }[];
  /** image -> engine; an image absent is up to date (not built). */
  readonly of: ReadonlyMap<string, string>;
}

export function graphColours(view: PoolView): GraphColours {
  return { engines: view.engines.map((e, i) => ({ name: e.name, colour: PALETTE[i % PALETTE.length]! })), of: placedOn(view) };
}
