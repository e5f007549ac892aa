/**
 * Which builds of a run are one (issue 23): equal keys, and equal in what the key leaves to
 * the image's spec. `up` builds each once (execute/same-key.ts); `mbuild plan` lists them.
 */
import type { ImageSpec } from '../config/types.js';

/**
 * What makes two builds interchangeable: the key, a build no cache may skip (`no_cache`,
 * `--no-cache`), and the sources of the secrets and ssh agents the build is served (the key
 * names their ids, and their values only with `secret_in_key`).
 */
export function foldId(key: string, image: ImageSpec, noCache: boolean): string {
  const sessions = {
    secrets: image.secrets.map((s) => [s.id, s.source]),
    ssh: image.ssh.map((s) => [s.id, s.paths]),
  };
  return JSON.stringify([key, noCache || image.noCache, image.secrets.length + image.ssh.length === 0 ? null : sessions]);
}

/** A key several images of the plan will be built from: built once, for `image`, the first of them in plan order. */
export interface Duplicates {
  readonly image: string;
  readonly same: readonly string[];
}

/** The images (in plan order, each with its key and spec) that share a fold: the first builds, the others take its image. */
export function duplicatesOf(images: readonly { readonly image: ImageSpec; readonly key: string }[], noCache: boolean): Duplicates[] {
  const groups = new Map<string, string[]>();
  for (const { image, key } of images) {
    const id = foldId(key, image, noCache);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [image.name]);
    else group.push(image.name);
  }
  return [...groups.values()].filter((g) => g.length > 1).map(([image, ...same]) => ({ image: image!, same }));
}
