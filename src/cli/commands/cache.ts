/**
 * The cache-facing commands: `mbuild why IMAGE` (the input diff between now and the last
 * build) and `mbuild clean` (remove the images this checkout's state recorded that no
 * current tag or key refers to, and the local state; `--all`: its current images too).
 */
import { rm } from 'node:fs/promises';
import { changedFiles } from '../../cache/explain.js';
import { readManifest, recordedImages } from '../../cache/manifest.js';
import { predictPlanned } from '../../cache/predict.js';
import { listProjectImages } from '../../cache/project-images.js';
import { isMarkOf, isPinOf, marksOf } from '../../core/labels.js';
import { stateDir } from '../../core/layout.js';
import { err, messageOf, ok } from '../../core/result.js';
import type { BuilderKind, Engine, ImageSummary } from '../../docker/engine.js';
import type { BuildFile } from '../../config/types.js';
import type { Planned } from '../../plan/types.js';
import { withTag } from '../../execute/pins.js';
import { outputsDue } from '../../outputs/due.js';
import { shortId } from '../../report/format.js';
import { connect } from '../engine.js';
import type { CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import { planFor, type GlobalOptions } from '../load.js';
import { warnOn } from '../print.js';

export interface EngineOptions extends GlobalOptions {
  readonly builder: 'auto' | BuilderKind;
}

export async function whyCommand(io: CliIo, image: string, opts: EngineOptions): Promise<CommandResult> {
  const planned = await planFor(io, opts, [image]);
  if (!planned.ok) return planned;
  const { file } = planned.value;
  if (!file.images.has(image)) return err({ reason: 'invalid-input', message: `'${image}' is a group; mbuild why takes one image` });
  const connected = await connect(io, opts);
  if (!connected.ok) return connected;
  const { engine, builder } = connected.value;
  const p = (await predictPlanned(planned.value, engine, builder, warnOn(io))).find((x) => x.image === image)!;
  const last = await readManifest(file.root, image);
  if (p.fresh) {
    io.stdout.write(`${image} is up to date: image ${shortId(p.imageId)}${last ? `, built ${last.builtAt}` : ''}\n`);
    const due = outputsDue(file.root, file.images.get(image)!, p.imageId);
    if (due.length > 0) io.stdout.write(`outputs to write again:\n${due.map((d) => `  - output ${d.to}: ${d.reason}`).join('\n')}\n`);
    return ok(ExitCode.ok);
  }
  io.stdout.write(`${image} would be built:\n${p.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
  const now = p.decision?.inputs;
  if (last && now) {
    const files = changedFiles(last.inputs.files, now.files);
    if (files.length > 1) io.stdout.write(`changed context paths since the build of ${last.builtAt}:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  }
  return ok(ExitCode.ok);
}

export async function cleanCommand(io: CliIo, opts: EngineOptions & { dryRun?: boolean; all?: boolean }): Promise<CommandResult> {
  const planned = await planFor(io, opts, 'all');
  if (!planned.ok) return planned;
  const connected = await connect(io, opts);
  if (!connected.ok) return connected;
  const { file } = planned.value;
  const { engine, builder } = connected.value;
  // Only what this checkout recorded, with the key it recorded: never by project label alone
  // (another checkout may have the same project name).
  const recorded = await recordedImages(file.root);
  const mine = (await listProjectImages(engine, file.name)).filter((i) =>
    marksOf(i).some((m) => m.project === file.name && recorded.get(i.id)?.has(m.key) === true),
  );
  const removed = opts.all
    ? await cleanAll(io, engine, file, mine, opts.dryRun ?? false)
    : await cleanSuperseded(io, planned.value, engine, builder, mine, opts);
  if (opts.dryRun) io.stdout.write(`would remove the local state ${stateDir(file.root)}\n`);
  else await rm(stateDir(file.root), { recursive: true, force: true });
  io.stdout.write(`${removed} image${removed === 1 ? '' : 's'} ${opts.dryRun ? 'would be ' : ''}removed\n`);
  return ok(ExitCode.ok);
}

/** The image name of the build file an image of the project was built for, as its marks say. */
const imageOf = (file: BuildFile, i: ImageSummary): string => marksOf(i).find((m) => m.project === file.name)?.image ?? '?';

/** Plain `clean`: the recorded images that no current tag or key refers to (forced, as ever). */
async function cleanSuperseded(
  io: CliIo,
  planned: Planned,
  engine: Engine,
  builder: BuilderKind,
  mine: readonly ImageSummary[],
  opts: { dryRun?: boolean },
): Promise<number> {
  const { file } = planned;
  const keep = new Set<string>();
  for (const image of file.images.values()) {
    for (const tag of image.tags) {
      const id = (await engine.inspectImage(tag))?.id;
      if (id) keep.add(id);
    }
  }
  for (const p of await predictPlanned(planned, engine, builder, warnOn(io))) if (p.fresh) keep.add(p.imageId);
  const candidates = mine.filter((i) => !keep.has(i.id) && i.repoTags.every((tag) => isPinOf(file.name, tag) || isMarkOf(file.name, tag)));
  for (const c of candidates) {
    io.stdout.write(`${opts.dryRun ? 'would remove' : 'removing'} ${shortId(c.id)} (${imageOf(file, c)})\n`);
    if (!opts.dryRun) await engine.removeImage(c.id, { force: true });
  }
  return candidates.length;
}

/**
 * `clean --all`: every image this checkout recorded, the current ones too, with the build
 * file's tags, pins and mark tags that name them (untagged first). Kept: an image with another tag (the
 * user's own), an image a container uses (never forced: a conflict keeps it).
 */
async function cleanAll(io: CliIo, engine: Engine, file: BuildFile, mine: readonly ImageSummary[], dryRun: boolean): Promise<number> {
  const own = new Set([...file.images.values()].flatMap((i) => i.tags.map(withTag)));
  const inUse = new Set((await engine.listContainers({ labels: [] })).map((c) => c.imageId));
  let removed = 0;
  for (const i of mine) {
    const what = `${shortId(i.id)} (${imageOf(file, i)})`;
    const foreign = i.repoTags.find((t) => !own.has(t) && !isPinOf(file.name, t) && !isMarkOf(file.name, t));
    if (foreign !== undefined || inUse.has(i.id)) {
      io.stdout.write(`keeping ${what}: ${foreign !== undefined ? `tagged ${foreign}` : 'used by a container'}\n`);
      continue;
    }
    io.stdout.write(`${dryRun ? 'would remove' : 'removing'} ${what}${i.repoTags.length > 0 ? ` with ${i.repoTags.join(', ')}` : ''}\n`);
    if (dryRun) {
      removed++;
      continue;
    }
    try {
      for (const tag of i.repoTags) await engine.removeImage(tag);
      await engine.removeImage(i.id).catch((e: unknown) => {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      });
      removed++;
    } catch (e) {
      warnOn(io)(`cannot remove ${what}: ${messageOf(e)}`);
    }
  }
  return removed;
}
