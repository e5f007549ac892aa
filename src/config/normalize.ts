/**
 * Phase 4: the schema-valid written file -> the BuildFile model.
 * `defaults` and `extends` are applied (maps merged, lists replaced), paths made
 * absolute, mount sources parsed once into a union, default tags filled in and
 * groups expanded. Cycles and unknown names are left for the rules (phase 5) to
 * report; here they simply stop the walk.
 */
import { basename, posix, resolve } from 'node:path';
import type { SourceFile } from '../core/diagnostic.js';
import { cleanAbsolute } from './fs-probe.js';
import { ExpandedGroups } from './groups.js';
import { byText } from '../core/order.js';
import { resolveImages, type Resolved } from './extends.js';
import { DEFAULT_GC } from './types.js';
import type {
  GcPolicy,
  ArgValue,
  HostContextSpec,
  ImageContextSpec,
  WrittenImage,
  BuildFile,
  ImageRef,
  ImageSpec,
  Locator,
  MountSource,
  NamedContext,
  WrittenContext,
  SecretSpec,
  SharedCache,
  SshSpec,
  WrittenBuildFile,
  WrittenSecret,
  YamlPath,
} from './types.js';

/**
 * Lowercase, invalid characters to '-', trimmed to start and end with a letter or digit.
 * '' when nothing is left: such a folder gives no name (rules/project.ts asks for `name:`),
 * never a shared fallback that two checkouts would both carry.
 */
export function sanitizeProjectName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
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

/**
 * A host path as written in `secrets` or `ssh`: `~` and `~/…` from `home` (when known),
 * else relative to the build file's folder.
 */
export function hostPath(root: string, written: string, home: string | undefined): string {
  if (home !== undefined && (written === '~' || written.startsWith('~/'))) return resolve(home, written.slice(2));
  return resolve(root, written);
}

const byId = (a: { id: string }, b: { id: string }): number => byText(a.id, b.id);

function secretsOf(r: Resolved, root: string, home: string | undefined): SecretSpec[] {
  return Object.entries(r.settings.secrets ?? {})
    .map(([id, w]: [string, WrittenSecret]) => ({
      id,
      source: 'env' in w ? { kind: 'env' as const, name: w.env } : { kind: 'file' as const, path: hostPath(root, w.file, home) },
      origin: r.entries.secrets[id] ?? [],
    }))
    .sort(byId);
}

/** `ssh` is a map once resolved (extends.ts): `{id: path | [paths] | null}`. */
function sshOf(r: Resolved, root: string, home: string | undefined): SshSpec[] {
  const written = (r.settings.ssh ?? {}) as Record<string, string | string[] | null>;
  return Object.entries(written)
    .map(([id, paths]) => ({
      id,
      paths: (paths === null ? [] : typeof paths === 'string' ? [paths] : paths).map((p) => hostPath(root, p, home)),
      origin: r.entries.ssh[id] ?? ([] as YamlPath),
    }))
    .sort(byId);
}

/** An ImageSpec being made: the keys of either kind, each set once. */
type Draft = { -readonly [K in Exclude<keyof HostContextSpec, 'context' | 'contextImage' | 'dockerfile'>]?: HostContextSpec[K] } & {
  name: string;
  context?: string;
  contextImage?: ImageContextSpec['contextImage'];
  dockerfile?: ImageSpec['dockerfile'];
};

/** `home`: the home folder `~/` stands for in `secrets` and `ssh` paths (HOME of the environment the loader got). */
export function normalize(written: WrittenBuildFile, vars: Record<string, string>, source: SourceFile, locate: Locator, home?: string): BuildFile {
  const root = resolve(source.path, '..');
  const name = written.name ?? sanitizeProjectName(basename(root));
  const names = new Set(Object.keys(written.images));
  const images = new Map<string, ImageSpec>();
  const resolved = resolveImages(written);
  for (const imageName of [...names].sort()) {
    const r = resolved.get(imageName)!;
    const { settings: s, origins } = r;
    const args: Record<string, ArgValue> = {};
    for (const [k, v] of Object.entries(s.args ?? {})) {
      args[k] = typeof v === 'string' ? { kind: 'literal', value: v } : { kind: 'image', image: v.image };
    }
    const mountOrigin = origins.keys['mounts'] ?? [];
    const outputOrigin = origins.keys['outputs'] ?? [];
    // One object literal of the same keys for every image, the optional ones set after it: no
    // Object.assign of twenty keys, no spread in a literal (V8 builds those slowly; issue 22).
    const spec: Draft = {
      name: imageName,
      args,
      // No project name (a rule reports it): no default tag to report as well.
      tags: s.tags ?? (name === '' ? [] : [`${name}-${imageName}:latest`]),
      labels: s.labels ?? {},
      dependsOn: s.depends_on ?? [],
      mounts: (s.mounts ?? []).map((m, i) => ({
        from: m.from,
        source: parseMountSource(m.from, names),
        path: m.path,
        to: normalizeContextPath(m.to),
        origin: [...mountOrigin, i],
      })),
      contexts: namedContexts(s.contexts ?? {}, origins.keys['contexts'] ?? []),
      outputs: (s.outputs ?? []).map((o, i) => ({ path: o.path, to: under(root, o.to), replace: o.replace ?? false, origin: [...outputOrigin, i] })),
      inputs: s.inputs ?? 'read',
      pull: s.pull ?? false,
      push: s.push ?? false,
      noCache: s.no_cache ?? false,
      secrets: secretsOf(r, root, home),
      ssh: sshOf(r, root, home),
      secretInKey: s.secret_in_key ?? false,
      origins,
    };
    if (s.target !== undefined) spec.target = s.target;
    if (s.network !== undefined) spec.network = s.network;
    if (s.platform !== undefined) spec.platform = s.platform;
    const place = contextOf(s, root, names, origins.keys['context'] ?? origins.self);
    if ('context' in place) spec.context = place.context;
    else spec.contextImage = place.contextImage;
    spec.dockerfile = place.dockerfile;
    images.set(imageName, spec as ImageSpec);
  }
  return {
    source,
    root,
    name,
    vars,
    images,
    groups: new ExpandedGroups(written.groups ?? {}),
    cache: sharedCache(written.cache),
    gc: gcPolicy(written.gc),
    locate,
  };
}

/** A relative path of plain names (no `.` or `..` part, no empty part, no trailing slash). */
const PLAIN_RELATIVE = /^[\w@+=-][\w.@+=-]*(?:\/[\w@+=-][\w.@+=-]*)*$/;

/** `resolve(base, rel)`, without its work when `base` is clean and `rel` plain names (each image's context and Dockerfile; issue 22). */
export function under(base: string, rel: string): string {
  return PLAIN_RELATIVE.test(rel) && cleanAbsolute(base) ? `${base === '/' ? '' : base}/${rel}` : resolve(base, rel);
}

/**
 * Where the context and the Dockerfile are. A host folder: the Dockerfile is relative to it.
 * A folder inside an image (`{image, path}`): the Dockerfile is a host file relative to the
 * build file's folder, inline text, or else `<path>/Dockerfile` inside the image.
 */
function contextOf(
  s: WrittenImage,
  root: string,
  names: ReadonlySet<string>,
  origin: YamlPath,
): Pick<HostContextSpec, 'context' | 'dockerfile'> | Pick<ImageContextSpec, 'contextImage' | 'dockerfile'> {
  const inline = s.dockerfile_inline !== undefined ? ({ kind: 'inline', text: s.dockerfile_inline } as const) : undefined;
  const c = s.context ?? '.';
  if (typeof c === 'string') {
    const context = under(root, c);
    return { context, dockerfile: inline ?? { kind: 'file', path: under(context, s.dockerfile ?? 'Dockerfile') } };
  }
  const contextImage = { from: c.image, source: parseImageRef(c.image, names), path: c.path, origin };
  const dockerfile =
    inline ?? (s.dockerfile !== undefined ? { kind: 'file', path: resolve(root, s.dockerfile) } : { kind: 'in-image', path: posix.join(c.path, 'Dockerfile') });
  return { contextImage, dockerfile };
}

function namedContexts(written: Record<string, WrittenContext>, origin: YamlPath): Map<string, NamedContext> {
  return new Map(
    Object.entries(written).map(([name, c]) => [
      name,
      typeof c === 'string'
        ? { kind: 'external', ref: c, origin: [...origin, name] }
        : { kind: 'image', image: c.image, ...(c.path !== undefined && { path: c.path }), origin: [...origin, name] },
    ]),
  );
}

function gcPolicy(g: WrittenBuildFile['gc']): GcPolicy | false {
  if (g === false) return false;
  return g === undefined || g === true ? DEFAULT_GC : { keep: g.keep ?? DEFAULT_GC.keep };
}

function sharedCache(c: WrittenBuildFile['cache']): SharedCache {
  return { ...(c?.to !== undefined && { to: c.to }), from: c?.from ?? [] };
}
