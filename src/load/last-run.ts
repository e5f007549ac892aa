/**
 * The tags the images of this file carried when this checkout last built them, read (never
 * written) from the manifests under `.mbuild/state/` (cache/manifest.ts), for references
 * that still name a tag an image has since lost. A manifest that does not record its
 * image's tags, or none at all, adds nothing.
 */
import { readdirSync } from 'node:fs';
import { readManifest } from '../cache/manifest.js';
import { manifestsDir } from '../core/layout.js';
import type { BuildFile } from '../config/types.js';
import { familiarRef } from '../plan/graph.js';

/** Familiar tag (`shop/base:dev`) -> the image of the file that carried it in its last build. */
export async function lastRunTags(file: BuildFile): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // One listing of the state folder, then only the manifests that are there: a failed open
  // per image costs an error object each (20,000 images: a second).
  const present = stateFiles(file.root);
  const names = [...file.images.keys()].filter((name) => present.has(`${name}.json`));
  const manifests = await Promise.all(names.map(async (name) => [name, await readManifest(file.root, name)] as const));
  for (const [name, manifest] of manifests) {
    const tags: unknown = manifest?.tags;
    if (!Array.isArray(tags)) continue;
    for (const tag of tags) if (typeof tag === 'string') out.set(familiarRef(tag), name);
  }
  return out;
}

/** The names of the files in `.mbuild/state/`; none when it cannot be listed. */
function stateFiles(root: string): Set<string> {
  try {
    return new Set(readdirSync(manifestsDir(root)));
  } catch {
    return new Set();
  }
}
