/**
 * The garbage policy after a run (`up`, each watch cycle): the images the run built are
 * added to this checkout's record (whatever the outcome), then, after a successful run and
 * unless `gc: false`, what nothing refers to any more is removed (cache/gc-run.ts). It runs
 * after the summary; a failure is a warning, never the run's outcome.
 */
import type { GcSelection } from '../cache/gc.js';
import { collectGarbage, gcSelection, type GcEngine } from '../cache/gc-run.js';
import { recordBuilt } from '../cache/gc-record.js';
import { DEFAULT_GC, type BuildFile, type GcPolicy } from '../config/types.js';
import { messageOf } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import type { RunReport } from '../execute/executor.js';
import type { LiveOutcome } from './gc-live.js';
import type { CliIo } from './io.js';
import { warnOn } from './print.js';

/** The images a run made in this engine: built, or pulled from the shared cache. */
export const madeBy = (report: RunReport): string[] =>
  report.results.flatMap(({ outcome: o }) =>
    o.kind === 'built' || (o.kind === 'up-to-date' && o.cache !== undefined && o.remote !== true) ? [o.imageId] : [],
  );

/**
 * `forget`: told the images removed, so that a session's image index (watch) never offers them again.
 * `live`: what the policy removed during the run (cli/gc-live.ts, its record already written), told with the rest.
 */
export async function afterRun(
  io: CliIo,
  engine: Engine,
  file: BuildFile,
  report: RunReport,
  o: { quiet: boolean; forget?: (imageIds: readonly string[]) => void; live?: LiveOutcome },
): Promise<void> {
  const warn = warnOn(io);
  const made = madeBy(report);
  if (made.length > 0) await recordBuilt(file.root, made).catch((e: unknown) => warn(`gc: cannot write the record of built images: ${messageOf(e)}`));
  const ok = !report.interrupted && report.results.every((r) => r.outcome.kind !== 'failed');
  const policy = file.gc ?? DEFAULT_GC;
  const nothing = { images: [], pins: 0, warnings: [] };
  const after = !ok || policy === false ? nothing : await collectGarbage(engine, file.root, file.name, policy.keep);
  const live = o.live ?? nothing;
  const done = { images: [...live.images, ...after.images], pins: live.pins + after.pins, warnings: [...live.warnings, ...after.warnings] };
  o.forget?.(done.images.map((i) => i.imageId));
  for (const w of done.warnings) warn(w);
  if (policy === false || o.quiet || (done.images.length === 0 && done.pins === 0)) return;
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const what = [done.images.length > 0 && s(done.images.length, 'superseded image'), done.pins > 0 && s(done.pins, 'superseded pin tag')]
    .filter(Boolean)
    .join(' and ');
  io.stderr.write(`gc: removed ${what} (keep ${policy.keep}; gc: false in the build file turns this off)\n`);
}

/** What `plan` shows of the policy: what it would remove now, and what of this checkout it keeps beyond `keep`, and why. */
export interface GarbageView {
  readonly policy: GcPolicy | false;
  readonly selection?: GcSelection;
}

export async function garbageView(engine: GcEngine, file: BuildFile): Promise<GarbageView> {
  const policy = file.gc ?? DEFAULT_GC;
  if (policy === false) return { policy };
  return { policy, selection: (await gcSelection(engine, file.root, file.name, policy.keep)).selection };
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export function garbageText(v: GarbageView): string {
  if (v.policy === false || v.selection === undefined) return 'garbage: off (gc: false)\n';
  const { images, pins, kept } = v.selection;
  const n = images.length + pins.length;
  const lines = [`garbage (gc: keep ${v.policy.keep}): ${n === 0 ? 'nothing to remove' : 'the policy would remove now'}`];
  for (const i of images) lines.push(`  remove image ${short(i.imageId)} (${i.image})${i.pins.length > 0 ? `, with ${i.pins.join(', ')}` : ''}`);
  for (const p of pins) lines.push(`  untag ${p.tag}`);
  for (const k of kept) lines.push(`  keep image ${short(k.imageId)} (${k.image}): ${k.reason}`);
  return `${lines.join('\n')}\n`;
}

export const garbageJson = (v: GarbageView) => ({
  policy: v.policy,
  ...(v.selection && { remove: { images: v.selection.images, pins: v.selection.pins }, kept: v.selection.kept }),
});
