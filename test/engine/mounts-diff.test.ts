/**
 * diffEntries against the real daemon, on image pairs built here with the classic builder:
 * the exact entries and deletions of A..B from the fast path AND the fallback (forced on the
 * same pair, and natural on a pair that does not share layers), with content read both per
 * file and from one archive; unchanged path → nothing; path missing in A → all of B's; '/'.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import { diffEntries, withTuning, type DiffTuning } from '../../src/mounts/diff.js';
import { newStats } from '../../src/mounts/diff-tar.js';

const RUN = `r${randomUUID().slice(0, 8)}`;
const LABEL = 'mbuild-test-diff';
const engine = createEngine();
const tags: string[] = [];

async function build(name: string, from: string, ...runs: string[]): Promise<string> {
  const p = pack();
  p.entry({ name: 'Dockerfile' }, `FROM ${from}\nLABEL ${LABEL}=${RUN}\n${runs.map((r) => `RUN ${r}\n`).join('')}`);
  p.finalize();
  const outcome = await engine.build(
    {
      context: Readable.from(p),
      dockerfile: 'Dockerfile',
      builder: 'classic',
      buildId: `mbuild-test-${randomUUID()}`,
      buildArgs: {},
      labels: {},
      network: 'none',
      pull: false,
      noCache: false,
    },
    { signal: new AbortController().signal, onEvent: () => {} },
  );
  if (outcome.kind !== 'succeeded') throw new Error(`test image did not build: ${JSON.stringify(outcome)}`);
  const tag = `mbuild-test-diff-${name}:${RUN}`;
  await engine.tagImage(outcome.imageId, tag);
  tags.push(tag);
  return tag;
}

const A_RUN = [
  'mkdir -p /data/keep /data/modeonly /data/opq/sub /data/links /data/gonedir /data/rev',
  'echo same > /data/keep/same.txt && echo old > /data/changed.txt && echo m > /data/modeonly/f && echo t > /data/touched.txt',
  'ln -s target-a /data/link && echo gone > /data/deleted.txt && echo x > /data/gonedir/x && echo r > /data/rev/r',
  'echo o1 > /data/opq/old1 && echo o2 > /data/opq/sub/old2 && echo same > /data/opq/kept-same && echo shared > /data/links/orig',
].join(' && ');
const B_RUNS = [
  // layer 1: things B keeps, plus a file it removes again and one it changes back
  'echo new > /data/new.txt && echo tmp > /data/tmp.txt && echo changed-then-back > /data/rev/r && echo 1 > /data/twice.txt',
  // layer 2: the rest
  [
    'rm /data/tmp.txt && echo r > /data/rev/r && echo 2 > /data/twice.txt && echo new2 > /data/changed.txt && chmod 755 /data/modeonly/f',
    'ln -sfn target-b /data/link && rm /data/deleted.txt && rm -rf /data/gonedir && touch /data/touched.txt',
    'rm -rf /data/opq && mkdir /data/opq && echo fresh > /data/opq/fresh && echo same > /data/opq/kept-same',
    'mkdir -p /data/n1/n2/n3 && echo deep > /data/n1/n2/n3/deep.txt && echo pair > /data/hl-a && ln /data/hl-a /data/n1/hl-b',
    'ln /data/links/orig /data/links/second && mkfifo /data/fifo && chmod 4750 /data/new.txt',
  ].join(' && '),
];

let A = '';
let A2 = ''; // same /data as A, other layers
let B = '';
let C = ''; // B + a change outside /data
beforeAll(async () => {
  A = await build('a', 'busybox', A_RUN);
  A2 = await build('a2', 'busybox', 'echo other-base > /other-base', A_RUN);
  B = await build('b', A, ...B_RUNS);
  C = await build('c', B, 'echo elsewhere > /elsewhere');
});

afterAll(async () => {
  for (const t of tags.reverse()) await engine.removeImage(t, { force: true }).catch(() => undefined);
  expect(await engine.listImages({ labels: [`${LABEL}=${RUN}`] })).toEqual([]);
});

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
interface Seen {
  name: string;
  type: string;
  mode: string;
  link?: string;
  kind?: string;
  sha?: string;
}

async function diff(base: string, head: string, path: string, tuning: DiffTuning = {}) {
  const stats = newStats();
  const labels = { [LABEL]: RUN, 'mbuild-test-diff-call': randomUUID() };
  const r = diffEntries(base, head, path, withTuning({ engine, signal: new AbortController().signal, labels }, { ...tuning, stats }));
  const entries: Seen[] = [];
  const mtimes: (number | undefined)[] = [];
  for await (const e of r.entries) {
    mtimes.push(e.mtime?.getTime());
    const s: Seen = { name: e.name, type: e.type, mode: e.mode.toString(8) };
    if (e.linkTarget !== undefined) s.link = e.linkTarget;
    if (e.kind !== undefined) s.kind = e.kind;
    if (e.content) {
      const h = createHash('sha256');
      let n = 0;
      for await (const c of e.content) {
        h.update(c);
        n += c.length;
      }
      expect(n).toBe(e.size);
      s.sha = h.digest('hex');
    }
    entries.push(s);
  }
  // Removal is awaited before the iteration ends: nothing to wait for.
  expect(await engine.listContainers({ labels: [`mbuild-test-diff-call=${labels['mbuild-test-diff-call']}`] })).toEqual([]);
  return { entries, mtimes, deletions: await r.deletions, fast: await r.fastPath, stats };
}

const EXPECTED: Seen[] = [
  { name: 'changed.txt', type: 'file', mode: '644', sha: sha('new2\n') },
  { name: 'fifo', type: 'other', mode: '644', kind: 'fifo' },
  { name: 'hl-a', type: 'file', mode: '644', sha: sha('pair\n') },
  { name: 'link', type: 'symlink', mode: '777', link: 'target-b' },
  { name: 'links', type: 'dir', mode: '755' },
  { name: 'links/second', type: 'file', mode: '644', sha: sha('shared\n') },
  { name: 'modeonly', type: 'dir', mode: '755' },
  { name: 'modeonly/f', type: 'file', mode: '755', sha: sha('m\n') },
  { name: 'n1', type: 'dir', mode: '755' },
  { name: 'n1/hl-b', type: 'hardlink', mode: '644', link: 'hl-a' },
  { name: 'n1/n2', type: 'dir', mode: '755' },
  { name: 'n1/n2/n3', type: 'dir', mode: '755' },
  { name: 'n1/n2/n3/deep.txt', type: 'file', mode: '644', sha: sha('deep\n') },
  { name: 'new.txt', type: 'file', mode: '4750', sha: sha('new\n') },
  { name: 'opq', type: 'dir', mode: '755' },
  { name: 'opq/fresh', type: 'file', mode: '644', sha: sha('fresh\n') },
  { name: 'twice.txt', type: 'file', mode: '644', sha: sha('2\n') },
];
const EXPECTED_DELETIONS = ['deleted.txt', 'gonedir', 'opq/old1', 'opq/sub'];

describe('diffEntries A..B below /data', () => {
  it('fast path: reads only the extra layers and emits exactly the changes', async () => {
    const r = await diff(A, B, '/data');
    expect(r.fast).toBe(true);
    expect(r.entries).toEqual(EXPECTED);
    expect(r.deletions).toEqual(EXPECTED_DELETIONS);
    // B's two extra layers are the only ones parsed. How many of A's are drained before the
    // last extra one arrives depends on the save's order (by layer ID), so it is not asserted.
    expect(r.stats.layersParsed).toBe(2);
  });

  it('fallback forced on the same pair gives the same result', async () => {
    const r = await diff(A, B, '/data', { mode: 'fallback' });
    expect(r.fast).toBe(false);
    expect(r.entries).toEqual(EXPECTED);
    expect(r.deletions).toEqual(EXPECTED_DELETIONS);
    expect(r.stats.layersParsed).toBe(0);
    // the layers and the container agree on mtimes too (not part of "changed")
    const fast = await diff(A, B, '/data');
    expect(fast.mtimes).toEqual(r.mtimes);
    expect(r.mtimes.every((t) => t !== undefined)).toBe(true);
  });

  it('gives the same result with content read per file and A queried per touched name', async () => {
    for (const mode of ['auto', 'fallback'] as const) {
      const r = await diff(A, B, '/data', { mode, maxFileFetches: 1000, maxQueries: 1000 });
      expect([r.fast, r.entries, r.deletions]).toEqual([mode === 'auto', EXPECTED, EXPECTED_DELETIONS]);
      // fallback: A's and B's /data, then one archive per file (8); fast: the export, 8 files, and A per name
      if (mode === 'fallback') expect(r.stats.requests).toBe(2 + 8);
      else expect(r.stats.requests).toBeGreaterThan(1 + 8 + 10);
    }
  });

  it('falls back on a pair that shares no layers beyond busybox, with the same result', async () => {
    const r = await diff(A2, B, '/data');
    expect(r.fast).toBe(false);
    expect(r.entries).toEqual(EXPECTED);
    expect(r.deletions).toEqual(EXPECTED_DELETIONS);
  });

  it('accepts image IDs and a trailing slash', async () => {
    const [a, b] = await Promise.all([engine.inspectImage(A), engine.inspectImage(B)]);
    const r = await diff(a!.id, b!.id, '/data/');
    expect([r.fast, r.entries, r.deletions]).toEqual([true, EXPECTED, EXPECTED_DELETIONS]);
  });
});

describe('diffEntries, other pairs and paths', () => {
  it('is empty when B changes nothing below the path', async () => {
    for (const mode of ['auto', 'fallback'] as const) {
      const r = await diff(B, C, '/data', { mode });
      expect([r.fast, r.entries, r.deletions]).toEqual([mode === 'auto', [], []]);
    }
    const same = await diff(B, B, '/data');
    expect([same.fast, same.entries, same.deletions, same.stats.requests]).toEqual([true, [], [], 0]);
  });

  it('emits all of B below a path that A lacks, both ways', async () => {
    const fast = await diff('busybox', B, '/data');
    const slow = await diff('busybox', B, '/data', { mode: 'fallback' });
    expect(fast.fast).toBe(true);
    expect(fast.entries).toEqual(slow.entries);
    expect(fast.deletions).toEqual([]);
    expect(slow.deletions).toEqual([]);
    const names = fast.entries.map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['keep', 'keep/same.txt', 'opq/kept-same', 'touched.txt', 'links/orig', 'rev/r']));
    expect(names).not.toContain('');
    expect(fast.entries.find((e) => e.name === 'links/second')).toEqual({ name: 'links/second', type: 'hardlink', mode: '644', link: 'links/orig' });
  });

  it('is the same both ways for the whole filesystem', async () => {
    const fast = await diff(A, B, '/');
    const slow = await diff(A, B, '/', { mode: 'fallback' });
    expect(fast.fast).toBe(true);
    expect(fast.entries).toEqual(slow.entries);
    expect(fast.deletions).toEqual(slow.deletions);
    expect(fast.entries).toEqual([
      { name: 'data', type: 'dir', mode: '755' },
      ...EXPECTED.map((e) => ({ ...e, name: `data/${e.name}`, ...(e.type === 'hardlink' && { link: `data/${e.link!}` }) })),
    ]);
    expect(fast.deletions).toEqual(EXPECTED_DELETIONS.map((d) => `data/${d}`));
  });

  it('is the same both ways below a deeper path, and for a path in neither image', async () => {
    for (const path of ['/data/n1', '/data/opq', '/nowhere/at/all']) {
      const fast = await diff(A, B, path);
      const slow = await diff(A, B, path, { mode: 'fallback' });
      expect([fast.fast, fast.entries, fast.deletions]).toEqual([true, slow.entries, slow.deletions]);
    }
    expect((await diff(A, B, '/data/opq')).deletions).toEqual(['old1', 'sub']);
  });
});
