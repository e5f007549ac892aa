/**
 * `defaults` and `extends`: each image's settings resolved from the root ancestor down
 * (maps merged, lists replaced, `tags` and `extends` never inherited from an image). Each
 * image is resolved once, on top of its parent's result, with no recursion: a chain of
 * 20,000 images costs 20,000 steps, not 200 million. Cycles and unknown parents are left
 * for the rules to report; here they simply end the chain.
 */
import type { ImageOrigins, WrittenBuildFile, WrittenImage, YamlPath } from './types.js';

const MAP_KEYS = new Set(['args', 'labels']);
/** Maps merged per id, whose entries' origins are kept apart from ImageOrigins (`ssh` as a list is read as a map). */
const ENTRY_KEYS = new Set(['secrets', 'ssh']);
type EntryKey = 'secrets' | 'ssh';
/** An image's identity is not inherited through `extends` (it would always collide). */
const NOT_INHERITED = ['extends', 'tags'] as const;

export interface Resolved {
  /** `secrets` and `ssh` are maps here (`ssh` items `id=a,b` as `{id: [a, b]}`, `id` as `{id: null}`). */
  readonly settings: WrittenImage;
  readonly origins: ImageOrigins;
  /** Where each entry of `secrets` and `ssh` is written (a map key's value, or a list item). */
  readonly entries: Readonly<Record<EntryKey, Readonly<Record<string, YamlPath>>>>;
}

interface Draft {
  settings: Record<string, unknown>;
  keys: Record<string, YamlPath>;
  maps: Record<'args' | 'labels', Record<string, YamlPath>>;
  entries: Record<EntryKey, Record<string, YamlPath>>;
}

/** An `ssh` list item (`id` or `id=path[,path]`) or a map entry, with where it is written. */
function entriesOf(key: EntryKey, value: unknown, path: YamlPath): [string, unknown, YamlPath][] {
  if (key === 'ssh' && Array.isArray(value)) {
    return (value as string[]).map((item, i) => {
      const eq = item.indexOf('=');
      return eq === -1 ? [item, null, [...path, key, i]] : [item.slice(0, eq), item.slice(eq + 1).split(','), [...path, key, i]];
    });
  }
  return Object.entries(value as object).map(([id, v]) => [id, v, [...path, key, id]]);
}

/** Merged per id through Maps: an id such as `__proto__` stays a plain entry. */
function mergeEntries(draft: Draft, key: EntryKey, value: unknown, path: YamlPath): void {
  const merged = new Map(Object.entries((draft.settings[key] as object | undefined) ?? {}));
  const at = new Map(Object.entries(draft.entries[key]));
  for (const [id, v, where] of entriesOf(key, value, path)) {
    merged.set(id, v);
    at.set(id, where);
  }
  draft.settings[key] = Object.fromEntries(merged);
  draft.entries[key] = Object.fromEntries(at);
}

function apply(draft: Draft, image: WrittenImage, path: YamlPath): void {
  for (const [key, value] of Object.entries(image)) {
    if (key === 'extends') continue;
    draft.keys[key] = [...path, key];
    if (ENTRY_KEYS.has(key)) {
      mergeEntries(draft, key as EntryKey, value, path);
    } else if (MAP_KEYS.has(key)) {
      draft.settings[key] = { ...(draft.settings[key] as object | undefined), ...(value as object) };
      for (const entry of Object.keys(value as object)) draft.maps[key as 'args' | 'labels'][entry] = [...path, key, entry];
    } else {
      draft.settings[key] = value;
    }
  }
}

/** A copy of `entries` without the keys an image does not inherit. */
const inheritable = <T>(entries: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(Object.entries(entries).filter(([key]) => !(NOT_INHERITED as readonly string[]).includes(key)));

/** `defaults` alone, resolved once for every image without a parent. */
function defaultsDraft(written: WrittenBuildFile): Draft {
  const draft: Draft = { settings: {}, keys: {}, maps: { args: {}, labels: {} }, entries: { secrets: {}, ssh: {} } };
  if (written.defaults) apply(draft, written.defaults, ['defaults']);
  return draft;
}

/**
 * A copy of `defaults` resolved (`base`) to apply an image on: its records copied, their
 * values shared (a value is replaced, never changed, by `apply`; paths are never changed).
 */
function copyDraft(base: Draft): Draft {
  return {
    settings: { ...base.settings },
    keys: { ...base.keys },
    maps: { args: { ...base.maps.args }, labels: { ...base.maps.labels } },
    entries: { secrets: { ...base.entries.secrets }, ssh: { ...base.entries.ssh } },
  };
}

/** The settings an image starts from: its parent's, less the parent's identity, or `defaults` (`base`). */
function start(written: WrittenBuildFile, parent: Resolved | undefined, base: Draft): Draft {
  if (parent === undefined) return copyDraft(base);
  const draft: Draft = { settings: {}, keys: {}, maps: { args: {}, labels: {} }, entries: { secrets: {}, ssh: {} } };
  draft.settings = inheritable({ ...parent.settings });
  draft.keys = inheritable(parent.origins.keys);
  draft.maps = { args: { ...parent.origins.args }, labels: { ...parent.origins.labels } };
  draft.entries = { secrets: { ...parent.entries.secrets }, ssh: { ...parent.entries.ssh } };
  for (const key of NOT_INHERITED) {
    const fallback = written.defaults?.[key];
    if (fallback !== undefined) apply(draft, { [key]: fallback }, ['defaults']);
  }
  return draft;
}

/** Every image's resolved settings, by name. */
export function resolveImages(written: WrittenBuildFile): Map<string, Resolved> {
  const images = written.images;
  const out = new Map<string, Resolved>();
  const base = defaultsDraft(written);
  for (const name of Object.keys(images).sort()) {
    // The part of the chain not resolved yet, nearest first.
    const pending: string[] = [];
    const inChain = new Set<string>();
    let parent: Resolved | undefined;
    for (let current: string | undefined = name; current !== undefined && Object.hasOwn(images, current); current = images[current]!.extends) {
      parent = out.get(current);
      if (parent !== undefined || inChain.has(current)) break;
      inChain.add(current);
      pending.push(current);
    }
    for (const image of pending.reverse()) {
      const draft = start(written, parent, base);
      apply(draft, images[image]!, ['images', image]);
      parent = { settings: draft.settings, origins: { self: ['images', image], keys: draft.keys, ...draft.maps }, entries: draft.entries };
      out.set(image, parent);
    }
  }
  return out;
}

/** Images whose `extends` chain ends at an unknown image or runs in a cycle: their resolved settings are incomplete. */
export function brokenChains(written: WrittenBuildFile): Set<string> {
  const images = written.images;
  const broken = new Set<string>();
  const whole = new Set<string>();
  for (const name of Object.keys(images)) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let current: string | undefined = name;
    let isBroken = false;
    for (; current !== undefined; current = images[current]!.extends) {
      if (broken.has(current) || !Object.hasOwn(images, current) || onPath.has(current)) {
        isBroken = true;
        break;
      }
      if (whole.has(current)) break;
      onPath.add(current);
      path.push(current);
    }
    for (const n of path) (isBroken ? broken : whole).add(n);
  }
  return broken;
}
