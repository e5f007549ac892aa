import { chmodSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/load.js';
import { changedFiles, explainChange } from '../../src/cache/explain.js';
import { cacheKey, collectInputs, type ImageInputs } from '../../src/cache/inputs.js';
import { StatCache, TIMESTAMP_GRANULARITY_MS } from '../../src/cache/stat-cache.js';
import { prefetch } from '../../src/cache/prefetch.js';
import { ImageIndex, PREFETCH_LIMIT } from '../../src/cache/image-index.js';
import { IMAGE_LABEL, KEY_LABEL, PROJECT_LABEL } from '../../src/core/labels.js';
import { PENDING } from '../../src/cache/inputs.js';
import { recordedImages, writeManifest } from '../../src/cache/manifest.js';
import { predict } from '../../src/cache/predict.js';
import { readDockerfiles } from '../../src/dockerfile/images.js';
import { createPlan } from '../../src/plan/plan.js';
import type { BuildFile } from '../../src/config/types.js';
import { testdir } from '../helpers/testdir.js';
import { statSync, type Stats } from 'node:fs';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

function project(extra: Record<string, string> = {}) {
  const t = testdir({
    'mbuild.yaml': 'version: 1\nname: p\nimages:\n  app:\n    context: app\n    args: {V: "1"}\n',
    'app/Dockerfile': 'FROM busybox\n# a comment\nCOPY . /x\n',
    'app/.dockerignore': 'ignored.txt\n',
    'app/src/main.txt': 'hello\n',
    'app/ignored.txt': 'not sent\n',
    ...extra,
  });
  cleanups.push(t.cleanup);
  return t.dir;
}

const noEngine = {
  inspectImage: async () => ({ id: 'sha256:busybox', repoTags: [], labels: {}, size: 0, created: '', layers: [], hasCmd: true, onBuild: [], env: [] }),
};

async function inputsOf(dir: string, cache?: StatCache): Promise<ImageInputs> {
  const model = await buildModel({ cwd: dir, env: {} });
  if (!model.ok) throw new Error('bad model');
  const file = model.value.file;
  const statCache = cache ?? (await StatCache.load(join(dir, '.mbuild', 'stat-cache.json'))).cache;
  const r = await collectInputs({ file, image: file.images.get('app')!, builder: 'buildkit', upstream: new Map(), engine: noEngine, statCache });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('cache key inputs', () => {
  it('hash content, type and mode of what is sent, not mtime, and not ignored files', async () => {
    const dir = project();
    const a = await inputsOf(dir);
    expect(a.files.map((f) => f[0])).toEqual(['.dockerignore', 'Dockerfile', 'src', 'src/main.txt']);
    expect(a.bases).toEqual({ busybox: 'sha256:busybox' });
    utimesSync(join(dir, 'app/src/main.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(cacheKey(await inputsOf(dir))).toBe(cacheKey(a));
    writeFileSync(join(dir, 'app/ignored.txt'), 'changed');
    expect(cacheKey(await inputsOf(dir))).toBe(cacheKey(a));
    chmodSync(join(dir, 'app/src/main.txt'), 0o755);
    const modeChanged = await inputsOf(dir);
    expect(cacheKey(modeChanged)).not.toBe(cacheKey(a));
    expect(explainChange(a, modeChanged)).toEqual(['context changed: src/main.txt']);
  });

  it('explains Dockerfile, arg, upstream and file changes', () => {
    const base: ImageInputs = {
      version: 'mbuild-key-2',
      builder: 'buildkit',
      dockerfile: 'FROM x\nRUN a\n',
      dockerfileInTar: 'Dockerfile',
      ignore: null,
      target: null,
      platform: null,
      network: null,
      pull: false,
      labels: {},
      args: { V: '1.2' },
      bases: {},
      reads: null,
      whole: null,
      upstream: { base: 'sha256:1' },
      mounts: {},
      files: [
        ['a', 'file', 0o644, 'h1'],
        ['b', 'file', 0o644, 'h2'],
        ['c', 'file', 0o644, 'h3'],
      ],
    };
    const now: ImageInputs = {
      ...base,
      dockerfile: 'FROM x\nRUN b\n',
      args: { V: '1.3' },
      upstream: { base: 'sha256:2' },
      files: [
        ['a', 'file', 0o644, 'h1'],
        ['b', 'file', 0o644, 'hX'],
        ['d', 'file', 0o644, 'h4'],
      ],
    };
    expect(explainChange(base, now)).toEqual(['context changed: b (+2 more)', 'Dockerfile changed at line 2', 'arg V 1.2 -> 1.3', 'upstream base rebuilt']);
    expect(changedFiles(base.files, now.files)).toEqual(['b', 'c', 'd']);
    expect(explainChange(base, base)).toEqual([]);
  });
});

describe('what is an input of the key, and how a change is told', () => {
  const inputs = (over: Partial<ImageInputs>): ImageInputs => ({
    version: 'mbuild-key-2',
    builder: 'buildkit',
    dockerfile: 'FROM shop/base:dev\n',
    dockerfileInTar: 'Dockerfile',
    ignore: null,
    target: null,
    platform: null,
    network: null,
    pull: false,
    labels: {},
    args: {},
    bases: {},
    upstream: {},
    mounts: {},
    reads: null,
    whole: null,
    files: [],
    ...over,
  });

  it('an upstream the plan no longer has is never said to be rebuilt (a FROM tag no in-file image carries now)', () => {
    const before = inputs({ upstream: { base: 'sha256:1' } });
    const now = inputs({ bases: { 'shop/base:dev': 'sha256:1' } });
    expect(explainChange(before, now)).toEqual(['no longer built from in-file image base', 'new base image shop/base:dev']);
    // The key of an older mbuild held depends_on upstreams: say what changed, not "rebuilt".
    expect(explainChange(inputs({ upstream: { x: 'sha256:1' } }), inputs({}), ['x'])).toEqual(['depends_on x is order only: no longer part of the key']);
  });

  it('a prediction names an upstream that will be rebuilt, and a mount of it', () => {
    const before = inputs({ upstream: { mid: 'sha256:1' }, mounts: { 'mid /srv to': 'sha256:1' }, files: [['hello.txt', 'file', 0o644, 'h1']] });
    const now = inputs({ upstream: { mid: PENDING }, mounts: { 'mid /srv to': PENDING }, files: [['hello.txt', 'file', 0o644, 'h2']] });
    expect(explainChange(before, now)).toEqual(['context changed: hello.txt', 'upstream mid will be rebuilt', 'mounted image will change: mid:/srv']);
  });

  const graph = {
    'mbuild.yaml':
      'version: 1\nname: p\nimages:\n  x: {context: x, tags: ["p/x:t"]}\n  y: {context: y, depends_on: [x]}\n' +
      '  mid: {context: mid, tags: ["p/mid:t"]}\n  top: {context: top}\n  arg: {context: y, args: {X: {image: x}}}\n',
    'x/Dockerfile': 'FROM busybox\nCOPY . /x\n',
    'x/x.txt': 'x1\n',
    'y/Dockerfile': 'FROM busybox\nCOPY . /y\n',
    'mid/Dockerfile': 'FROM busybox\nCOPY . /mid\n',
    'mid/mid.txt': 'mid1\n',
    'top/Dockerfile': 'FROM p/mid:t\nCOPY . /top\n',
    'top/hello.txt': 'hello\n',
  };

  async function load(dir: string) {
    const model = await buildModel({ cwd: dir, env: {} });
    if (!model.ok) throw new Error('bad model');
    const { dockerfiles } = await readDockerfiles(model.value.file);
    const plan = createPlan(model.value.file, new Map([...dockerfiles].map(([n, df]) => [n, df.refs])), []);
    if (!plan.ok) throw new Error('bad plan');
    return { file: model.value.file, plan: plan.value };
  }

  /** What `up` records: each image built as `sha256:<name>`, labelled with its key. */
  async function built(file: BuildFile, names: readonly string[], statCache: StatCache) {
    const labels = new Map<string, Record<string, string>>();
    for (const name of names) {
      const upstream = new Map(names.map((n) => [n, `sha256:${n}`]));
      const r = await collectInputs({ file, image: file.images.get(name)!, builder: 'buildkit', upstream, engine: noEngine, statCache });
      if (!r.ok) throw new Error('unreadable');
      const key = cacheKey(r.value);
      await writeManifest(file.root, { image: name, key, imageId: `sha256:${name}`, inputs: r.value });
      labels.set(`sha256:${name}`, { [KEY_LABEL]: key, [PROJECT_LABEL]: 'p', [IMAGE_LABEL]: name });
    }
    return {
      inspectImage: async (ref: string) => ({ ...(await noEngine.inspectImage()), ...(labels.has(ref) && { id: ref, labels: labels.get(ref)! }) }),
      listImages: async () => [],
    };
  }

  it('depends_on orders only: the upstream is no input of the key, an {image:} arg or a FROM is', async () => {
    const dir = project(graph);
    const { file } = await load(dir);
    const statCache = (await StatCache.load(join(dir, '.mbuild', 'stat-cache.json'))).cache;
    const keyOf = async (name: string, upstream: Record<string, string>) => {
      const r = await collectInputs({
        file,
        image: file.images.get(name)!,
        builder: 'buildkit',
        upstream: new Map(Object.entries(upstream)),
        engine: noEngine,
        statCache,
      });
      if (!r.ok) throw new Error('unreadable');
      return r.value;
    };
    expect((await keyOf('y', { x: 'sha256:1' })).upstream).toEqual({});
    expect(cacheKey(await keyOf('y', { x: 'sha256:1' }))).toBe(cacheKey(await keyOf('y', { x: 'sha256:2' })));
    expect((await keyOf('arg', { x: 'sha256:1' })).upstream).toEqual({ x: 'sha256:1' });
    expect((await keyOf('top', { mid: 'sha256:1' })).upstream).toEqual({ mid: 'sha256:1' });
  });

  it('plan: a depends_on upstream to be rebuilt makes nothing stale; a stale upstream hides no own change', async () => {
    const dir = project(graph);
    const { file, plan } = await load(dir);
    const statCache = (await StatCache.load(join(dir, '.mbuild', 'stat-cache.json'))).cache;
    const engine = await built(file, ['x', 'y', 'mid', 'top', 'arg'], statCache);
    writeFileSync(join(dir, 'x/x.txt'), 'x2\n');
    writeFileSync(join(dir, 'mid/mid.txt'), 'mid2\n');
    writeFileSync(join(dir, 'top/hello.txt'), 'hello again\n');
    const predicted = await predict({ file, plan, engine, builder: 'buildkit', statCache, noCache: false });
    const said = Object.fromEntries(predicted.map((p) => [p.image, p.fresh ? 'fresh' : p.reasons.join('; ')]));
    expect(said).toEqual({
      x: 'context changed: x.txt',
      y: 'fresh',
      arg: 'upstream x will be rebuilt',
      mid: 'context changed: mid.txt',
      top: 'context changed: hello.txt; upstream mid will be rebuilt',
    });
  });

  it("the images this checkout's state recorded, with their keys", async () => {
    const dir = project({
      '.mbuild/state/app.json.key': 'v1-new sha256:aaa\nv1-old sha256:bbb\n',
      '.mbuild/state/gone.json.key': 'v1-gone sha256:ccc\nv1-nothing\n',
      '.mbuild/state/web.json': '{corrupt',
    });
    expect(await recordedImages(dir)).toEqual(
      new Map([
        ['sha256:aaa', new Set(['v1-new'])],
        ['sha256:bbb', new Set(['v1-old'])],
        ['sha256:ccc', new Set(['v1-gone'])],
      ]),
    );
    expect(await recordedImages(project())).toEqual(new Map());
  });
});

describe('StatCache', () => {
  it('reuses a hash only while size, mtime, inode and ctime all match, and never stores racy entries', async () => {
    const dir = project();
    const path = join(dir, 'cache.json');
    const file = join(dir, 'app/src/main.txt');
    const { cache } = await StatCache.load(path);
    const old = new Date(Date.now() - 10 * TIMESTAMP_GRANULARITY_MS);
    utimesSync(file, old, old);
    cache.set(file, statSync(file), 'h-old');
    const racy = join(dir, 'app/Dockerfile');
    cache.set(racy, statSync(racy), 'h-racy');
    expect(cache.get(file, statSync(file))).toBe('h-old');
    await cache.save();
    const again = (await StatCache.load(path)).cache;
    // The file's ctime is recent (utimes sets it), so it is racy too: nothing trusted yet.
    expect(again.get(racy, statSync(racy))).toBeUndefined();
    writeFileSync(file, 'hellp\n');
    expect(cache.get(file, statSync(file))).toBeUndefined();
  });

  it('ignores a corrupt or foreign cache file with a warning', async () => {
    const dir = project();
    const path = join(dir, 'cache.json');
    writeFileSync(path, '{"format":"something-else"}');
    const loaded = await StatCache.load(path);
    expect(loaded.warning).toMatch(/^ignoring the stat cache .*cache\.json: not an mbuild stat cache; files will be hashed again$/);
    writeFileSync(path, '{not json');
    expect((await StatCache.load(path)).warning).toMatch(/ignoring the stat cache/);
    const a = await inputsOf(dir, loaded.cache);
    expect(a.files.find((f) => f[0] === 'src/main.txt')![3]).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    expect(readFileSync(path, 'utf8')).toBe('{not json');
  });

  /** The stat fields the cache compares, of a file written long before now. */
  const LONG_AGO = Date.now() - 100 * TIMESTAMP_GRANULARITY_MS + 0.25;
  const st = (size: number, ino: number, t = LONG_AGO): Stats => Object.assign(statSync('/'), { size, mtimeMs: t, ino, ctimeMs: t });

  it('round-trips files and symlinks through its binary file, looked up in any order', async () => {
    const path = join(project(), 'cache.bin');
    const { cache } = await StatCache.load(path);
    const rows = Array.from({ length: 50 }, (_, i) => [`/c/d${i % 3}/f${String(i).padStart(2, '0')}é`, st(i, 1000 + i)] as const);
    for (const [abs, s] of rows) cache.set(abs, s, `h${abs}`);
    cache.setLink('/c/d0/link', st(7, 7), 'target/😀');
    await cache.save();
    expect(readFileSync(path).subarray(0, 8).toString('latin1')).toBe('MBSTAT3\n');
    const again = (await StatCache.load(path)).cache;
    // Reversed: every lookup misses the walk-order cursor.
    for (const [abs, s] of [...rows].reverse()) expect(again.get(abs, s)).toBe(`h${abs}`);
    for (const [abs, s] of rows) expect(again.get(abs, s)).toBe(`h${abs}`);
    expect(again.getLink('/c/d0/link', st(7, 7))).toBe('target/😀');
    expect(again.get('/c/d0/link', st(7, 7))).toBeUndefined();
    expect(again.getLink(...rows[0]!)).toBeUndefined();
    // Any stat field that differs: not trusted.
    const [abs, s] = rows[4]!;
    for (const other of [{ size: 99 }, { mtimeMs: s.mtimeMs + 1 }, { ino: 1 }, { ctimeMs: s.ctimeMs + 0.5 }])
      expect(again.get(abs, Object.assign(st(s.size, s.ino), other))).toBeUndefined();
    expect(again.get('/c/d0/missing', s)).toBeUndefined();
    expect(again.get('/elsewhere/f', s)).toBeUndefined();
  });

  it('a changed row is saved with the rows of its folder it did not change; racy ones are left out', async () => {
    const path = join(project(), 'cache.bin');
    const first = (await StatCache.load(path)).cache;
    for (const n of ['a', 'b', 'c']) first.set(`/c/${n}`, st(1, n.charCodeAt(0)), `old-${n}`);
    first.set('/other/x', st(1, 1), 'x');
    first.setListing('/other', st(1, 3), { names: ['x'], isDir: Uint8Array.from([0]) });
    await first.save();
    const second = (await StatCache.load(path)).cache;
    expect(second.get('/c/a', st(1, 97))).toBe('old-a');
    second.set('/c/b', st(2, 98), 'new-b');
    second.set('/c/aa', st(1, 5), 'new-aa'); // appended: saved in order
    const now = Date.now();
    second.set('/c/now', st(1, 6, now), 'racy');
    await second.save(now);
    const third = (await StatCache.load(path)).cache;
    expect(['a', 'aa', 'b', 'c'].map((n) => third.get(`/c/${n}`, st(n === 'b' ? 2 : 1, n === 'aa' ? 5 : n.charCodeAt(0))))).toEqual([
      'old-a',
      'new-aa',
      'new-b',
      'old-c',
    ]);
    expect(third.get('/c/now', st(1, 6, now))).toBeUndefined();
    // Never looked up by the second load: saved as read.
    expect(third.get('/other/x', st(1, 1))).toBe('x');
    expect(third.getListing('/other', st(1, 3))).toEqual({ names: ['x'], isDir: Uint8Array.from([0]) });
  });

  it('is not written again when no row changed', async () => {
    const path = join(project(), 'cache.bin');
    const first = (await StatCache.load(path)).cache;
    first.set('/c/a', st(1, 1), 'h');
    await first.save();
    const before = statSync(path);
    const second = (await StatCache.load(path)).cache;
    expect(second.get('/c/a', st(1, 1))).toBe('h');
    second.set('/c/a', st(1, 1), 'h'); // the same row again
    await second.save();
    const after = statSync(path);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('reads the JSON of format 2 and writes it back in the binary format', async () => {
    const path = join(project(), 'cache.json');
    const t = Date.now() - 100 * TIMESTAMP_GRANULARITY_MS;
    writeFileSync(path, JSON.stringify({ format: 'mbuild-stat-cache-2', written: t, dirs: { '/c': ['a', 1, t, 9, t, 'h-a', 'l', 2, t, 8, t, '@t'] } }));
    const loaded = await StatCache.load(path);
    expect(loaded.warning).toBeUndefined();
    expect(loaded.cache.get('/c/a', st(1, 9, t))).toBe('h-a');
    await loaded.cache.save();
    expect(readFileSync(path).subarray(0, 8).toString('latin1')).toBe('MBSTAT3\n');
    const again = (await StatCache.load(path)).cache;
    expect([again.get('/c/a', st(1, 9, t)), again.getLink('/c/l', st(2, 8, t))]).toEqual(['h-a', 't']);
  });

  it('keeps a folder listing while its lstat fields all match; a racy one is not kept', async () => {
    const path = join(project(), 'cache.bin');
    const first = (await StatCache.load(path)).cache;
    const listing = { names: ['a', 'dé', 'z'], isDir: Uint8Array.from([0, 1, 0]) };
    first.setListing('/c', st(3, 1), listing);
    const now = Date.now();
    first.setListing('/racy', st(3, 2, now), listing, now);
    expect(first.getListing('/racy', st(3, 2, now))).toBeUndefined();
    first.set('/c/a', st(1, 1), 'h');
    await first.save();
    const again = (await StatCache.load(path)).cache;
    expect(again.getListing('/c', st(3, 1))).toEqual(listing);
    for (const other of [{ size: 4 }, { mtimeMs: LONG_AGO + 1 }, { ino: 9 }, { ctimeMs: LONG_AGO + 1 }])
      expect(again.getListing('/c', Object.assign(st(3, 1), other))).toBeUndefined();
    expect(again.getListing('/elsewhere', st(3, 1))).toBeUndefined();
    expect(again.get('/c/a', st(1, 1))).toBe('h');
  });

  it('ignores a truncated binary file with a warning', async () => {
    const path = join(project(), 'cache.bin');
    const first = (await StatCache.load(path)).cache;
    first.set('/c/a', st(1, 1), 'h');
    await first.save();
    writeFileSync(path, readFileSync(path).subarray(0, -5));
    const loaded = await StatCache.load(path);
    expect(loaded.warning).toMatch(/^ignoring the stat cache .*cache\.bin: truncated; files will be hashed again$/);
    expect(loaded.cache.get('/c/a', st(1, 1))).toBeUndefined();
  });
});

describe('prefetch (the inspects a run starts while its build file loads)', () => {
  const info = (id: string) => ({ id, repoTags: [], labels: {}, size: 0, created: '', layers: [], hasCmd: true, onBuild: [], env: [] });
  const recorder = () => {
    const asked: string[] = [];
    return { asked, engine: { inspectImage: async (ref: string) => (asked.push(ref), info(ref)), listImages: async () => [] } };
  };

  it("inspects each image's recorded image once, hands each inspect out once, and loads the stat cache", async () => {
    const dir = project({
      '.mbuild/state/app.json.key': 'v1-new sha256:aaa\nv1-old sha256:bbb\n',
      '.mbuild/state/web.json.key': 'v1-web sha256:aaa\n', // the same image: one inspect
      '.mbuild/state/api.json.key': 'v1-api\n', // no image ID recorded: nothing to ask
    });
    const { asked, engine } = recorder();
    const images = new ImageIndex(engine, Promise.resolve());
    const p = prefetch(dir, images);
    expect(p.root).toBe(dir);
    const run = images.run('p', dir);
    expect((await run.inspect('sha256:aaa'))?.id).toBe('sha256:aaa');
    expect(asked).toEqual(['sha256:aaa']);
    // Each is handed out once; what was not started ahead is asked when needed.
    await run.inspect('sha256:aaa');
    await run.inspect('sha256:bbb');
    expect(asked).toEqual(['sha256:aaa', 'sha256:aaa', 'sha256:bbb']);
    expect((await p.statCache).cache).toBeInstanceOf(StatCache);
  });

  it('inspects nothing without state, or with more recorded images than a partial run may need', async () => {
    const none = recorder();
    await prefetch(project(), new ImageIndex(none.engine)).statCache;
    expect(none.asked).toEqual([]);
    const many: Record<string, string> = {};
    for (let i = 0; i <= PREFETCH_LIMIT; i++) many[`.mbuild/state/i${i}.json.key`] = `v1-${i} sha256:${i}\n`;
    const big = recorder();
    const dir = project(many);
    const images = new ImageIndex(big.engine);
    await prefetch(dir, images).statCache;
    await new Promise((r) => setImmediate(r));
    expect(big.asked).toEqual([]);
    await images.run('p', dir).inspect('sha256:0');
    expect(big.asked).toEqual(['sha256:0']);
  });

  it('asks nothing before the engine is connected, and nothing at all when it cannot be', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 10; i++) tree[`.mbuild/state/i${i}.json.key`] = `v1-${i} sha256:${i}\n`;
    const { asked, engine } = recorder();
    let fail!: (e: Error) => void;
    const connected = new Promise<void>((_, reject) => (fail = reject));
    const dir = project(tree);
    const images = new ImageIndex(engine, connected);
    await prefetch(dir, images).statCache;
    expect(asked).toEqual([]);
    fail(new Error('cannot connect to the Docker engine'));
    const run = images.run('p', dir);
    const all = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => run.inspect(`sha256:${i}`)));
    expect(all.map((r) => r.status)).toEqual(Array(10).fill('rejected'));
    expect(asked).toEqual([]);
  });

  it('keeps a few inspects in flight, not one per image', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 10; i++) tree[`.mbuild/state/i${i}.json.key`] = `v1-${i} sha256:${i}\n`;
    let inFlight = 0;
    let most = 0;
    const engine = {
      inspectImage: async (ref: string) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return info(ref);
      },
      listImages: async () => [],
    };
    const dir = project(tree);
    const images = new ImageIndex(engine);
    prefetch(dir, images);
    const run = images.run('p', dir);
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => run.inspect(`sha256:${i}`)));
    expect(all.map((x) => x?.id)).toEqual(Array.from({ length: 10 }, (_, i) => `sha256:${i}`));
    expect(most).toBe(4);
  });

  it('a key index uses a prefetched inspect instead of asking again, and still checks its labels', async () => {
    const dir = project({ '.mbuild/state/app.json.key': 'v1-k sha256:aaa\n' });
    const asked: string[] = [];
    const engine = {
      inspectImage: async (ref: string) => (asked.push(ref), { ...info(ref), labels: { [KEY_LABEL]: 'v1-k', [PROJECT_LABEL]: 'p', [IMAGE_LABEL]: 'app' } }),
      listImages: async () => [],
    };
    const images = new ImageIndex(engine);
    prefetch(dir, images);
    expect(await images.run('p', dir).find('app', 'v1-k')).toMatchObject({ imageId: 'sha256:aaa' });
    expect(asked).toEqual(['sha256:aaa']);
    // Another project's image with that key is not this one's.
    const foreign = new ImageIndex(engine);
    prefetch(dir, foreign);
    expect(await foreign.run('q', dir).find('app', 'v1-k')).toBeUndefined();
  });
});
