/**
 * The garbage policy (`gc: {keep: N}`), as a pure function: given this checkout's key
 * histories, the images it built, the project's images on the engine and the images
 * containers use, what to remove. Run after each successful `up` and watch cycle
 * (cli/gc.ts), and shown by `plan`.
 *
 * Removed, and nothing else:
 *   - pin tags of superseded builds: `mbuild-pin/<project>-<image>:<id>` on an image this
 *     checkout built whose ID is no longer the current build of `<image>` (on an image
 *     that stays, only when another tag stays on it: removing an image's last tag deletes it);
 *   - mark tags (`mbuild-key/<project>/<image>:<key>`, classic builds) with their image: like
 *     pins, they never keep an image as tagged;
 *   - images this checkout built (the built record, cache/gc-record.ts: another checkout
 *     of the same project has its own) that are outside the last `keep` builds of every
 *     image's history, once those pins are gone: untagged, used by no container (running
 *     or stopped), the parent of no image that stays.
 * Never an image without a mark of the project (its labels or a mark tag), never the current
 * image of an image, never an image with a tag that is not a superseded pin or its mark.
 */
import { isMarkOf, isPinOf, marksOf } from '../core/labels.js';
import type { ImageSummary } from '../docker/engine.js';

export interface GcInput {
  readonly project: string;
  /** Builds kept per image, the current one included (at least 1). */
  readonly keep: number;
  /** Per image name (every history of this checkout, images gone from the build file too): image IDs, newest first. */
  readonly histories: ReadonlyMap<string, readonly string[]>;
  /** The image IDs this checkout built. */
  readonly built: ReadonlySet<string>;
  /** The project's images on the engine (listed by its label and by its mark tags). */
  readonly images: readonly ImageSummary[];
  /** The image IDs containers were created from. */
  readonly inUse: ReadonlySet<string>;
}

export interface GcPin {
  readonly tag: string;
  readonly imageId: string;
}

export interface GcImage {
  readonly imageId: string;
  /** The image name of the build file it was built for. */
  readonly image: string;
  /** Its superseded pins and its mark tags, untagged before it is removed. */
  readonly pins: readonly string[];
}

export interface GcKept {
  readonly imageId: string;
  readonly image: string;
  readonly reason: string;
}

export interface GcSelection {
  /** Superseded pins on images that stay. */
  readonly pins: readonly GcPin[];
  /** Images to remove, children before their parents. */
  readonly images: readonly GcImage[];
  /** Images this checkout built, outside the kept builds, that stay, and why. */
  readonly kept: readonly GcKept[];
}

/** The image name a pin of `project` names, e.g. `api` for `mbuild-pin/shop-api:<hex>`. */
export function pinImage(project: string, tag: string): string | undefined {
  if (!isPinOf(project, tag)) return undefined;
  const colon = tag.lastIndexOf(':');
  return colon < 0 ? undefined : tag.slice(`mbuild-pin/${project}-`.length, colon);
}

/** The IDs within the last `keep` builds of some image (only builds the engine still has count). */
function keptBuilds(input: GcInput, present: ReadonlyMap<string, ImageSummary>): Set<string> {
  const kept = new Set<string>();
  for (const ids of input.histories.values()) {
    if (ids[0] !== undefined) kept.add(ids[0]);
    let n = 0;
    for (const id of new Set(ids)) {
      if (n >= input.keep) break;
      if (!present.has(id)) continue;
      kept.add(id);
      n++;
    }
  }
  return kept;
}

const hexOf = (id: string): string => id.replace(/^sha256:/, '');

export function selectGarbage(input: GcInput): GcSelection {
  const { project } = input;
  const present = new Map(input.images.map((i) => [i.id, i]));
  const recorded = new Set([...input.histories.values()].flat());
  const current = (name: string) => input.histories.get(name)?.[0];
  const kept = keptBuilds(input, present);
  const ours = (i: ImageSummary) => input.built.has(i.id) && recorded.has(i.id) && marksOf(i).some((m) => m.project === project);
  // A pin is superseded when it names an ID that is not its image's current build.
  const superseded = (i: ImageSummary, tag: string) => {
    const name = pinImage(project, tag);
    return name !== undefined && tag.endsWith(`:${hexOf(i.id)}`) && current(name) !== i.id;
  };

  const pins: GcPin[] = [];
  const candidates = new Map<string, GcImage>();
  const keptWhy: GcKept[] = [];
  for (const i of input.images) {
    if (!ours(i)) continue;
    const old = i.repoTags.filter((t) => superseded(i, t));
    // Its mark tags (classic builds) keep it no more than its pins do: they go with it.
    const marks = i.repoTags.filter((t) => isMarkOf(project, t));
    const others = i.repoTags.filter((t) => !old.includes(t) && !marks.includes(t));
    const image = marksOf(i).find((m) => m.project === project)?.image ?? '?';
    if (kept.has(i.id)) {
      if (others.length + marks.length > 0) pins.push(...old.map((tag) => ({ tag, imageId: i.id })));
      continue;
    }
    if (others.length > 0) keptWhy.push({ imageId: i.id, image, reason: `tagged ${others[0]!}` });
    else if (input.inUse.has(i.id)) keptWhy.push({ imageId: i.id, image, reason: 'used by a container' });
    else candidates.set(i.id, { imageId: i.id, image, pins: [...old, ...marks] });
  }
  // The parent of an image that stays stays (`docker rmi` refuses it), until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const i of input.images) {
      const parent = i.parentId;
      if (parent === undefined || candidates.has(i.id) || !candidates.has(parent)) continue;
      const c = candidates.get(parent)!;
      candidates.delete(parent);
      keptWhy.push({ imageId: c.imageId, image: c.image, reason: `parent of ${hexOf(i.id).slice(0, 12)}` });
      changed = true;
    }
  }
  return { pins, images: childrenFirst([...candidates.values()], present), kept: keptWhy };
}

/** Each image before its parent, so that no removal is refused for a child removed later. */
function childrenFirst(images: GcImage[], present: ReadonlyMap<string, ImageSummary>): GcImage[] {
  const depth = (id: string): number => {
    let d = 0;
    for (let p = present.get(id)?.parentId; p !== undefined && d < present.size; p = present.get(p)?.parentId) d++;
    return d;
  };
  return images
    .map((i) => ({ i, d: depth(i.imageId) }))
    .sort((a, b) => b.d - a.d || (a.i.imageId < b.i.imageId ? -1 : 1))
    .map((x) => x.i);
}

/**
 * Whether the policy could remove an image, from the local state alone: some image this
 * checkout built lies beyond the first `keep` entries of every history. False spares a
 * no-op run the engine's listing (tens of ms on an engine with hundreds of images); it
 * skips only the untagging of superseded pins on kept builds, done at the next build.
 */
export function mayHaveGarbage(built: ReadonlySet<string>, histories: ReadonlyMap<string, readonly string[]>, keep: number): boolean {
  const windows = new Set<string>();
  const recorded = new Set<string>();
  for (const ids of histories.values()) {
    const distinct = [...new Set(ids)];
    for (const id of distinct.slice(0, keep)) windows.add(id);
    for (const id of distinct) recorded.add(id);
  }
  return [...built].some((id) => recorded.has(id) && !windows.has(id));
}
