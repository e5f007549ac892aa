/**
 * What converting one compose file shares (compose.ts, compose-service.ts, compose-build.ts):
 * the compose document's locator, the origins of the converted file, every problem found,
 * and the reading of compose's two ways to write a set of entries (`K: V` or `- K=V`).
 */
import type { Diagnostic } from '../core/diagnostic.js';
import { excerpt } from '../core/excerpt.js';
import { formatPath } from './locate.js';
import type { Origins } from './compose-locate.js';
import type { Lookup } from './interpolate.js';
import type { Locator, YamlPath } from './types.js';

export interface ComposeService {
  /** The service's `image:`, when it is a string. */
  readonly image?: string;
  /** It has a `build:` section: it becomes an image of the converted file. */
  readonly built: boolean;
}

export interface ConvertContext {
  /** Locates nodes of the compose document itself. */
  readonly locate: Locator;
  readonly origins: Origins;
  readonly problems: Diagnostic[];
  /** Every service of the file, by name. */
  readonly services: ReadonlyMap<string, ComposeService>;
  /** The top-level `secrets` (interpolated), or undefined. */
  readonly secrets: unknown;
  /** The environment as `${VAR}` sees it (`args: [NAME]` takes NAME's value from it). */
  readonly env: Lookup;
}

export const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function problem(ctx: ConvertContext, severity: 'error' | 'warning', code: string, message: string, path: YamlPath, onKey = false): void {
  ctx.problems.push({ severity, code, message, location: onKey ? ctx.locate.key(path) : ctx.locate.value(path) });
}

export const where = (path: YamlPath): string => formatPath(path);

/** One entry of `args`, `labels` or `additional_contexts`; `value` null: written without one (`- NAME`, `NAME:`). */
export interface Entry {
  readonly name: string;
  readonly value: string | null;
  /** Where it is written: the map entry or the list item. */
  readonly path: YamlPath;
}

/** A scalar as compose reads it in these maps: numbers and booleans as written, as strings. */
function scalar(ctx: ConvertContext, value: unknown, path: YamlPath): string | null | undefined {
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  problem(ctx, 'error', 'compose-type', `${where(path)} must be a string, a number or true/false`, path);
  return undefined;
}

/** `{K: V}` or `[K=V, K]`, every bad entry reported; undefined when `value` is neither. */
export function entriesOf(ctx: ConvertContext, value: unknown, path: YamlPath): Entry[] | undefined {
  if (isMapping(value)) {
    const out: Entry[] = [];
    for (const [name, v] of Object.entries(value)) {
      const read = scalar(ctx, v, [...path, name]);
      if (read !== undefined) out.push({ name, value: read, path: [...path, name] });
    }
    return out;
  }
  if (Array.isArray(value)) {
    const out: Entry[] = [];
    (value as unknown[]).forEach((item, i) => {
      if (typeof item !== 'string' || item === '' || item.startsWith('=')) {
        problem(ctx, 'error', 'compose-type', `${where([...path, i])} must be NAME=VALUE or NAME, not ${excerpt(JSON.stringify(item))}`, [...path, i]);
        return;
      }
      const eq = item.indexOf('=');
      out.push(eq === -1 ? { name: item, value: null, path: [...path, i] } : { name: item.slice(0, eq), value: item.slice(eq + 1), path: [...path, i] });
    });
    return out;
  }
  problem(ctx, 'error', 'compose-type', `${where(path)} must be a mapping (NAME: VALUE) or a list (- NAME=VALUE)`, path);
  return undefined;
}

/** A list of strings, every other item reported. */
export function stringsOf(ctx: ConvertContext, value: unknown, path: YamlPath): { text: string; path: YamlPath }[] {
  if (!Array.isArray(value)) {
    problem(ctx, 'error', 'compose-type', `${where(path)} must be a list`, path);
    return [];
  }
  const out: { text: string; path: YamlPath }[] = [];
  (value as unknown[]).forEach((item, i) => {
    if (typeof item === 'string') out.push({ text: item, path: [...path, i] });
    else problem(ctx, 'error', 'compose-type', `${where([...path, i])} must be a string`, [...path, i]);
  });
  return out;
}
