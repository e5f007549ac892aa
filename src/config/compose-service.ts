/**
 * A compose service with a `build:` -> an mbuild image: the build section (compose-build.ts),
 * `image:` as the first tag, `depends_on` among built services as order, `platform`, and the
 * mbuild-only settings under `x-mbuild` (at service level or under `build:`).
 */
import { didYouMean } from '../core/suggest.js';
import { excerpt } from '../core/excerpt.js';
import { convertBuild, type BuildSection, type ConvertedImage } from './compose-build.js';
import { isMapping, problem, where, type ConvertContext } from './compose-context.js';
import { SERVICE_KEYS } from './compose-keys.js';
import type { YamlPath } from './types.js';

/** Checks every service's keys; the image of a service with `build:`, else undefined. */
export function convertService(ctx: ConvertContext, name: string, service: unknown): ConvertedImage | undefined {
  const path: YamlPath = ['services', name];
  if (!isMapping(service)) {
    problem(ctx, 'error', 'compose-type', `${where(path)} must be a mapping`, path);
    return undefined;
  }
  for (const key of Object.keys(service)) {
    if (key.startsWith('x-') || (SERVICE_KEYS as readonly string[]).includes(key)) continue;
    problem(ctx, 'error', 'compose-unknown-key', `unknown key '${excerpt(key)}' in ${where(path)}${didYouMean(key, SERVICE_KEYS)}`, [...path, key], true);
  }
  if (!Object.hasOwn(service, 'build')) {
    if (Object.hasOwn(service, 'x-mbuild')) {
      problem(
        ctx,
        'warning',
        'compose-ignored',
        `${where([...path, 'x-mbuild'])} is not read: service '${excerpt(name)}' has no build section`,
        [...path, 'x-mbuild'],
        true,
      );
    }
    return undefined;
  }
  ctx.origins.set(['images', name], path, 'key');
  const build = convertBuild(ctx, name, service['build'], [...path, 'build']);
  if (build === undefined) return {};
  const image: ConvertedImage = { ...build.settings };
  tagsOf(ctx, image, name, service, build);
  platformOf(ctx, image, name, service, build);
  dependsOn(ctx, image, name, service['depends_on']);
  if (Object.hasOwn(service, 'extends')) {
    problem(
      ctx,
      'warning',
      'compose-ignored',
      `${where([...path, 'extends'])} is not read by mbuild: the build is what this service writes itself`,
      [...path, 'extends'],
      true,
    );
  }
  const sources = [
    { value: service['x-mbuild'], path: [...path, 'x-mbuild'] as YamlPath, present: Object.hasOwn(service, 'x-mbuild') },
    { ...build.extension, present: build.extension !== undefined },
  ];
  const set = new Map(Object.keys(image).map((key) => [key, ctx.origins.resolve(['images', name, key]).path]));
  for (const source of sources) if (source.present) extension(ctx, image, name, source.value, source.path!, set);
  return image;
}

/** `image:` first, then `build.tags`. */
function tagsOf(ctx: ConvertContext, image: ConvertedImage, name: string, service: Record<string, unknown>, build: BuildSection): void {
  const tags: string[] = [];
  const at: YamlPath = ['services', name, 'image'];
  if (Object.hasOwn(service, 'image')) {
    if (typeof service['image'] === 'string') {
      ctx.origins.set(['images', name, 'tags', tags.length], at);
      ctx.origins.set(['images', name, 'tags'], at);
      tags.push(service['image']);
    } else problem(ctx, 'error', 'compose-type', `${where(at)} must be a string`, at);
  }
  for (const tag of build.tags ?? []) {
    ctx.origins.set(['images', name, 'tags', tags.length], tag.path);
    if (tags.length === 0) ctx.origins.set(['images', name, 'tags'], tag.path.slice(0, -1));
    tags.push(tag.text);
  }
  if (tags.length > 0) image.tags = tags;
}

/** The service's `platform`, else the one of `build.platforms`. */
function platformOf(ctx: ConvertContext, image: ConvertedImage, name: string, service: Record<string, unknown>, build: BuildSection): void {
  if (Object.hasOwn(service, 'platform')) {
    image.platform = service['platform'] as string;
    ctx.origins.set(['images', name, 'platform'], ['services', name, 'platform']);
  } else if (build.platform !== undefined) {
    image.platform = build.platform.text;
    ctx.origins.set(['images', name, 'platform'], build.platform.path);
  }
}

/** `depends_on: [a]` or `{a: {condition: ...}}`: an edge to each built service; a service without a build orders nothing. */
function dependsOn(ctx: ConvertContext, image: ConvertedImage, name: string, value: unknown): void {
  if (value === undefined) return;
  const at: YamlPath = ['services', name, 'depends_on'];
  let named: { service: string; path: YamlPath; onKey: boolean }[];
  if (Array.isArray(value)) {
    named = [];
    (value as unknown[]).forEach((item, i) => {
      if (typeof item === 'string') named.push({ service: item, path: [...at, i], onKey: false });
      else problem(ctx, 'error', 'compose-type', `${where([...at, i])} must be a service name`, [...at, i]);
    });
  } else if (isMapping(value)) {
    named = Object.entries(value).map(([service, condition]) => {
      if (condition !== null && !isMapping(condition))
        problem(ctx, 'error', 'compose-type', `${where([...at, service])} must be a mapping ({condition: ...})`, [...at, service]);
      return { service, path: [...at, service], onKey: true };
    });
  } else {
    problem(ctx, 'error', 'compose-type', `${where(at)} must be a list of services or a mapping`, at);
    return;
  }
  const edges: string[] = [];
  for (const n of named) {
    const known = ctx.services.get(n.service);
    if (known === undefined) {
      problem(
        ctx,
        'error',
        'compose-unknown-service',
        `unknown service '${excerpt(n.service)}' in ${where(at)}${didYouMean(n.service, ctx.services.keys())}`,
        n.path,
        n.onKey,
      );
    } else if (known.built) {
      ctx.origins.set(['images', name, 'depends_on', edges.length], n.path, n.onKey ? 'key' : 'value');
      edges.push(n.service);
    }
  }
  if (edges.length === 0) return;
  image.depends_on = edges;
  ctx.origins.set(['images', name, 'depends_on'], at);
}

/** `x-mbuild`: mbuild image settings as written (the schema checks them); a setting compose already gave is an error. */
function extension(ctx: ConvertContext, image: ConvertedImage, name: string, value: unknown, at: YamlPath, set: Map<string, YamlPath>): void {
  if (!isMapping(value)) {
    problem(ctx, 'error', 'compose-type', `${where(at)} must be a mapping of mbuild image settings (mounts, outputs, inputs, ...)`, at);
    return;
  }
  for (const [key, setting] of Object.entries(value)) {
    const earlier = set.get(key);
    if (earlier !== undefined) {
      ctx.problems.push({
        severity: 'error',
        code: 'compose-x-mbuild-conflict',
        message: `${where([...at, key])} sets '${excerpt(key)}' again; it is already set by ${where(earlier)}`,
        location: ctx.locate.key([...at, key]),
        related: [{ message: 'set here', location: ctx.locate.value(earlier) }],
      });
      continue;
    }
    image[key] = setting;
    set.set(key, [...at, key]);
    ctx.origins.set(['images', name, key], [...at, key]);
  }
}
