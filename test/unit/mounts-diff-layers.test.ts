/**
 * The fast path's layer logic on synthetic tars: whiteouts and opaque directories (also
 * above the mount path), hard links, applying layers in order, and reading only B's extra
 * layers out of a synthetic `docker save` whose manifest comes last.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { applyLayers } from '../../src/mounts/diff-fast.js';
import { FastPathUnavailable, parseLayer, predictV1Ids, readExtraLayers, type LayerOp } from '../../src/mounts/diff-layers.js';
import { newStats } from '../../src/mounts/diff-tar.js';

type Member = Partial<Header> & { name: string; body?: string | Buffer };
async function tarOf(members: readonly Member[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...h } of members) p.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, ...h }, body ?? '');
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
const dir = (name: string, mode = 0o755): Member => ({ name, type: 'directory', mode });
const file = (name: string, body: string, mode = 0o644): Member => ({ name, body, mode });
const digestOf = (b: string | Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const parse = async (members: readonly Member[], path = '/data'): Promise<LayerOp[]> => (await parseLayer(Readable.from([await tarOf(members)]), path)).ops;
const brief = (ops: readonly LayerOp[]): string[] =>
  ops.map((o) => (o.op === 'entry' ? `${o.meta.type} ${o.meta.name}` : o.op === 'link' ? `link ${o.name} -> ${o.to}` : `${o.op} ${o.name}`));

describe('parseLayer', () => {
  it('hashes the whole layer and keeps only what is below the mount path', async () => {
    const bytes = await tarOf([dir('data'), file('data/a', 'A'), dir('etc'), file('etc/x', 'X'), file('database', 'no')]);
    const { diffId, ops } = await parseLayer(Readable.from([bytes.subarray(0, 700), bytes.subarray(700)]), '/data');
    expect(diffId).toBe(digestOf(bytes));
    expect(brief(ops)).toEqual(['dir ', 'file a']);
    expect(ops[1]).toMatchObject({ meta: { mode: 0o644, size: 1, digest: digestOf('A') } });
  });

  it('turns .wh. files into whiteouts and .wh..wh..opq into opaque directories', async () => {
    const ops = await parse([
      dir('data'),
      file('data/.wh.gone', ''),
      dir('data/o'),
      file('data/o/.wh..wh..opq', ''),
      file('data/o/new', 'n'),
      file('.wh.database', ''),
    ]);
    expect(brief(ops)).toEqual(['dir ', 'whiteout gone', 'dir o', 'opaque o', 'file o/new']);
  });

  it('maps a whiteout or opaque directory above the mount path to a whiteout of the path itself', async () => {
    expect(brief(await parse([file('.wh.data', '')]))).toEqual(['whiteout ']);
    expect(brief(await parse([dir('a'), file('a/.wh..wh..opq', ''), dir('a/data'), file('a/data/f', 'f')], '/a/data'))).toEqual([
      'whiteout ',
      'dir ',
      'file f',
    ]);
    expect(brief(await parse([file('.wh.a', '')], '/a/data'))).toEqual(['whiteout ']);
  });

  it('gives up when a directory above the mount path becomes a symlink', async () => {
    await expect(parse([{ name: 'a', type: 'symlink', linkname: '/elsewhere' }], '/a/data')).rejects.toBeInstanceOf(FastPathUnavailable);
  });

  it('resolves hard links to files inside and outside the mount path', async () => {
    const ops = await parse([
      dir('data'),
      file('data/f', 'same'),
      file('other', 'out'),
      { name: 'data/l1', type: 'link', linkname: 'data/f' },
      { name: 'data/l2', type: 'link', linkname: 'other' },
    ]);
    expect(ops.slice(2)).toMatchObject([
      { op: 'link', name: 'l1', to: 'f', digest: digestOf('same'), size: 4 },
      { op: 'link', name: 'l2', to: '/other', digest: digestOf('out'), size: 3 },
    ]);
  });

  it('skips the paths the container init layer owns', async () => {
    expect(brief(await parse([dir('etc'), file('etc/hosts', 'h'), file('etc/passwd', 'p'), file('.dockerenv', '')], '/'))).toEqual([
      'dir etc',
      'file etc/passwd',
    ]);
  });
});

describe('applyLayers', () => {
  const layers = async (...ls: Member[][]): Promise<LayerOp[][]> => Promise.all(ls.map((l) => parse(l)));
  const view = (ov: ReturnType<typeof applyLayers>) => ({
    state: [...ov.state.keys()].sort(),
    removed: [...ov.removed].sort(),
    hidden: [...ov.hidden].sort(),
  });

  it('applies whiteouts to lower layers only, before the layer’s own entries', async () => {
    const ov = applyLayers(
      await layers(
        [dir('data'), file('data/a', '1'), dir('data/d'), file('data/d/x', 'x'), file('data/t', 't')],
        [dir('data'), file('data/.wh.a', ''), file('data/a', '2'), file('data/.wh.d', ''), file('data/.wh.t', ''), file('data/.wh.never', '')],
      ),
      false,
    );
    expect(view(ov)).toEqual({ state: ['', 'a'], removed: ['d', 'never', 't'], hidden: ['a', 'd', 'never', 't'] });
    expect(ov.state.get('a')?.digest).toBe(digestOf('2'));
  });

  it('empties an opaque directory of lower content but keeps the layer’s own', async () => {
    const ov = applyLayers(
      await layers(
        [dir('data'), dir('data/o'), file('data/o/old', 'o'), dir('data/o/sub'), file('data/o/sub/x', 'x')],
        [dir('data'), dir('data/o'), file('data/o/.wh..wh..opq', ''), file('data/o/new', 'n')],
      ),
      false,
    );
    expect(view(ov)).toEqual({ state: ['', 'o', 'o/new'], removed: [], hidden: ['o', 'o/new'] });
  });

  it('replaces a directory by a file, and a whiteout then a re-add keeps A’s subtree hidden', async () => {
    const ov = applyLayers(
      await layers(
        [dir('data'), dir('data/x'), file('data/x/in', 'i'), dir('data/y')],
        [dir('data'), file('data/x', 'now a file'), file('data/.wh.y', '')],
        [dir('data'), dir('data/y'), file('data/y/back', 'b')],
      ),
      false,
    );
    expect(view(ov)).toEqual({ state: ['', 'x', 'y', 'y/back'], removed: [], hidden: ['x', 'y', 'y/back'] });
  });

  it('groups hard links per layer, and a later copy of one member leaves the group', async () => {
    const ov = applyLayers(
      await layers(
        [dir('data'), file('data/f', 'v1'), { name: 'data/g', type: 'link', linkname: 'data/f' }, { name: 'data/h', type: 'link', linkname: 'data/f' }],
        [dir('data'), file('data/h', 'v2')],
      ),
      false,
    );
    const group = (n: string): string | undefined => ov.state.get(n)?.group;
    expect(group('f')).toBe(group('g'));
    expect(group('h')).not.toBe(group('f'));
    expect(ov.state.get('g')).toMatchObject({ type: 'file', digest: digestOf('v1'), size: 2 });
  });

  it('gives up on a member whose parent directory is not in the layer', async () => {
    expect(() => applyLayers([[{ op: 'entry', meta: { name: 'a/b', type: 'file', mode: 0o644, size: 0, digest: '' } }]], true)).toThrow(FastPathUnavailable);
    expect(() => applyLayers([[{ op: 'whiteout', name: 'x' }]], false)).toThrow(FastPathUnavailable);
    expect(() => applyLayers([[{ op: 'whiteout', name: 'x' }]], true)).not.toThrow();
  });
});

describe('predictV1Ids', () => {
  it('matches the layer directories of a real Engine 20.10 `docker save`', () => {
    const diffIds = [
      'b19ef34c4e66bec7f0e682c6540ba65ab9f9dd9216c85c4353f45d6c928a39ca',
      '35a236ccb724d40210ce00cd827c178b32d3bbea2f3b90709a108bd93a7d9396',
      'ab1990545f04ead89d1b99ff1f3c10bb3b11146d27d70cf8dee11a9bf9cc7c00',
      'ee7bd2337d6f84e60d41156de0d8f33fd0c00c7983c1902a1adb20ba4ab979ce',
    ];
    expect(predictV1Ids(diffIds.map((d) => `sha256:${d}`))).toEqual([
      '4bc55dcd7d4d76b53f9984f5e9fc70521299e56f1626d2db8bba5bdd56353da0',
      '2382dc21ccaf5de3c66ce7d662fef5a7a9996b5462e6f529a00736b1496a3e0d',
      '75510eeacadb0c139aee2b8925be0b03cac12a7b3ad3e488f15beb5354743771',
    ]);
  });
});

describe('readExtraLayers', () => {
  /** A save of layers 0..n-1 in lexical order of their dirs, manifest last; the top layer under an unpredictable dir. */
  async function save(layerTars: Buffer[]): Promise<{ engine: Engine; diffIds: string[]; size: number }> {
    const diffIds = layerTars.map((t) => digestOf(t));
    const dirs = [...predictV1Ids(diffIds), 'f'.repeat(64)];
    const members = layerTars.map((t, i) => ({ dir: dirs[i] ?? '', t })).sort((x, y) => x.dir.localeCompare(y.dir));
    const bytes = await tarOf([
      ...members.flatMap(({ dir: d, t }) => [dir(d), file(`${d}/VERSION`, '1.0'), file(`${d}/json`, '{}'), { name: `${d}/layer.tar`, body: t }]),
      file('manifest.json', JSON.stringify([{ Layers: dirs.map((d) => `${d}/layer.tar`) }])),
    ]);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 512) }, (_, i) => bytes.subarray(i * 512, (i + 1) * 512));
    const engine = { exportImage: async () => Readable.from(chunks) } as unknown as Engine;
    return { engine, diffIds, size: bytes.length };
  }
  const layerTars = (n: number): Promise<Buffer[]> =>
    Promise.all(Array.from({ length: n }, (_, i) => tarOf([dir('data'), file(`data/f${i}`, `${i}`.repeat(5000))])));

  it('parses only the extra layers, in any order, and keeps their ops by diff ID', async () => {
    const { engine, diffIds } = await save(await layerTars(6));
    const stats = newStats();
    const found = await readExtraLayers(engine, 'b', diffIds, 4, '/data', new AbortController().signal, stats);
    expect([...found.keys()].sort()).toEqual(diffIds.slice(4).sort());
    expect(brief(found.get(diffIds[5] ?? '') ?? [])).toEqual(['dir ', 'file f5']);
    expect(stats.layersParsed).toBe(2);
    expect(stats.layersParsed + stats.layersSkipped).toBeLessThanOrEqual(6);
  });

  it('stops reading the export once every extra layer is found', async () => {
    const tars = await layerTars(6);
    const { engine, diffIds, size } = await save(tars);
    const stats = newStats();
    const dirs = predictV1Ids(diffIds);
    // the extra layer whose dir sorts first among all: nothing after it is needed
    const first = [...dirs.keys()].sort((x, y) => (dirs[x] ?? '').localeCompare(dirs[y] ?? ''))[0] ?? 0;
    await readExtraLayers(engine, 'b', [...diffIds.filter((_, i) => i !== first), diffIds[first] ?? ''], 5, '/data', new AbortController().signal, stats);
    expect(stats.layersParsed).toBe(1);
    expect(stats.layersSkipped).toBe(0);
    expect(stats.bytesRead).toBeLessThan(size / 2);
  });

  it('is unavailable when an extra layer is not in the export', async () => {
    const { engine, diffIds } = await save(await layerTars(3));
    const p = readExtraLayers(engine, 'b', [...diffIds, digestOf('missing')], 3, '/data', new AbortController().signal, newStats());
    await expect(p).rejects.toBeInstanceOf(FastPathUnavailable);
  });
});
