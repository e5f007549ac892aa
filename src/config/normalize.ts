/**
 * Phase 4: the schema-valid written file -> the BuildFile model.
 * `defaults` and `extends` are applied (maps merged, lists replaced), paths made
 * absolute, mount sources parsed once into a union, default tags filled in and
 * groups expanded. Cycles and unknown names are left for the rules (phase 5) to
 * report; here they simply stop the walk.
 */
import { basename, posix, resolve } from 'node:path';
import type {
  ArgValue, BuildFile, ImageOrigins, ImageRef, ImageSpec, Locator, MountSource, WrittenBuildFile, WrittenImage, YamlPath,
} from './types.js';
import type { SourceFile } from '../core/diagnostic.js';

const MAP_KEYS = new Set(['args', 'labels']);
/** An image's identity is not inherited through `extends` (it would always collide). */
const NOT_INHERITED = new Set(['extends', 'tags']);

interface Resolved {
  readonly settings: WrittenImage;
  readonly origins: ImageOrigins;
}

/** Applies `defaults`, then the `extends` chain from the root ancestor down (all but `tags`), then the image itself. */
export function resolveImage(written: WrittenBuildFile, name: string): Resolved {
  const chain: { path: YamlPath; image: WrittenImage }[] = [];
  const seen = new Set<string>();
  for (let current: string | undefined = name; current !== undefined && !seen.has(current); ) {
    seen.add(current);
    const image: WrittenImage | undefined = written.images[current];
    if (image === undefined) break;
    chain.unshift({ path: ['images', current], image });
    current = image.extends;
  }
  if (written.defaults) chain.unshift({ path: ['defaults'], image: written.defaults });
  const settings: Record<string, unknown> = {};
  const keys: Record<string, YamlPath> = {};
  const maps: Record<'args' | 'labels', Record<string, YamlPath>> = { args: {}, labels: {} };
  for (const { path, image } of chain) {
    const ancestor = path[0] === 'images' && path[1] !== name;
    for (const [key, value] of Object.entries(image)) {
      if (key === 'extends' || (ancestor && NOT_INHERITED.has(key))) continue;
      keys[key] = [...path, key];
      if (MAP_KEYS.has(key)) {
        const merged = { ...(settings[key] as object | undefined), ...(value as object) };
        settings[key] = merged;
        for (const entry of Object.keys(value as object)) maps[key as 'args' | 'labels'][entry] = [...path, key, entry];
      } else {
        settings[key] = value;
      }
    }
  }
  return { settings: settings as WrittenImage, origins: { self: ['images', name], keys, ...maps } };
}

/** Lowercase, invalid characters to '-', trimmed to start and end with a letter or digit. */
export function sanitizeProjectName(raw: string): string {
  const cleaned = raw.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return cleaned === '' ? 'mbuild' : cleaned;
}

export function parseImageRef(text: string, images: ReadonlySet<string>): ImageRef {
  return images.has(text) ? { kind: 'image', image: text } : { kind: 'external', ref: text };
}

export function parseMountSource(from: string, images: ReadonlySet<string>): MountSource {
  const i = from.indexOf('..');
  if (i > 0 && i < from.length - 2) {
    return { kind: 'diff', base: parseImageRef(from.slice(0, i), images), head: parseImageRef(from.slice(i + 2), images) };
  }
  return parseImageRef(from, images);
}

/** `./static/` -> `static`; `a/../b` -> `b`. Escapes (`../x`) are kept for the rules to report. */
export function normalizeContextPath(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  return n === '.' ? '' : n.replace(/^\.\//, '');
}

export function normalize(written: WrittenBuildFile, vars: Record<string, string>, source: SourceFile, locate: Locator): BuildFile {
  const root = resolve(source.path, '..');
  const name = written.name ?? sanitizeProjectName(basename(root));
  const names = new Set(Object.keys(written.images));
  const images = new Map<string, ImageSpec>();
  for (const imageName of [...names].sort()) {
    const { settings: s, origins } = resolveImage(written, imageName);
    const context = resolve(root, s.context ?? '.');
    const args: Record<string, ArgValue> = {};
    for (const [k, v] of Object.entries(s.args ?? {})) {
      args[k] = typeof v === 'string' ? { kind: 'literal', value: v } : { kind: 'image', image: v.image };
    }
    const mountOrigin = origins.keys['mounts'] ?? [];
    const outputOrigin = origins.keys['outputs'] ?? [];
    images.set(imageName, {
      name: imageName,
      context,
      dockerfile: s.dockerfile_inline !== undefined
        ? { kind: 'inline', text: s.dockerfile_inline }
        : { kind: 'file', path: resolve(context, s.dockerfile ?? 'Dockerfile') },
      ...(s.target !== undefined && { target: s.target }),
      args,
      tags: s.tags ?? [`${name}-${imageName}:latest`],
      labels: s.labels ?? {},
      dependsOn: s.depends_on ?? [],
      mounts: (s.mounts ?? []).map((m, i) => ({
        from: m.from, source: parseMountSource(m.from, names), path: m.path, to: normalizeContextPath(m.to), origin: [...mountOrigin, i],
      })),
      outputs: (s.outputs ?? []).map((o, i) => ({ path: o.path, to: resolve(root, o.to), replace: o.replace ?? false, origin: [...outputOrigin, i] })),
      ...(s.network !== undefined && { network: s.network }),
      ...(s.platform !== undefined && { platform: s.platform }),
      pull: s.pull ?? false,
      noCache: s.no_cache ?? false,
      origins,
    });
  }
  return { source, root, name, vars, images, groups: expandGroups(written.groups ?? {}), locate };
}

/** Group members may name images or other groups; nested groups are expanded (cycles stop). */
function expandGroups(groups: Record<string, string[]>): Map<string, string[]> {
  const expand = (group: string, seen: Set<string>): string[] => {
    if (seen.has(group)) return [];
    seen.add(group);
    return (groups[group] ?? []).flatMap((m) => (m in groups ? expand(m, seen) : [m]));
  };
  return new Map(Object.keys(groups).sort().map((g) => [g, [...new Set(expand(g, new Set()))]]));
}
