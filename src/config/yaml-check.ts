/**
 * Checks on a parsed YAML document before it becomes a JS value, each located where it is
 * written: a key written twice in one mapping (a set per mapping: the yaml library's own
 * check compares each key with every earlier one, 25 s for 30,000 images), an alias of an
 * anchor not defined before it, an alias inside the node it names
 * (a value that contains itself), aliases that nest a value deeper than MAX_DEPTH or
 * expand to too much (billion laughs), a merge key `<<` given something other than
 * mappings, and the key `__proto__` (a JS object would take it as its prototype).
 * One walk in document order with its own stack; no recursion.
 */
import { isAlias, isMap, isScalar, isSeq, type Alias, type Document, type Node } from 'yaml';
import { MAX_DEPTH } from './yaml-parse.js';

/** Alias nodes a build file may hold (the yaml library finds each alias's anchor by a scan). */
export const MAX_ALIASES = 10_000;
/** Values that aliases may add to the document in all, counting every value an alias repeats. */
export const MAX_EXPANDED = 100_000;

export interface YamlProblem {
  readonly code: string;
  readonly message: string;
  readonly offset: number;
  readonly length: number;
}

/** Height: collections nested in the value (0 for a scalar); size: values in it, aliases expanded. */
interface Shape {
  readonly height: number;
  readonly size: number;
}

interface Frame {
  readonly node: Node;
  readonly children: readonly unknown[];
  readonly depth: number;
  i: number;
}

const LEAF: Shape = { height: 0, size: 1 };

function at(node: Node, code: string, message: string): YamlProblem {
  const [start = 0, end = start] = node.range ?? [];
  return { code, message, offset: start, length: end - start };
}

export function checkDocument(doc: Document.Parsed): YamlProblem[] {
  const walk = new Walk();
  if (doc.contents !== null) walk.run(doc.contents);
  return [...walk.problems, ...walk.mergeProblems()];
}

class Walk {
  readonly problems: YamlProblem[] = [];
  private readonly anchors = new Map<string, Node>();
  private readonly open = new Set<Node>();
  private readonly shapes = new Map<Node, Shape>();
  private readonly resolved = new Map<Node, Node>();
  private readonly merges: Node[] = [];
  private readonly reported = new Set<string>();
  private aliases = 0;
  private expanded = 0;
  private readonly stack: Frame[] = [];

  run(root: Node): void {
    this.enter(root, 0);
    while (this.stack.length > 0) {
      const frame = this.stack[this.stack.length - 1]!;
      if (frame.i < frame.children.length) {
        const child = frame.children[frame.i++];
        if (child !== null && child !== undefined) this.enter(child as Node, frame.depth);
        continue;
      }
      this.stack.pop();
      let height = 0;
      let size = 1;
      for (const child of frame.children) {
        const shape = child ? this.shapes.get(child as Node) : undefined;
        height = Math.max(height, shape?.height ?? 0);
        size += shape?.size ?? 0;
      }
      this.shapes.set(frame.node, { height: height + 1, size });
      this.open.delete(frame.node);
    }
  }

  /** `depth`: collections around `node`. */
  private enter(node: Node, depth: number): void {
    if (isAlias(node)) return this.alias(node, depth);
    if (node.anchor) {
      this.anchors.set(node.anchor, node);
      this.open.add(node);
    }
    if (isMap(node)) {
      const children: unknown[] = [];
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        this.key(pair.key as Node | null, pair.value as Node | null, keys);
        children.push(pair.key, pair.value);
      }
      this.stack.push({ node, children, depth: depth + 1, i: 0 });
    } else if (isSeq(node)) {
      this.stack.push({ node, children: node.items, depth: depth + 1, i: 0 });
    } else {
      this.shapes.set(node, LEAF);
      this.open.delete(node);
    }
  }

  /** `keys`: the keys of the mapping so far. */
  private key(key: Node | null, value: Node | null, keys: Set<unknown>): void {
    if (!isScalar(key)) return;
    const merge = key.value === '<<' && (key.type === undefined || key.type === 'PLAIN');
    if (!merge && keys.has(key.value)) {
      this.problems.push(at(key, 'duplicate-key', 'duplicate key: each key may appear only once in a mapping'));
    }
    keys.add(key.value);
    if (key.value === '__proto__') {
      this.problems.push(at(key, 'reserved-key', "'__proto__' cannot be a key"));
    } else if (merge && value !== null) {
      this.merges.push(value);
    }
  }

  private alias(node: Alias, depth: number): void {
    this.aliases++;
    const target = this.anchors.get(node.source);
    this.shapes.set(node, LEAF);
    if (target === undefined) {
      this.problems.push(at(node, 'unknown-anchor', `unknown anchor '*${node.source}': no '&${node.source}' is defined before this alias`));
      return;
    }
    if (this.open.has(target)) {
      this.problems.push(at(node, 'recursive-alias', `alias '*${node.source}' is inside the value it names, which would contain itself`));
      return;
    }
    const shape = this.shapes.get(target)!;
    this.resolved.set(node, target);
    this.shapes.set(node, shape);
    this.expanded += shape.size;
    this.once(node, depth + shape.height > MAX_DEPTH, 'too-deep', `this alias nests its value deeper than ${MAX_DEPTH} levels`);
    this.once(node, this.aliases > MAX_ALIASES, 'alias-limit', `more than ${MAX_ALIASES.toLocaleString('en-US')} aliases`);
    this.once(
      node,
      this.expanded > MAX_EXPANDED,
      'alias-limit',
      `aliases repeat more than ${MAX_EXPANDED.toLocaleString('en-US')} values in all; refusing a possible alias bomb`,
    );
  }

  /** Reports a limit once, at the first alias that passes it. */
  private once(node: Node, passed: boolean, code: string, message: string): void {
    if (!passed || this.reported.has(message)) return;
    this.reported.add(message);
    this.problems.push(at(node, code, message));
  }

  /** `<<` takes a mapping, an alias of one, or a list of them (yaml would throw while converting). */
  mergeProblems(): YamlProblem[] {
    const deref = (node: Node): Node | undefined => (isAlias(node) ? this.resolved.get(node) : node);
    const out: YamlProblem[] = [];
    for (const value of this.merges) {
      const source = deref(value);
      if (source === undefined) continue; // an unknown anchor, already reported
      const parts = isSeq(source) ? (source.items as (Node | null)[]) : [source];
      if (parts.every((part) => part !== null && (deref(part) === undefined || isMap(deref(part))))) continue;
      out.push(at(value, 'invalid-merge', "merge key '<<' takes a mapping, an alias of one, or a list of them"));
    }
    return out;
  }
}
