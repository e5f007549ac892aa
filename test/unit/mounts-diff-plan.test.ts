/**
 * The parts both diff paths share, on synthetic data: the daemon's walk order, the
 * fallback merge-join (changes, parents, topmost deletions), hard-link choice, and the
 * emitter (content read per file or from one archive, drained when skipped, checked).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { archiveMetas, planFromArchives, type ArchiveSource } from '../../src/mounts/diff-archive.js';
import { emitPlan, finalize } from '../../src/mounts/diff-emit.js';
import { compareWalk, DiffError, drain, newStats, type Meta } from '../../src/mounts/diff-tar.js';

const digestOf = (b: string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const f = (name: string, body: string, extra: Partial<Meta> = {}): Meta => ({
  name,
  type: 'file',
  mode: 0o644,
  size: body.length,
  digest: digestOf(body),
  group: name,
  ...extra,
});
const d = (name: string, mode = 0o755): Meta => ({ name, type: 'dir', mode, size: 0, digest: '' });
async function* from(metas: readonly Meta[]): AsyncGenerator<Meta> {
  yield* metas;
}

type Member = Partial<Header> & { name: string; body?: string };
async function tarOf(members: readonly Member[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...h } of members) p.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, ...h }, body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
/** An engine whose containers serve archives of fixed tars, by container and path. */
function fakeSource(archives: Record<string, readonly Member[]>, container = 'b'): ArchiveSource & { asked: string[] } {
  const asked: string[] = [];
  const engine = {
    getArchive: async (c: string, path: string) => {
      asked.push(`${c}:${path}`);
      const members = archives[path];
      return members && { stat: { name: path, size: 0, mode: 0, linkTarget: '' }, stream: Readable.from([await tarOf(members)]) };
    },
  } as unknown as Engine;
  return { engine, container, mountPath: '/data', signal: new AbortController().signal, stats: newStats(), asked };
}

describe('compareWalk', () => {
  it('sorts like the daemon walks (seen on Engine 20.10)', () => {
    const daemon = ['', 'A', 'a', 'a/.h', 'a/x', 'a-b', 'a.b', 'a.b/c', 'a.txt', 'a0', 'z', 'ä'];
    expect([...daemon].reverse().sort(compareWalk)).toEqual(daemon);
  });
});

describe('planFromArchives (fallback merge-join)', () => {
  it('emits new and changed entries with their parents, and lists the topmost deletions', async () => {
    const a = [d(''), d('keep'), f('keep/same', 's'), d('mode'), f('mode/f', 'm'), d('gone'), f('gone/x', 'x'), d('tofile'), f('tofile/c', 'c'), f('z', 'old')];
    const b = [
      d(''),
      d('keep'),
      f('keep/same', 's'),
      d('mode'),
      f('mode/f', 'm', { mode: 0o755 }),
      d('new'),
      d('new/deep'),
      f('new/deep/n', 'n'),
      f('tofile', 'now a file'),
      f('z', 'new'),
    ];
    const plan = await planFromArchives(from(a), from(b));
    expect(plan.entries.map((m) => m.name)).toEqual(['mode', 'mode/f', 'new', 'new/deep', 'new/deep/n', 'tofile', 'z']);
    expect(plan.deletions).toEqual(['gone', 'tofile/c']);
  });

  it('lists the children of a path that B lacks, and nothing for equal trees', async () => {
    expect(await planFromArchives(from([d(''), f('w', 'w'), d('x'), f('x/y', 'y')]), from([]))).toEqual({ entries: [], deletions: ['w', 'x'] });
    const same = [d(''), f('a', 'a', { mtime: new Date(1) })];
    expect(await planFromArchives(from(same), from([d(''), f('a', 'a', { mtime: new Date(2) })]))).toEqual({ entries: [], deletions: [] });
  });
});

describe('archiveMetas', () => {
  it('resolves hard links to their file, describes devices, and refuses an archive out of walk order', async () => {
    const ok = fakeSource({
      '/data': [
        { name: 'data', type: 'directory' },
        { name: 'data/f', body: 'x' },
        { name: 'data/g', type: 'link', linkname: 'data/f' },
        { name: 'data/null', type: 'character-device', devmajor: 1, devminor: 3 },
        { name: 'data/p', type: 'fifo' },
      ],
    });
    const metas: Meta[] = [];
    for await (const m of archiveMetas(ok, '')) metas.push(m);
    expect(metas[2]).toMatchObject({ name: 'g', type: 'file', digest: digestOf('x'), group: 'f' });
    expect(metas.slice(3)).toMatchObject([
      { name: 'null', type: 'other', kind: 'character device', digest: 'character device:1:3' },
      { name: 'p', type: 'other', kind: 'fifo' },
    ]);
    const bad = fakeSource({
      '/data': [
        { name: 'data', type: 'directory' },
        { name: 'data/b', body: '' },
        { name: 'data/a', body: '' },
      ],
    });
    const readAll = async () => {
      for await (const _ of archiveMetas(bad, '')) {
        // read to the end
      }
    };
    await expect(readAll()).rejects.toThrow(/not in walk order/);
  });
});

describe('finalize', () => {
  it('sorts in walk order and makes later emitted members of a group hard links to the first', () => {
    const list = finalize([
      f('z', 'p', { group: 'g' }),
      f('b/y', 'p', { group: 'g' }),
      d('b'),
      f('a', 'solo'),
      { name: 's', type: 'symlink', mode: 0o777, size: 0, digest: 'target' },
    ]);
    expect(list.map((p) => [p.meta.name, p.type, p.linkTarget])).toEqual([
      ['a', 'file', undefined],
      ['b', 'dir', undefined],
      ['b/y', 'file', undefined],
      ['s', 'symlink', 'target'],
      ['z', 'hardlink', 'b/y'],
    ]);
  });
});

describe('emitPlan', () => {
  const B_DATA: Member[] = [
    { name: 'data', type: 'directory' },
    { name: 'data/a', body: 'AAAA' },
    { name: 'data/b', body: 'BB' },
    { name: 'data/c', body: 'unplanned' },
    { name: 'data/d', type: 'link', linkname: 'data/c' },
    { name: 'data/e', body: 'E' },
  ];
  const ARCHIVES = {
    '/data': B_DATA,
    '/data/a': [{ name: 'a', body: 'AAAA' }],
    '/data/b': [{ name: 'b', body: 'BB' }],
    '/data/d': [{ name: 'd', body: 'unplanned' }],
    '/data/e': [{ name: 'e', body: 'E' }],
  };
  const plan = finalize([f('a', 'AAAA'), f('b', 'BB'), f('d', 'unplanned', { group: 'c' }), f('e', 'E')]);

  async function read(max: number, skipContent: (name: string) => boolean) {
    const main = fakeSource(ARCHIVES);
    const side = fakeSource(ARCHIVES, 'side');
    const seen: [string, string][] = [];
    for await (const e of emitPlan(plan, main, async () => side, max)) {
      let text = '';
      if (e.content && !skipContent(e.name)) for await (const c of e.content) text += Buffer.from(c).toString();
      seen.push([e.name, text]);
    }
    return { seen, main: main.asked, side: side.asked };
  }

  it('reads from one archive, drains skipped content, and fetches a file the archive has as a link from another container', async () => {
    const r = await read(0, (n) => n === 'a');
    expect(r.seen).toEqual([
      ['a', ''],
      ['b', 'BB'],
      ['d', 'unplanned'],
      ['e', 'E'],
    ]);
    expect(r.main).toEqual(['b:/data']);
    expect(r.side).toEqual(['side:/data/d']);
  });

  it('reads each file on its own when there are few', async () => {
    const r = await read(10, () => false);
    expect(r.seen).toEqual([
      ['a', 'AAAA'],
      ['b', 'BB'],
      ['d', 'unplanned'],
      ['e', 'E'],
    ]);
    expect(r.main).toEqual(['b:/data/a', 'b:/data/b', 'b:/data/d', 'b:/data/e']);
  });

  it('fails when content does not match the plan, also when it is drained', async () => {
    const wrong = finalize([f('a', 'not AAAA')]);
    for (const readIt of [true, false]) {
      const it = emitPlan(wrong, fakeSource(ARCHIVES), async () => fakeSource(ARCHIVES), 0);
      const first = await it.next();
      const content = first.done ? undefined : first.value.content;
      if (readIt && content) await expect(drain(content)).rejects.toThrow(DiffError);
      else await expect(it.next()).rejects.toThrow(/changed in the image/);
    }
  });
});
