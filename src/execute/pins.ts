/**
 * How an upstream image reaches a build, and which tags an image gets. An `{image: NAME}`
 * arg is the upstream's image ID for the classic builder, and its pin tag for BuildKit
 * (core/labels.ts `pinnedRef`), so an image that some arg names carries its pin beside the
 * build file's tags; under the classic builder every image carries its mark tag instead of
 * mbuild's labels (core/labels.ts `markTag`).
 */
import type { BuildFile, ImageSpec } from '../config/types.js';
import { markTag, pinnedRef } from '../core/labels.js';
import type { BuilderKind, ImageInfo } from '../docker/engine.js';

export function buildArgs(file: BuildFile, image: ImageSpec, upstream: ReadonlyMap<string, string>, builder: BuilderKind): Record<string, string> {
  const resolve = (name: string): string => {
    const id = upstream.get(name);
    if (id === undefined) throw new Error(`Internal error: ${image.name} needs ${name}, which was not built`);
    return builder === 'classic' ? id : pinnedRef(file.name, name, id);
  };
  return Object.fromEntries(Object.entries(image.args).map(([k, v]) => [k, v.kind === 'literal' ? v.value : resolve(v.image)]));
}

/**
 * The user's tags, plus the pin that `{image:}` args of dependents resolve to under BuildKit,
 * plus (classic builder) the mark tag that names the project, the image and `key`.
 */
export function tagsToApply(file: BuildFile, image: ImageSpec, imageId: string, builder: BuilderKind, key: string): string[] {
  const referencedByArg = [...file.images.values()].some((other) => Object.values(other.args).some((a) => a.kind === 'image' && a.image === image.name));
  if (builder === 'buildkit') return referencedByArg ? [...image.tags, pinnedRef(file.name, image.name, imageId)] : [...image.tags];
  const mark = markTag(file.name, image.name, key);
  return mark === undefined ? [...image.tags] : [...image.tags, mark];
}

/** `name` as the engine lists it in RepoTags: with `:latest` when it names no tag or digest. */
export const withTag = (ref: string): string => (/:[^/]+$/.test(ref) || ref.includes('@') ? ref : `${ref}:latest`);

/** The tags an up-to-date image lacks (`info`: its inspect): a no-op moves no tag that already names it. */
export const tagsToMove = (file: BuildFile, image: ImageSpec, imageId: string, builder: BuilderKind, key: string, info: ImageInfo | undefined): string[] =>
  tagsToApply(file, image, imageId, builder, key).filter((t) => !info?.repoTags.includes(withTag(t)));

/** How many tags besides a pin an image of `key` carries once finished: the user's, and its mark under the classic builder. */
export const ownTagCount = (file: BuildFile, image: ImageSpec, builder: BuilderKind, key: string): number =>
  image.tags.length + (builder === 'classic' && markTag(file.name, image.name, key) !== undefined ? 1 : 0);
