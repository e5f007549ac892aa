/**
 * Images that cannot be built while an input is gone (a Dockerfile or a context folder deleted
 * or renamed during watch) or refused by the static checks (a Dockerfile or ignore file that the
 * last reload found errors in: built under the last good plan, it could build the wrong thing):
 * they wait under the last good plan, and the change that brings the input back, or fixes it,
 * builds them. An image whose upstream waits and has no image yet waits with it; one whose
 * upstream has an image is built against that image.
 */
import { statSync } from 'node:fs';
import { sep } from 'node:path';
import type { BuildFile } from '../config/types.js';
import { ignoreFileOf } from '../context/source.js';
import type { BuildPlan } from '../plan/types.js';

export interface Waiting {
  readonly image: string;
  /** Absolute paths of the inputs that are gone; empty when the image waits for `upstream` or `invalid`. */
  readonly missing: readonly string[];
  /** Absolute paths of its Dockerfile or ignore file when the last reload found errors in them. */
  readonly invalid?: readonly string[];
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
  if (image.context === undefined) return image.dockerfile.kind === 'file' && !is(image.dockerfile.path, 'file') ? [image.dockerfile.path] : [];
  if (!is(image.context, 'dir')) {
    // A Dockerfile inside a missing context is gone with it: the folder says it all.
    const outside = image.dockerfile.kind === 'file' && !image.dockerfile.path.startsWith(image.context + sep) && !is(image.dockerfile.path, 'file');
    return outside ? [image.context, image.dockerfile.path] : [image.context];
  }
  return image.dockerfile.kind === 'file' && !is(image.dockerfile.path, 'file') ? [image.dockerfile.path] : [];
}

/** The image's Dockerfile and ignore file among `invalid` (files the last reload refused). */
export function invalidInputs(file: BuildFile, name: string, invalid: ReadonlySet<string>): string[] {
  const image = file.images.get(name);
  if (image === undefined || invalid.size === 0) return [];
  const dockerfile = image.dockerfile.kind === 'file' ? image.dockerfile.path : undefined;
  const ignore = image.context !== undefined ? ignoreFileOf(image.context, dockerfile) : dockerfile !== undefined ? `${dockerfile}.dockerignore` : undefined;
  return [dockerfile, ignore].filter((p): p is string => typeof p === 'string' && invalid.has(p));
}

/** The images of `todo` (in plan order) that must wait, each with why. */
export function waitingImages(
  file: BuildFile,
  plan: BuildPlan,
  todo: readonly string[],
  known: ReadonlyMap<string, string>,
  invalid: ReadonlySet<string> = new Set(),
): Waiting[] {
  const byName = new Map(plan.images.map((i) => [i.name, i]));
  const waits = new Map<string, Waiting>();
  // Plan order puts every upstream before its dependents: one pass sees each wait first.
  for (const name of todo) {
    const missing = missingInputs(file, name);
    if (missing.length > 0) {
      waits.set(name, { image: name, missing });
      continue;
    }
    const bad = invalidInputs(file, name, invalid);
    if (bad.length > 0) {
      waits.set(name, { image: name, missing: [], invalid: bad });
      continue;
    }
    const upstream = byName.get(name)?.dependsOn.find((e) => waits.has(e.image) && !known.has(e.image))?.image;
    if (upstream !== undefined) waits.set(name, { image: name, missing: [], upstream });
  }
  return [...waits.values()];
}
