/**
 * Mount sources read once per run (shared-reads.ts) over an in-memory Engine that serves
 * hand-made archives and counts containers: one read for every consumer the build file
 * names, the same entries for each; past a cap (per source, per run) each consumer reads on
 * its own; the bytes held go back to zero once the last consumer is done; a first read that
 * fails keeps nothing and the others get their own error.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { MountSpec } from '../../src/config/types.js';
import type { ArchiveStat, Engine } from '../../src/docker/engine.js';
import { TransferError } from '../../src/mounts/errors.js';
import { SharedReads, type ReadCaps } from '../../src/mounts/shared-reads.js';
import type { RawEntry } from '../../src/mounts/types.js';

const CHUNK = 300;

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = tar.pack();
  p.entry({ name: 'data/', type: 'directory', mode: 0o755 });
  for (const [name, text] of Object.entries(files)) p.entry({ name: `data/${name}`, mode: 0o644 }, text);
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

const dirStat: ArchiveStat = { name: 'data', size: 4096, mode: 2 ** 31 + 0o755, linkTarget: '' };

/** Images -> `/data` archives; counts containers made and archives served. */
function fakeEngine(images: Record<string, Buffer>) {
  const live = new Map<string, string>();
  const counts = { creates: 0, archives: 0 };
  const engine = {
    async createContainer(image: string) {
      const id = `c${++counts.creates}`;
      live.set(id, image);
      await new Promise((r) => setImmediate(r)); // concurrent readers overlap
      return id;
    },
    async getArchive(id: string, path: string) {
      const served = images[live.get(id) ?? ''];
      if (path !== '/data' || served === undefined) return undefined;
      counts.archives++;
      const chunks = Array.from({ length: Math.ceil(served.length / CHUNK) }, (_, i) => served.subarray(i * CHUNK, i * CHUNK + CHUNK));
      return { stat: dirStat, stream: Readable.from(chunks) };
    },
    async removeContainer(id: string) {
      live.delete(id);
    },
  };
  return { engine: engine as unknown as Engine, live, counts };
}

const mount = (from: string, to: string, path = '/data'): MountSpec => ({
  from,
  source: { kind: 'external', ref: from },
  path,
  to,
  origin: ['images', to, 'mounts', 0],
});

/** Every entry as text, content included. */
async function entries(raw: AsyncIterable<RawEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of raw) {
    const parts: Buffer[] = [];
    if (e.content) for await (const c of e.content) parts.push(Buffer.from(c));
    out.push(`${e.type} ${e.name} ${e.mode.toString(8)} ${Buffer.concat(parts).toString()}`);
  }
  return out;
}

function reader(engine: Engine, signal = new AbortController().signal) {
  return (shared: SharedReads, image: string, spec: MountSpec) =>
    entries(shared.read(image, spec, { engine, signal, labels: {}, label: { what: 'mount', source: `${spec.from}:${spec.path}`, to: spec.to } }));
}

const FILES = { 'a.txt': 'alpha'.repeat(100), 'b.txt': 'beta', 'c/d.txt': 'delta'.repeat(300) };

describe('mount sources read once per run', () => {
  it('reads once for every consumer, concurrent or later, with the same entries; lets the bytes go after the last', async () => {
    const archive = await tarOf(FILES);
    const { engine, live, counts } = fakeEngine({ web: archive });
    const specs = ['a', 'b', 'c', 'd'].map((to) => mount('web', to));
    const shared = new SharedReads(specs);
    const read = reader(engine);
    const first = await Promise.all(specs.slice(0, 3).map((s) => read(shared, 'web', s)));
    expect(counts).toEqual({ creates: 1, archives: 1 });
    expect(shared.stats).toMatchObject({ kept: 1, replays: 2, tooBig: 0 });
    expect(shared.stats.held).toBe(archive.length);
    const last = await read(shared, 'web', specs[3]!);
    expect(counts.creates).toBe(1);
    for (const got of [...first, last]) expect(got).toEqual(first[0]);
    expect(first[0]).toContain(`file a.txt 644 ${FILES['a.txt']}`);
    expect(shared.stats.held).toBe(0);
    expect(shared.stats.peak).toBe(archive.length);
    expect(live.size).toBe(0);
  });

  it('keeps nothing for a source mounted once, or a path mounted from another image', async () => {
    const { engine, counts } = fakeEngine({ web: await tarOf(FILES), api: await tarOf(FILES) });
    const shared = new SharedReads([mount('web', 'a'), mount('api', 'b')]);
    const read = reader(engine);
    await read(shared, 'web', mount('web', 'a'));
    await read(shared, 'api', mount('api', 'b'));
    expect(counts.creates).toBe(2);
    expect(shared.stats).toMatchObject({ kept: 0, replays: 0, held: 0, peak: 0 });
  });

  it('past the per-source cap: each consumer reads on its own, the same entries, nothing held', async () => {
    const archive = await tarOf(FILES);
    const { engine, counts } = fakeEngine({ web: archive });
    const specs = ['a', 'b', 'c'].map((to) => mount('web', to));
    const shared = new SharedReads(specs, { perSource: archive.length - 1, total: 10 * archive.length });
    const read = reader(engine);
    const got = await Promise.all(specs.map((s) => read(shared, 'web', s)));
    const later = await read(shared, 'web', specs[0]!);
    expect(counts).toEqual({ creates: 4, archives: 4 });
    for (const g of [...got, later]) expect(g).toEqual(got[0]);
    expect(shared.stats).toMatchObject({ kept: 0, tooBig: 1, held: 0 });
    expect(shared.stats.peak).toBeLessThanOrEqual(archive.length - 1 + CHUNK);
  });

  it('past the run cap: a second source is not kept while the first is held', async () => {
    const archive = await tarOf(FILES);
    const { engine, counts } = fakeEngine({ web: archive, api: archive });
    const specs = [mount('web', 'a'), mount('web', 'b'), mount('api', 'c'), mount('api', 'd')];
    const caps: ReadCaps = { perSource: archive.length, total: archive.length + CHUNK };
    const shared = new SharedReads(specs, caps);
    const read = reader(engine);
    await read(shared, 'web', specs[0]!); // web held until its second consumer
    await Promise.all([read(shared, 'api', specs[2]!), read(shared, 'api', specs[3]!)]);
    expect(counts.creates).toBe(3);
    expect(shared.stats).toMatchObject({ kept: 1, tooBig: 1, held: archive.length });
    expect(shared.stats.peak).toBeLessThanOrEqual(caps.total + CHUNK);
    await read(shared, 'web', specs[1]!);
    expect(counts.creates).toBe(3);
    expect(shared.stats.held).toBe(0);
  });

  it('a first read that fails keeps nothing: every consumer gets its own error, named after its own mount', async () => {
    const { engine, counts, live } = fakeEngine({});
    const specs = ['a', 'b', 'c'].map((to) => mount('gone', to));
    const shared = new SharedReads(specs);
    const read = reader(engine);
    const got = await Promise.allSettled(specs.map((s) => read(shared, 'gone', s)));
    expect(counts.creates).toBe(3);
    expect(got.map((g) => (g.status === 'rejected' && g.reason instanceof TransferError ? g.reason.message : g.status))).toEqual(
      specs.map((s) => `mount gone:/data -> ${s.to}: /data does not exist in image gone`),
    );
    expect(shared.stats).toMatchObject({ kept: 0, held: 0 });
    expect(live.size).toBe(0);
  });

  it('a consumer whose signal aborts while it waits for the first read stops with the abort', async () => {
    const { engine, counts } = fakeEngine({ web: await tarOf(FILES) });
    const specs = ['a', 'b'].map((to) => mount('web', to));
    const shared = new SharedReads(specs);
    const ac = new AbortController();
    const first = reader(engine)(shared, 'web', specs[0]!);
    const waiting = reader(engine, ac.signal)(shared, 'web', specs[1]!);
    ac.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await first;
    expect(counts.creates).toBe(1);
  });
});
