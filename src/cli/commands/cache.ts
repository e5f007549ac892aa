/**
 * The cache-facing commands: `mbuild why IMAGE` (the input diff between now and the last
 * build) and `mbuild clean` (remove the images this checkout's state recorded that no
 * current tag or key refers to, and the local state).
 */
import { rm } from 'node:fs/promises';
import { changedFiles } from '../../cache/explain.js';
import { IMAGE_LABEL, isPinOf, KEY_LABEL, projectFilter } from '../../core/labels.js';
import { readManifest, recordedImages, stateDir, statCachePath } from '../../cache/manifest.js';
import { predict, type Prediction } from '../../cache/predict.js';
import { StatCache } from '../../cache/stat-cache.js';
import type { BuildFile } from '../../config/types.js';
import { outputsDue } from '../../outputs/due.js';
import type { BuilderKind, Engine } from '../../docker/engine.js';
import type { BuildPlan } from '../../plan/types.js';
import { shortId } from '../../report/format.js';
import { ExitCode, type CliIo } from '../io.js';
import type { GlobalOptions } from '../load.js';
import { planOrReport } from '../plan-load.js';
import { connect } from './up.js';

export interface EngineOptions extends GlobalOptions {
  readonly builder: 'auto' | BuilderKind;
}


export async function predictions(io: CliIo, file: BuildFile, plan: BuildPlan, engine: Engine, builder: BuilderKind): Promise<Prediction[]> {
  const loaded = await StatCache.load(statCachePath(file.root));
  if (loaded.warning) io.stderr.write(`warning: ${loaded.warning}\n`);
  const result = await predict({ file, plan, engine, builder, statCache: loaded.cache, noCache: false });
  await loaded.cache.save().catch(() => undefined);
  return result;
}

export async function whyCommand(io: CliIo, image: string, opts: EngineOptions): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, [image]);
  if (typeof planned === 'number') return planned;
  if (!planned.loaded.file.images.has(image)) {
    io.stderr.write(`error: '${image}' is a group; mbuild why takes one image\n`);
    return ExitCode.invalid;
  }
  const connected = await connect(io, opts);
  if (typeof connected === 'number') return connected;
  const { file } = planned.loaded;
  const p = (await predictions(io, file, planned.plan, connected.engine, connected.builder)).find((x) => x.image === image)!;
  const last = await readManifest(file.root, image);
  if (p.fresh) {
    io.stdout.write(`${image} is up to date: image ${shortId(p.imageId)}${last ? `, built ${last.builtAt}` : ''}\n`);
    const due = outputsDue(file.root, file.images.get(image)!, p.imageId);
    if (due.length > 0) io.stdout.write(`outputs to write again:\n${due.map((d) => `  - output ${d.to}: ${d.reason}`).join('\n')}\n`);
    return ExitCode.ok;
  }
  io.stdout.write(`${image} would be built:\n${p.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
  const now = p.decision?.inputs;
  if (last && now) {
    const files = changedFiles(last.inputs.files, now.files);
    if (files.length > 1) io.stdout.write(`changed context paths since the build of ${last.builtAt}:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  }
  return ExitCode.ok;
}

export async function cleanCommand(io: CliIo, opts: EngineOptions & { dryRun?: boolean }): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, 'all');
  if (typeof planned === 'number') return planned;
  const connected = await connect(io, opts);
  if (typeof connected === 'number') return connected;
  const { file } = planned.loaded;
  const engine = connected.engine;
  const keep = new Set<string>();
  for (const image of file.images.values()) {
    for (const tag of image.tags) {
      const id = (await engine.inspectImage(tag))?.id;
      if (id) keep.add(id);
    }
  }
  for (const p of await predictions(io, file, planned.plan, engine, connected.builder)) if (p.fresh) keep.add(p.imageId);
  // Only what this checkout recorded, with the key it recorded: never by project label alone
  // (another checkout may have the same project name), never an image another tag names.
  const recorded = await recordedImages(file.root);
  const ours = (tag: string) => isPinOf(file.name, tag) || tag === '<none>:<none>';
  const candidates = (await engine.listImages({ labels: [projectFilter(file.name)] }))
    .filter((i) => recorded.get(i.id)?.has(i.labels[KEY_LABEL] ?? '') === true && !keep.has(i.id) && i.repoTags.every(ours));
  for (const c of candidates) {
    io.stdout.write(`${opts.dryRun ? 'would remove' : 'removing'} ${shortId(c.id)} (${c.labels[IMAGE_LABEL] ?? '?'})\n`);
    if (!opts.dryRun) await engine.removeImage(c.id, { force: true });
  }
  if (opts.dryRun) io.stdout.write(`would remove the local state ${stateDir(file.root)}\n`);
  else await rm(stateDir(file.root), { recursive: true, force: true });
  io.stdout.write(`${candidates.length} image${candidates.length === 1 ? '' : 's'} ${opts.dryRun ? 'would be ' : ''}removed\n`);
  return ExitCode.ok;
}

