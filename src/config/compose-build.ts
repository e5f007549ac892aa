/**
 * A service's `build:` section -> the settings of an mbuild image, each converted key's
 * origin recorded (compose-locate.ts). Values mbuild's schema checks (a string, true/false)
 * are passed as written: phase 3 reports them at the compose node.
 */
import { didYouMean } from '../core/suggest.js';
import { excerpt } from '../core/excerpt.js';
import { CONVERTED_BUILD_KEYS, IGNORED_BUILD_KEYS } from './compose-keys.js';
import { entriesOf, isMapping, problem, stringsOf, where, type ConvertContext } from './compose-context.js';
import type { WrittenContext, WrittenImage, WrittenSecret, YamlPath } from './types.js';

export type ConvertedImage = Record<string, unknown> & WrittenImage;

/** Copied as written (the schema checks their type). */
const PLAIN = ['context', 'dockerfile', 'dockerfile_inline', 'target', 'network', 'no_cache', 'pull'] as const;

const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/|github\.com\/)/;

export interface BuildSection {
  readonly settings: ConvertedImage;
  /** `build.tags`, to follow the service's `image:`. */
  readonly tags?: { text: string; path: YamlPath }[];
  /** `build.platforms` when it names one platform. */
  readonly platform?: { text: string; path: YamlPath };
  /** `build.x-mbuild`, as written. */
  readonly extension?: { value: unknown; path: YamlPath };
}

export function convertBuild(ctx: ConvertContext, name: string, build: unknown, path: YamlPath): BuildSection | undefined {
  const image: YamlPath = ['images', name];
  if (typeof build === 'string') {
    ctx.origins.set([...image, 'context'], path);
    return { settings: { context: build } };
  }
  if (!isMapping(build)) {
    problem(ctx, 'error', 'compose-type', `${where(path)} must be a path (the context) or a mapping`, path);
    return undefined;
  }
  const settings: ConvertedImage = {};
  let section: BuildSection = { settings };
  for (const [key, value] of Object.entries(build)) {
    const at: YamlPath = [...path, key];
    if (key === 'x-mbuild') section = { ...section, extension: { value, path: at } };
    else if (key.startsWith('x-')) continue;
    else if ((PLAIN as readonly string[]).includes(key)) {
      if (key === 'context' && typeof value === 'string' && REMOTE.test(value)) {
        problem(
          ctx,
          'error',
          'compose-remote-context',
          `${where(at)}: a remote context (${excerpt(value)}) is not supported; mbuild builds from a folder of this project`,
          at,
        );
      }
      settings[key] = value;
      ctx.origins.set([...image, key], at);
    } else if (key === 'tags') section = { ...section, tags: stringsOf(ctx, value, at) };
    else if (key === 'args') convertArgs(ctx, settings, name, value, at);
    else if (key === 'labels') convertLabels(ctx, settings, name, value, at);
    else if (key === 'platforms') section = withPlatform(ctx, section, value, at);
    else if (key === 'secrets') convertSecrets(ctx, settings, name, value, at);
    else if (key === 'ssh') {
      settings.ssh = value as WrittenImage['ssh'];
      ctx.origins.set([...image, 'ssh'], at);
    } else if (key === 'additional_contexts') convertContexts(ctx, settings, name, value, at);
    else if (Object.hasOwn(IGNORED_BUILD_KEYS, key)) {
      problem(ctx, 'warning', 'compose-ignored', `${where(at)} is not read by mbuild: ${IGNORED_BUILD_KEYS[key]!}`, at, true);
    } else {
      const known = [...CONVERTED_BUILD_KEYS, ...Object.keys(IGNORED_BUILD_KEYS), 'x-mbuild'];
      problem(ctx, 'error', 'compose-unknown-key', `unknown key '${excerpt(key)}' in ${where(path)}${didYouMean(key, known)}`, at, true);
    }
  }
  return section;
}

function convertArgs(ctx: ConvertContext, settings: ConvertedImage, name: string, value: unknown, at: YamlPath): void {
  const entries = entriesOf(ctx, value, at);
  if (entries === undefined) return;
  const args: Record<string, string> = {};
  for (const e of entries) {
    // `- NAME` takes NAME from the environment; unset, the arg is not passed (compose does the same).
    const v = e.value ?? ctx.env(e.name);
    if (v === undefined) continue;
    args[e.name] = v;
    ctx.origins.set(['images', name, 'args', e.name], e.path, Array.isArray(value) ? 'value' : 'key');
  }
  settings.args = args;
  ctx.origins.set(['images', name, 'args'], at);
}

function convertLabels(ctx: ConvertContext, settings: ConvertedImage, name: string, value: unknown, at: YamlPath): void {
  const entries = entriesOf(ctx, value, at);
  if (entries === undefined) return;
  settings.labels = Object.fromEntries(entries.map((e) => [e.name, e.value ?? '']));
  for (const e of entries) ctx.origins.set(['images', name, 'labels', e.name], e.path, Array.isArray(value) ? 'value' : 'key');
  ctx.origins.set(['images', name, 'labels'], at);
}

function withPlatform(ctx: ConvertContext, section: BuildSection, value: unknown, at: YamlPath): BuildSection {
  const platforms = stringsOf(ctx, value, at);
  const first = platforms[0];
  if (first === undefined) return section;
  if (platforms.length > 1) {
    problem(
      ctx,
      'warning',
      'compose-platforms',
      `${where(at)}: mbuild builds one platform per image, into the local engine: only ${excerpt(first.text)} is built`,
      at,
      true,
    );
  }
  return { ...section, platform: first };
}

/** `secrets: [NAME | {source, target}]`, each from the top-level `secrets` (a file or an environment variable). */
function convertSecrets(ctx: ConvertContext, settings: ConvertedImage, name: string, value: unknown, at: YamlPath): void {
  if (!Array.isArray(value)) {
    problem(ctx, 'error', 'compose-type', `${where(at)} must be a list of secret names or {source, target}`, at);
    return;
  }
  const secrets: Record<string, WrittenSecret> = {};
  (value as unknown[]).forEach((item, i) => {
    const itemAt: YamlPath = [...at, i];
    const ref = secretRef(ctx, item, itemAt);
    if (ref === undefined) return;
    const declared = topLevelSecret(ctx, ref.source, itemAt);
    if (declared === undefined) return;
    secrets[ref.id] = declared.secret;
    ctx.origins.set(['images', name, 'secrets', ref.id], ref.path);
    ctx.origins.set(['images', name, 'secrets', ref.id, 'env'], declared.path);
    ctx.origins.set(['images', name, 'secrets', ref.id, 'file'], declared.path);
  });
  settings.secrets = secrets;
  ctx.origins.set(['images', name, 'secrets'], at);
}

/** The id BuildKit serves it under: `target` when given, else the source's name (as compose does). */
function secretRef(ctx: ConvertContext, item: unknown, at: YamlPath): { source: string; id: string; path: YamlPath } | undefined {
  if (typeof item === 'string') return { source: item, id: item, path: at };
  if (!isMapping(item) || typeof item['source'] !== 'string') {
    problem(ctx, 'error', 'compose-type', `${where(at)} must be a secret name or {source: NAME, target: ID}`, at);
    return undefined;
  }
  for (const key of ['uid', 'gid', 'mode']) {
    if (Object.hasOwn(item, key))
      problem(
        ctx,
        'warning',
        'compose-ignored',
        `${where([...at, key])} is not read by mbuild: a build secret is mounted as BuildKit's default (root, 0400)`,
        [...at, key],
        true,
      );
  }
  const target = item['target'];
  if (target !== undefined && typeof target !== 'string') {
    problem(ctx, 'error', 'compose-type', `${where([...at, 'target'])} must be a string`, [...at, 'target']);
    return undefined;
  }
  return { source: item['source'], id: target ?? item['source'], path: [...at, 'source'] };
}

function topLevelSecret(ctx: ConvertContext, source: string, at: YamlPath): { secret: WrittenSecret; path: YamlPath } | undefined {
  const all = isMapping(ctx.secrets) ? ctx.secrets : {};
  const declared = Object.hasOwn(all, source) ? all[source] : undefined;
  if (!isMapping(declared)) {
    const hint = didYouMean(source, Object.keys(all));
    problem(ctx, 'error', 'compose-unknown-secret', `secret '${excerpt(source)}' is not declared under the top-level secrets${hint}`, at);
    return undefined;
  }
  if (typeof declared['file'] === 'string') return { secret: { file: declared['file'] }, path: ['secrets', source, 'file'] };
  if (typeof declared['environment'] === 'string') return { secret: { env: declared['environment'] }, path: ['secrets', source, 'environment'] };
  problem(
    ctx,
    'error',
    'compose-secret-source',
    `secret '${excerpt(source)}': mbuild reads a build secret from a file (file: PATH) or an environment variable (environment: VAR)`,
    ['secrets', source],
    true,
  );
  return undefined;
}

/** `additional_contexts`: `service:NAME` and `docker-image://REF`; a folder or URL is not supported yet (a warning). */
function convertContexts(ctx: ConvertContext, settings: ConvertedImage, name: string, value: unknown, at: YamlPath): void {
  const entries = entriesOf(ctx, value, at);
  if (entries === undefined) return;
  const contexts: Record<string, WrittenContext> = {};
  for (const e of entries) {
    const converted = contextOf(ctx, e.value, e.path);
    if (converted === undefined) continue;
    contexts[e.name] = converted;
    ctx.origins.set(['images', name, 'contexts', e.name], e.path, Array.isArray(value) ? 'value' : 'key');
  }
  if (Object.keys(contexts).length === 0) return;
  settings.contexts = contexts;
  ctx.origins.set(['images', name, 'contexts'], at);
}

function contextOf(ctx: ConvertContext, value: string | null, at: YamlPath): WrittenContext | undefined {
  if (value === null || value === '') {
    problem(ctx, 'error', 'compose-type', `${where(at)} must name a context: service:NAME, docker-image://REF or a folder`, at);
    return undefined;
  }
  if (value.startsWith('service:')) {
    const service = value.slice('service:'.length);
    const known = ctx.services.get(service);
    if (known === undefined) {
      problem(ctx, 'error', 'compose-unknown-service', `unknown service '${excerpt(service)}' in ${where(at)}${didYouMean(service, ctx.services.keys())}`, at);
      return undefined;
    }
    if (known.built) return { image: service };
    if (known.image !== undefined) return known.image;
    problem(ctx, 'error', 'compose-unknown-service', `service '${excerpt(service)}' has neither a build nor an image to use as a context`, at);
    return undefined;
  }
  if (value.startsWith('docker-image://')) return value.slice('docker-image://'.length);
  problem(
    ctx,
    'warning',
    'compose-context-unsupported',
    `${where(at)}: a folder, URL or OCI layout as a named context is not supported yet; this context is left out (a Dockerfile line that uses it fails)`,
    at,
  );
  return undefined;
}
