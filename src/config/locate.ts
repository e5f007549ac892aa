/**
 * Maps a path in the document (`['images','api','tags',0]`) back to the YAML node,
 * so that schema and rule diagnostics underline exactly what the user wrote.
 */
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Location, SourceFile } from '../core/diagnostic.js';
import type { Locator, YamlPath } from './types.js';

/** `document` is asked for on the first lookup only (a cached parse has none until then). */
export function createLocator(file: SourceFile, document: () => Document.Parsed): Locator {
  const find = (path: YamlPath): { node: Node | undefined; key: Node | undefined } => {
    let node: unknown = document().contents;
    let key: Node | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return { node: node as Node, key: undefined };
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

/** `images.api.mounts[0].to`: the path as people read it. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(top level)' : out;
}
