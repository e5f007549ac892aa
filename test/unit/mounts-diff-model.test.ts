/**
 * Fast path == fallback, on random synthetic image pairs: a random tree A below /data, then
 * 1-3 random steps (write, same-bytes rewrite, chmod, rm -rf, mkdir, rm -rf + mkdir =
 * opaque, dir <-> file, symlink) each turned into a layer tar the way the engine writes one
 * (changed entries with their parents, `.wh.` whiteouts, `.wh..wh..opq`). The fast path
 * parses those layers and asks a fake container of A; the fallback merge-joins fake
 * archives of A and B. Both plans must be identical.
 */
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { archiveMetas, planFromArchives, type ArchiveSource, type Plan } from '../../src/mounts/diff-archive.js';
import { finalize } from '../../src/mounts/diff-emit.js';
import { applyLayers, planFast } from '../../src/mounts/diff-fast.js';
import { parseLayer } from '../../src/mounts/diff-layers.js';
import { compareWalk, isBelow, newStats, parentOf } from '../../src/mounts/diff-tar.js';

interface Node {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  data: string;
}
type Tree = Map<string, Node>; // 'data', 'data/x', ...

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function tarOf(members: readonly (Partial<Header> & { name: string; body?: string })[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...h } of members) p.entry(h, body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
const member = (name: string, n: Node) =>
  n.type === 'dir'
    ? { name: `${name}/`, type: 'directory' as const, mode: n.mode }
    : n.type === 'symlink'
      ? { name, type: 'symlink' as const, mode: 0o777, linkname: n.data }
      : { name, mode: n.mode, body: n.data };

/** A container of `tree`: GET archive of any path (members rooted at its basename, walk order). */
function source(tree: Tree, container: string): ArchiveSource {
  const engine = {
    getArchive: async (_: string, abs: string) => {
      const key = abs.slice(1);
      const self = tree.get(key);
      if (self === undefined) return undefined;
      const base = key.slice(key.lastIndexOf('/') + 1);
      const names = [...tree.keys()].filter((k) => k === key || isBelow(k, key)).sort(compareWalk);
      const stream = Readable.from([await tarOf(names.map((k) => member(base + k.slice(key.length), tree.get(k) as Node)))]);
      return { stat: { name: base, size: 0, mode: self.type === 'dir' ? 0x80000000 : 0, linkTarget: '' }, stream };
    },
  } as unknown as Engine;
  return { engine, container, mountPath: '/data', signal: new AbortController().signal, stats: newStats() };
}

function randomStep(tree: Tree, r: () => number): { next: Tree; touched: Set<string>; opaque: Set<string> } {
  const next: Tree = new Map(tree);
  const touched = new Set<string>();
  const opaque = new Set<string>();
  const removed = new Set<string>();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const contents = ['a', 'b', 'ccc'];
  const rmrf = (p: string): void => {
    for (const k of [...next.keys()]) {
      if (k === p || isBelow(k, p)) {
        next.delete(k);
        removed.add(k);
      }
    }
    for (const o of opaque) if (o === p || isBelow(o, p)) opaque.delete(o);
  };
  for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
    const dirs = [...next].filter(([, v]) => v.type === 'dir').map(([k]) => k);
    const any = [...next.keys()].filter((k) => k !== 'data');
    const fresh = `${pick(dirs)}/${pick(['d', 'e', 'f', 'g'])}`;
    const old = any.length > 0 ? pick(any) : fresh;
    const target = r() < 0.5 ? fresh : old;
    const op = Math.floor(r() * 7);
    const create = (p: string, node: Node): void => {
      if (node.type === 'dir' && removed.has(p)) opaque.add(p);
      else if (node.type !== 'dir') opaque.delete(p);
      next.set(p, node);
      touched.add(p);
    };
    if (op === 0) rmrf(old);
    else if (op === 1 && next.has(old)) create(old, { ...(next.get(old) as Node), mode: pick([0o644, 0o755, 0o600]) });
    else if (op === 2 && next.get(target)?.type !== 'dir') create(target, { type: 'file', mode: next.get(target)?.mode ?? 0o644, data: pick(contents) });
    else if (op === 3 && !next.has(fresh)) create(fresh, { type: 'dir', mode: pick([0o755, 0o700]), data: '' });
    else if (op === 4 && next.get(old)?.type === 'dir') {
      const mode = (next.get(old) as Node).mode;
      rmrf(old);
      create(old, { type: 'dir', mode, data: '' });
      create(`${old}/${pick(['d', 'x'])}`, { type: 'file', mode: 0o644, data: pick(contents) });
    } else if (op === 5) {
      rmrf(target);
      create(target, { type: 'symlink', mode: 0o777, data: pick(['../x', 't']) });
    } else if (op === 6) {
      rmrf(old);
      create(old, r() < 0.5 ? { type: 'file', mode: 0o644, data: 'now' } : { type: 'dir', mode: 0o755, data: '' });
    }
  }
  return { next, touched, opaque };
}

/** The layer the engine would write for one step. */
async function layerOf(prev: Tree, step: ReturnType<typeof randomStep>): Promise<Buffer> {
  const { next, touched, opaque } = step;
  const names = new Set<string>();
  const whiteouts: string[] = [];
  const withParents = (p: string): void => {
    for (let q = p; q !== ''; q = parentOf(q)) names.add(q);
  };
  for (const p of touched) if (next.has(p)) withParents(p);
  for (const o of opaque) for (const k of next.keys()) if (isBelow(k, o)) withParents(k);
  for (const p of prev.keys()) {
    const parent = parentOf(p);
    if (next.has(p) || next.get(parent)?.type !== 'dir' || opaque.has(parent) || !prev.has(parent) || prev.get(parent)?.type !== 'dir') continue;
    whiteouts.push(p);
    withParents(parent);
  }
  const members = [...names].sort(compareWalk).flatMap((k) => {
    const m = [member(k, next.get(k) as Node)];
    if (opaque.has(k)) m.push({ name: `${k}/.wh..wh..opq`, mode: 0o644, body: '' });
    return m;
  });
  for (const w of whiteouts) members.push({ name: `${parentOf(w)}/.wh.${w.slice(w.lastIndexOf('/') + 1)}`, mode: 0o644, body: '' });
  return tarOf(members);
}

const view = (p: Plan) => ({
  entries: finalize(p.entries).map((e) => `${e.type} ${e.meta.name} ${e.meta.mode.toString(8)} ${e.meta.digest} ${e.linkTarget ?? ''}`),
  deletions: p.deletions,
});

describe('fast path vs fallback on random image pairs', () => {
  it('always agree', async () => {
    let nonEmpty = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      let tree: Tree = new Map([['data', { type: 'dir', mode: 0o755, data: '' }]]);
      for (let i = 0; i < 4; i++) tree = randomStep(tree, r).next;
      const base = tree;
      const layers: Buffer[] = [];
      for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) {
        const step = randomStep(tree, r);
        layers.push(await layerOf(tree, step));
        tree = step.next;
      }
      const ops = await Promise.all(layers.map(async (l) => (await parseLayer(Readable.from([l]), '/data')).ops));
      const slow = await planFromArchives(archiveMetas(source(base, 'a'), ''), archiveMetas(source(tree, 'b'), ''));
      for (const maxQueries of [0, 1000]) {
        const fast = await planFast(applyLayers(ops, false), { a: source(base, 'a'), b: source(tree, 'b'), maxQueries });
        expect({ seed, maxQueries, ...view(fast) }).toEqual({ seed, maxQueries, ...view(slow) });
      }
      if (slow.entries.length + slow.deletions.length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(200);
  });
});
