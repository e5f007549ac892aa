/**
 * Where a setting of a build file converted from a compose file was written: paths of the
 * converted file (`['images','api','tags',0]`) mapped back to the compose node they came
 * from (`['services','api','image']`), so that the diagnostics of every later phase (the
 * schema, the rules, the Dockerfile checks) point into compose.yaml.
 */
import type { Location } from '../core/diagnostic.js';
import type { Locator, YamlPath } from './types.js';

/** A node of the compose file: its value, or its key (a `depends_on` map entry, a service). */
export interface ComposeTarget {
  readonly path: YamlPath;
  readonly on: 'key' | 'value';
}

const keyOf = (path: YamlPath): string => JSON.stringify(path);

/** Converted path -> compose node; a path without an entry of its own uses its longest mapped prefix. */
export class Origins {
  private readonly map = new Map<string, ComposeTarget>();

  set(converted: YamlPath, compose: YamlPath, on: 'key' | 'value' = 'value'): void {
    this.map.set(keyOf(converted), { path: compose, on });
  }

  /** The compose node for `path`, with the part of `path` below the mapped prefix appended. */
  resolve(path: YamlPath): ComposeTarget {
    for (let cut = path.length; cut >= 0; cut--) {
      const target = this.map.get(keyOf(path.slice(0, cut)));
      if (target === undefined) continue;
      if (cut === path.length) return target;
      return { path: [...target.path, ...path.slice(cut)], on: 'value' };
    }
    return { path, on: 'value' };
  }
}

/** A Locator of the converted file that answers with nodes of the compose file. */
export function composeLocator(compose: Locator, origins: Origins): Locator {
  const at = (path: YamlPath, wantKey: boolean): Location => {
    const target = origins.resolve(path);
    return wantKey || target.on === 'key' ? compose.key(target.path) : compose.value(target.path);
  };
  return { value: (path) => at(path, false), key: (path) => at(path, true) };
}
