/**
 * Phases 2–3 for a compose file (a document with `services:` and no `images:`): compose's
 * interpolation, then every service with a `build:` converted to an image of a
 * `WrittenBuildFile` (compose-service.ts), then mbuild's schema. The converted file comes
 * with a Locator that answers with nodes of the compose file (compose-locate.ts), so that
 * every later phase reports at `compose.yaml:line:col`. Services without `build:` are left
 * out (`skipped`); compose keys with no mbuild equivalent are warnings at their key.
 */
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { excerpt } from '../core/excerpt.js';
import { didYouMean } from '../core/suggest.js';
import { isMapping, problem, type ComposeService, type ConvertContext } from './compose-context.js';
import { interpolateCompose } from './compose-interpolate.js';
import { TOP_LEVEL_KEYS, TOP_LEVEL_MBUILD_KEYS } from './compose-keys.js';
import { composeLocator, Origins } from './compose-locate.js';
import { convertService } from './compose-service.js';
import type { Lookup } from './interpolate.js';
import { formatPath, locateWithin } from './locate.js';
import { validateSchema } from './schema.js';
import type { Locator, WrittenBuildFile, YamlPath } from './types.js';

export interface ComposeModel {
  /** The converted build file (its values interpolated); meaningful only without errors. */
  readonly written: WrittenBuildFile;
  /** Locates paths of `written` in the compose file. */
  readonly locate: Locator;
  readonly diagnostics: Diagnostic[];
  /** Services without a `build:` section, in file order: nothing to build. */
  readonly skipped: readonly string[];
}

/** A compose file, not a build file: `services:` and no `images:`. */
export const isComposeDocument = (raw: unknown): boolean => isMapping(raw) && Object.hasOwn(raw, 'services') && !Object.hasOwn(raw, 'images');

/** `locate`: of the compose document; `env`: what `${VAR}` reads (the environment over the env files). */
export function composeModel(raw: Record<string, unknown>, env: Lookup, source: SourceFile, locate: Locator): ComposeModel {
  const interpolated = interpolateCompose(raw, env);
  const diagnostics: Diagnostic[] = [];
  for (const e of interpolated.errors) {
    diagnostics.push({ severity: 'error', code: 'interpolation', message: e.message, location: locateWithin(source, locate, e.path, [e.expression]) });
  }
  for (const u of interpolated.unset) {
    diagnostics.push({
      severity: 'warning',
      code: 'compose-unset-variable',
      message: `variable '${u.name}' is not set: an empty string is used (as compose does); set it in the environment or .env, or give a default: \${${u.name}:-value}`,
      location: locateWithin(source, locate, u.path, [u.expression]),
    });
  }
  const value = interpolated.value as Record<string, unknown>;
  const origins = new Origins();
  origins.set(['images'], ['services'], 'key');
  const services = serviceTable(value['services']);
  const ctx: ConvertContext = { locate, origins, problems: diagnostics, services, secrets: value['secrets'], env };
  const written = convert(ctx, value, env);
  const converted = composeLocator(locate, origins);
  if (Object.keys(written.images).length > 0) {
    const describe = (path: YamlPath): string => formatPath(origins.resolve(path).path);
    for (const d of validateSchema(written, converted, source.text, describe)) diagnostics.push(d);
  }
  const skipped = [...services].filter(([, s]) => !s.built).map(([name]) => name);
  return { written, locate: converted, diagnostics, skipped };
}

function serviceTable(services: unknown): Map<string, ComposeService> {
  const out = new Map<string, ComposeService>();
  if (!isMapping(services)) return out;
  for (const [name, s] of Object.entries(services)) {
    const image = isMapping(s) && typeof s['image'] === 'string' ? s['image'] : undefined;
    out.set(name, { built: isMapping(s) && Object.hasOwn(s, 'build'), ...(image !== undefined && { image }) });
  }
  return out;
}

function convert(ctx: ConvertContext, value: Record<string, unknown>, env: Lookup): WrittenBuildFile {
  for (const key of Object.keys(value)) {
    if (key.startsWith('x-') || (TOP_LEVEL_KEYS as readonly string[]).includes(key)) continue;
    problem(ctx, 'error', 'compose-unknown-key', `unknown key '${excerpt(key)}' in the compose file${didYouMean(key, TOP_LEVEL_KEYS)}`, [key], true);
  }
  if (Object.hasOwn(value, 'include')) {
    problem(ctx, 'warning', 'compose-ignored', 'include is not read by mbuild: the services of included files are not built', ['include'], true);
  }
  const images: WrittenBuildFile['images'] = {};
  const services = value['services'];
  if (!isMapping(services)) {
    problem(ctx, 'error', 'compose-type', 'services must be a mapping of services by name', ['services']);
  } else {
    for (const [name, service] of Object.entries(services)) {
      const image = convertService(ctx, name, service);
      if (image !== undefined) images[name] = image;
    }
    if (Object.keys(services).length > 0 && ctx.services.size > 0 && Object.keys(images).length === 0) {
      problem(
        ctx,
        'error',
        'compose-nothing-to-build',
        'no service has a build section: mbuild builds images, and this file only runs them',
        ['services'],
        true,
      );
    }
  }
  const name = env('COMPOSE_PROJECT_NAME') ?? value['name'];
  return { version: 1, ...(name !== undefined && { name: name as string }), images, ...topLevelExtension(ctx, value['x-mbuild']) };
}

/** A top-level `x-mbuild`: the build file's own top-level settings (`cache`, `gc`, `groups`, `defaults`). */
function topLevelExtension(ctx: ConvertContext, value: unknown): Partial<WrittenBuildFile> {
  if (value === undefined) return {};
  if (!isMapping(value)) {
    problem(ctx, 'error', 'compose-type', `x-mbuild must be a mapping of mbuild settings (${TOP_LEVEL_MBUILD_KEYS.join(', ')})`, ['x-mbuild']);
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (!(TOP_LEVEL_MBUILD_KEYS as readonly string[]).includes(key)) {
      const hint = didYouMean(key, TOP_LEVEL_MBUILD_KEYS);
      problem(
        ctx,
        'error',
        'compose-unknown-key',
        `unknown key '${excerpt(key)}' in x-mbuild${hint} (at the top level it takes ${TOP_LEVEL_MBUILD_KEYS.join(', ')})`,
        ['x-mbuild', key],
        true,
      );
      continue;
    }
    out[key] = setting;
    ctx.origins.set([key], ['x-mbuild', key]);
  }
  return out;
}
