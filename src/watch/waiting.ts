/**
 * Images that cannot be built while an input is gone (a Dockerfile or a context folder deleted
 * or renamed during watch): they wait under the last good plan, and the change that brings the
 * input back builds them. An image whose upstream waits and has no image yet waits with it;
 * one whose upstream has an image is built against that image.
 */
import { statSync } from 'node:fs';
import { sep } from 'node:path';
import type { BuildFile } from '../config/types.js';
import type { BuildPlan } from '../plan/types.js';

export interface Waiting {
  readonly image: string;
  /** Absolute paths of the inputs that are gone; empty when the image waits for `upstream`. */
  readonly missing: readonly string[];
  readonly upstream?: string;
}

const is = (path: string, kind: 'file' | 'dir'): boolean => {
  try {
    const st = statSync(path);
    return kind === 'dir' ? st.isDirectory() : st.isFile();
  } catch {
    return false;
  }
};

/** The image's context folder and Dockerfile that are not there. */
export function missingInputs(file: BuildFile, name: string): string[] {
  const image = file.images.get(name);
  if (image === undefined) return [];
  if (!is(image.context, 'dir')) {
    // A Dockerfile inside a missing context is gone with it: the folder says it all.
    const outside = image.dockerfile.kind === 'file' && !image.dockerfile.path.startsWith(image.context + sep) && !is(image.dockerfile.path, 'file');
    return outside ? [image.context, image.dockerfile.path] : [image.context];
  }
  return image.dockerfile.kind === 'file' && !is(image.dockerfile.path, 'file') ? [image.dockerfile.path] : [];
}

/** The images of `todo` (in plan order) that must wait, each with why. */
export function waitingImages(file: BuildFile, plan: BuildPlan, todo: readonly string[], known: ReadonlyMap<string, string>): Waiting[] {
  const byName = new Map(plan.images.map((i) => [i.name, i]));
  const waits = new Map<string, Waiting>();
  // Plan order puts every upstream before its dependents: one pass sees each wait first.
  for (const name of todo) {
    const missing = missingInputs(file, name);
    if (missing.length > 0) {
      waits.set(name, { image: name, missing });
      continue;
    }
    const upstream = byName.get(name)?.dependsOn.find((e) => waits.has(e.image) && !known.has(e.image))?.image;
    if (upstream !== undefined) waits.set(name, { image: name, missing: [], upstream });
  }
  return [...waits.values()];
}
