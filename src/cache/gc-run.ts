/**
 * The garbage policy on the engine: what it would remove now (`gcSelection`, for `plan`
 * too) and the removal itself (`collectGarbage`). After a run, nothing is asked when the
 * local state rules garbage out (`mayHaveGarbage`: a no-op); else the listings of the
 * project's images (by label, by mark tag), then all containers, only when some image is to go, then one DELETE per pin and image, never
 * forced: a conflict (a container, a child image) keeps the image. Nothing here fails: a
 * removal the engine refuses otherwise is a warning in the outcome.
 */
import { readdirSync } from 'node:fs';
import { manifestsDir } from '../core/layout.js';
import { messageOf } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import { mayHaveGarbage, selectGarbage, type GcImage, type GcInput, type GcSelection } from './gc.js';
import { readBuilt, writeBuilt } from './gc-record.js';
import { keyHistory } from './manifest.js';
import { listProjectImages } from './project-images.js';

export type GcEngine = Pick<Engine, 'listImages' | 'listContainers' | 'removeImage'>;

/** Every key history of this checkout: image name -> image IDs, newest first. */
export function histories(root: string): Map<string, string[]> {
  let names: string[];
  try {
    names = readdirSync(manifestsDir(root)).filter((n) => n.endsWith('.json.key'));
  } catch {
    return new Map();
  }
  return new Map(
    names.map((n) => {
      const image = n.slice(0, -'.json.key'.length);
      return [image, keyHistory(root, image).flatMap((h) => (h.imageId === undefined ? [] : [h.imageId]))];
    }),
  );
}

/** What the policy would remove now (and the inputs it decided from). */
export async function gcSelection(
  engine: GcEngine,
  root: string,
  project: string,
  keep: number,
  o: { quick?: boolean } = {},
): Promise<{ input: GcInput; selection: GcSelection }> {
  const built = readBuilt(root);
  const base = { project, keep, histories: histories(root), built, inUse: new Set<string>() };
  // `quick` (after a run): nothing asked of the engine when the local state rules garbage out.
  if (built.size === 0 || (o.quick === true && !mayHaveGarbage(built, base.histories, keep)))
    return { input: { ...base, images: [] }, selection: { pins: [], images: [], kept: [] } };
  const images = await listProjectImages(engine, project);
  const first = selectGarbage({ ...base, images });
  if (first.images.length === 0) return { input: { ...base, images }, selection: first };
  // Containers are listed only when an image is to go: a no-op asks for one listing.
  const inUse = new Set((await engine.listContainers({ labels: [] })).map((c) => c.imageId));
  const input = { ...base, images, inUse };
  return { input, selection: selectGarbage(input) };
}

export interface GcOutcome {
  readonly images: readonly GcImage[];
  readonly pins: number;
  /** Images a conflict kept (a container created meanwhile, a child image of another project). */
  readonly conflicts: number;
  readonly warnings: readonly string[];
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number } | null)?.statusCode;

/** Runs the policy; never throws. */
export async function collectGarbage(engine: GcEngine, root: string, project: string, keep: number): Promise<GcOutcome> {
  const warnings: string[] = [];
  let chosen: Awaited<ReturnType<typeof gcSelection>>;
  try {
    chosen = await gcSelection(engine, root, project, keep, { quick: true });
  } catch (e) {
    return { images: [], pins: 0, conflicts: 0, warnings: [`gc: ${messageOf(e)}`] };
  }
  const { input, selection } = chosen;
  /** true: gone (or was); false: kept by a conflict or an error. */
  const remove = async (ref: string): Promise<boolean> => {
    try {
      await engine.removeImage(ref);
      return true;
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return true;
      if (status !== 409) warnings.push(`gc: cannot remove ${ref}: ${messageOf(e)}`);
      return false;
    }
  };
  let pins = 0;
  let conflicts = 0;
  for (const p of selection.pins) if (await remove(p.tag)) pins++;
  const removed: GcImage[] = [];
  for (const image of selection.images) {
    let gone = true;
    // Untagging the last pin deletes the image; by ID for an image that had none.
    for (const tag of image.pins) gone &&= await remove(tag);
    if (gone) gone = await remove(image.imageId);
    if (gone) removed.push(image);
    else conflicts++;
  }
  const gone = new Set(removed.map((r) => r.imageId));
  const present = new Set(input.images.map((i) => i.id));
  const left = [...input.built].filter((id) => present.has(id) && !gone.has(id));
  if (input.images.length > 0 && left.length !== input.built.size) {
    await writeBuilt(root, left).catch((e: unknown) => warnings.push(`gc: cannot write the record of built images: ${messageOf(e)}`));
  }
  return { images: removed, pins, conflicts, warnings };
}
