/**
 * Maps a path in the document (`['images','api','tags',0]`) back to the YAML node,
 * so that schema and rule diagnostics underline exactly what the user wrote.
 */
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Location, SourceFile } from '../core/diagnostic.js';
import { excerpt } from '../core/excerpt.js';
import type { Locator, YamlPath } from './types.js';

/** `document` is asked for on the first lookup only (a cached parse has none until then). */
export function createLocator(file: SourceFile, document: () => Document.Parsed): Locator {
  // Each mapping's pairs by key, made on first use: a rule that locates 20,000 images does not scan 20,000 pairs each time.
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, segment: string | number): Pair | undefined => {
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const p of map.items) if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
      indexes.set(map, index);
    }
    return index.get(String(segment));
  };
  const find = (path: YamlPath): { node: Node | undefined; key: Node | undefined } => {
    let node: unknown = document().contents;
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = pairOf(node, segment);
        if (!pair) return { node, key: undefined };
        key = isNode(pair.key) ? pair.key : undefined;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        key = undefined;
        node = node.items[segment];
      } else {
        return { node: isNode(node) ? node : undefined, key: undefined };
      }
    }
    return { node: isNode(node) ? node : undefined, key };
  };
  const toLocation = (node: Node | undefined): Location => {
    const range = node?.range;
    if (!range) return { file, range: { offset: 0, length: 0 } };
    return { file, range: { offset: range[0], length: Math.max(0, range[1] - range[0]) } };
  };
  return {
    value: (path) => toLocation(find(path).node),
    key: (path) => {
      const found = find(path);
      return toLocation(found.key ?? found.node);
    },
  };
}

/** `images.api.mounts[0].to`: the path as people read it (a long key cut short). */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? excerpt(segment) : `.${excerpt(segment)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** The first of `needles` inside the scalar at `path`, else the whole scalar. */
export function locateWithin(source: SourceFile, locate: Locator, path: YamlPath, needles: readonly string[]): Location {
  const node = locate.value(path);
  const text = source.text.slice(node.range.offset, node.range.offset + node.range.length);
  for (const needle of needles) {
    const inside = text.indexOf(needle);
    if (inside !== -1) return { file: source, range: { offset: node.range.offset + inside, length: needle.length } };
  }
  return node;
}
