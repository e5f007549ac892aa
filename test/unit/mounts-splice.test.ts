/**
 * Mounts from archive to context tar (read.ts, check.ts, splice.ts, packContext) over an
 * in-memory Engine that serves hand-made archives, including ones no real image can
 * produce: where entries land, hard links in the context tar, collisions naming both
 * sources, readers stopped on error or when the consumer gives up, and the temporary
 * containers removed in every case.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { MountSpec } from '../../src/config/types.js';
import { CollisionError, packContext, type PackedContext } from '../../src/context/tar.js';
import type { ArchiveStat, Engine } from '../../src/docker/engine.js';
import { TransferError } from '../../src/mounts/errors.js';
import { readImagePath } from '../../src/mounts/read.js';
import { buildResolver, resolveMounts, type ResolvedMount } from '../../src/mounts/sources.js';
import { allMountEntries } from '../../src/mounts/splice.js';
import { TempContainers } from '../../src/mounts/temp-containers.js';

const base = mkdtempSync(join(tmpdir(), 'mbuild-splice-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

type Spec = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo'; content?: string; linkname?: string; mode?: number };

async function tarBytes(specs: Spec[]): Promise<Buffer> {
  const p = tar.pack();
  for (const { content, ...h } of specs) {
    if (content !== undefined) p.entry({ mode: 0o644, ...h }, content);
    else p.entry({ mode: 0o755, ...h });
  }
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

interface Served {
  readonly stat: ArchiveStat;
  readonly tar: Buffer;
}

/** An Engine with images of paths -> archives; records containers. */
function fakeEngine(images: Record<string, Record<string, Served>>) {
  const live = new Map<string, string>();
  let n = 0;
  const engine = {
    endpoint: { url: 'unix:///fake', source: 'default' },
    async inspectImage(ref: string) {
      return images[ref]
        ? { id: `sha256:${ref.padEnd(64, '0')}`, repoTags: [], labels: {}, size: 0, created: '', layers: [], hasCmd: false, onBuild: [], env: [] }
        : undefined;
    },
    async createContainer(image: string) {
      const id = `c${++n}`;
      live.set(id, image.replace(/^sha256:/, '').replace(/0+$/, ''));
      return id;
    },
    async getArchive(id: string, path: string) {
      const image = live.get(id);
      if (image === undefined) throw new Error(`no such container ${id}`);
      const served = images[image]?.[path];
      if (served === undefined) return undefined;
      // Small chunks, so that entries straddle reads.
      const chunks = Array.from({ length: Math.ceil(served.tar.length / 300) }, (_, i) => served.tar.subarray(i * 300, i * 300 + 300));
      return { stat: served.stat, stream: Readable.from(chunks) };
    },
    async removeContainer(id: string) {
      live.delete(id);
    },
  };
  return { engine: engine as unknown as Engine, live };
}

const dirStat = (name: string): ArchiveStat => ({ name, size: 4096, mode: 2 ** 31 + 0o755, linkTarget: '' });
const fileStat = (name: string): ArchiveStat => ({ name, size: 4, mode: 0o755, linkTarget: '' });

const DIST: Spec[] = [
  { name: 'dist/', type: 'directory' },
  { name: 'dist/index.html', content: '<h1>', mode: 0o640 },
  { name: 'dist/js/', type: 'directory' },
  { name: 'dist/js/app.js', content: 'app()' },
  { name: 'dist/js/current', type: 'symlink', linkname: 'app.js', mode: 0o777 },
  { name: 'dist/js/copy.js', type: 'link', linkname: 'dist/js/app.js', mode: 0o644 },
];

function mount(from: string, path: string, to: string): MountSpec {
  return { from, source: { kind: 'external', ref: from }, path, to, origin: ['images', 'app', 'mounts', 0] };
}

function context(name: string, files: Record<string, string> = {}): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\n');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function pack(dir: string, mounts: ResolvedMount[], engine: Engine, signal = new AbortController().signal) {
  const containers = new TempContainers(engine, { 'io.mbuild.temp': '1' });
  const r = await packContext({
    contextDir: dir,
    dockerfile: { path: join(dir, 'Dockerfile') },
    extra: allMountEntries(mounts, { engine, signal, labels: containers.labels, containers }),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return { packed: r.value, containers };
}

async function listTar(p: PackedContext): Promise<string[]> {
  const buf = Buffer.concat(await p.stream.toArray());
  const ex = tar.extract();
  const out: string[] = [];
  const reading = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      const h = e.header;
      out.push(
        `${h.type} ${h.name} ${h.mode.toString(8)}${h.linkname ? ` -> ${h.linkname}` : ''}${chunks.length ? ` "${Buffer.concat(chunks).toString()}"` : ''}`,
      );
    }
  })();
  ex.end(buf);
  await reading;
  return out;
}

const resolved = (spec: MountSpec, image: string): ResolvedMount => ({ spec, source: { kind: 'image', image: { ref: image, name: image } } });

describe('mounts spliced into a context tar', () => {
  it("places a folder's contents under `to` (parents made), a single file at `to`, hard links as tar hard links", async () => {
    const { engine, live } = fakeEngine({
      web: { '/app/dist': { stat: dirStat('dist'), tar: await tarBytes(DIST) } },
      tools: { '/out/tool': { stat: fileStat('tool'), tar: await tarBytes([{ name: 'tool', content: 'bin!', mode: 0o755 }]) } },
    });
    const dir = context('ok', { 'app.sh': 'run' });
    const { packed, containers } = await pack(
      dir,
      [resolved(mount('web:1', '/app/dist', 'public/static'), 'web'), resolved(mount('tools:1', '/out/tool', 'bin/tool'), 'tools')],
      engine,
    );
    expect(await listTar(packed)).toEqual([
      'file Dockerfile 644 "FROM busybox\n"',
      'file app.sh 644 "run"',
      'directory public/ 755',
      'directory public/static/ 755',
      'file public/static/index.html 640 "<h1>"',
      'directory public/static/js/ 755',
      'file public/static/js/app.js 644 "app()"',
      'symlink public/static/js/current 777 -> app.js',
      'link public/static/js/copy.js 644 -> public/static/js/app.js',
      'directory bin/ 755',
      'file bin/tool 755 "bin!"',
    ]);
    await packed.done;
    await containers.close();
    expect([...live.keys()]).toEqual([]);
  });

  it('follows a mount path that is a symlink inside the image (the engine resolves it)', async () => {
    const { engine } = fakeEngine({
      web: {
        '/app/current': {
          stat: { name: 'current', size: 4, mode: 2 ** 27 + 0o777, linkTarget: '/app/dist' },
          tar: await tarBytes([{ name: 'current', type: 'symlink', linkname: 'dist' }]),
        },
        '/app/dist': { stat: dirStat('dist'), tar: await tarBytes(DIST.slice(0, 2)) },
      },
    });
    const { packed } = await pack(context('follow'), [resolved(mount('web:1', '/app/current', 'static'), 'web')], engine);
    expect(await listTar(packed)).toEqual(['file Dockerfile 644 "FROM busybox\n"', 'directory static/ 755', 'file static/index.html 640 "<h1>"']);
  });

  it('fails the tar when a mount collides with the context, naming both sources', async () => {
    const { engine, live } = fakeEngine({ web: { '/app/dist': { stat: dirStat('dist'), tar: await tarBytes(DIST) } } });
    const cases: [Record<string, string>, string][] = [
      [{ 'static/old.html': 'x' }, 'mount web:1:/app/dist -> static collides with context folder static'],
      [
        { 'static/index.html': 'x', '.dockerignore': 'static\n!static/index.html\n' },
        'mount web:1:/app/dist -> static collides with context file static/index.html',
      ],
      [{ static: 'a file' }, 'mount web:1:/app/dist -> static collides with context file static'],
    ];
    for (const [i, [files, message]] of cases.entries()) {
      const { packed, containers } = await pack(context(`collide-${i}`, files), [resolved(mount('web:1', '/app/dist', 'static'), 'web')], engine);
      await expect(listTar(packed)).rejects.toThrow(message);
      await expect(packed.done).rejects.toBeInstanceOf(CollisionError);
      await containers.close();
      expect([...live.keys()]).toEqual([]);
    }
  });

  it('names both mounts when one lands in a folder another one needs', async () => {
    const { engine } = fakeEngine({
      web: { '/app/dist': { stat: dirStat('dist'), tar: await tarBytes(DIST) } },
      tools: { '/out/tool': { stat: fileStat('tool'), tar: await tarBytes([{ name: 'tool', content: 'bin!' }]) } },
    });
    // Nested targets are refused before anything is read (and by `mbuild validate`)...
    const image = { mounts: [mount('web:1', '/app/dist', 'static'), mount('tools:1', '/out/tool', 'static/js/tool')] } as never;
    const r = await resolveMounts(image, buildResolver(engine, new Map()));
    expect(r).toEqual({ ok: false, error: 'mount tools:1:/out/tool -> static/js/tool overlaps mount web:1:/app/dist -> static' });
    // ...and if they were not, the tar would still refuse the second one.
    const { packed } = await pack(
      context('two'),
      [resolved(mount('web:1', '/app/dist', 'static'), 'web'), resolved(mount('tools:1', '/out/tool', 'static/js/tool'), 'tools')],
      engine,
    );
    await expect(listTar(packed)).rejects.toThrow('mount tools:1:/out/tool -> static collides with mount web:1:/app/dist -> static');
  });

  it('stops reading and removes the container when an entry is refused', async () => {
    const { engine, live } = fakeEngine({
      bad: {
        '/h': {
          stat: dirStat('h'),
          tar: await tarBytes([
            { name: 'h/', type: 'directory' },
            { name: 'h/ok', content: 'ok' },
            { name: 'h/../../etc/evil', content: 'x' },
            { name: 'h/after', content: 'never' },
          ]),
        },
      },
    });
    const { packed, containers } = await pack(context('refuse'), [resolved(mount('bad:1', '/h', 'm'), 'bad')], engine);
    await expect(listTar(packed)).rejects.toThrow(`mount bad:1:/h -> m: refusing entry "../../etc/evil": it leaves the mount through '..'`);
    await expect(packed.done).rejects.toBeInstanceOf(TransferError);
    await containers.close();
    expect([...live.keys()]).toEqual([]);
  });

  it('refuses a hard link that the archive points outside the mounted path', async () => {
    const { engine } = fakeEngine({
      bad: {
        '/h': {
          stat: dirStat('h'),
          tar: await tarBytes([
            { name: 'h/', type: 'directory' },
            { name: 'h/pw', type: 'link', linkname: 'etc/passwd' },
          ]),
        },
      },
    });
    const { packed } = await pack(context('hardout'), [resolved(mount('bad:1', '/h', 'm'), 'bad')], engine);
    await expect(listTar(packed)).rejects.toThrow('mount bad:1:/h -> m: refusing hard link /h/pw -> /etc/passwd: it points outside the mount');
  });

  it('removes the container when the consumer gives up half-way, and when the run is aborted', async () => {
    const big = await tarBytes([{ name: 'd/', type: 'directory' }, ...Array.from({ length: 400 }, (_, i) => ({ name: `d/f${i}`, content: 'x'.repeat(3000) }))]);
    const { engine, live } = fakeEngine({ big: { '/d': { stat: dirStat('d'), tar: big } } });
    const { packed, containers } = await pack(context('giveup'), [resolved(mount('big:1', '/d', 'd'), 'big')], engine);
    const it = packed.stream[Symbol.asyncIterator]();
    await it.next();
    // The reader is under way (and held back by the tar's backpressure).
    await expect.poll(() => live.size).toBe(1);
    await it.next();
    packed.stream.destroy();
    await containers.close();
    expect(live.size).toBe(0);

    const ac = new AbortController();
    const raw = readImagePath('big', '/d', { engine, signal: ac.signal, labels: {}, label: { what: 'mount', source: 'big:/d', to: 'd' } });
    await raw.next();
    expect(live.size).toBe(1);
    ac.abort();
    await raw.return(undefined);
    expect(live.size).toBe(0);
  });

  it('resolves an upstream by its ID and an external reference that exists, else says why not', async () => {
    const { engine } = fakeEngine({ 'busybox:latest': {} });
    const resolve = buildResolver(engine, new Map([['web', 'sha256:0123456789abcdef']]));
    expect(await resolve({ kind: 'image', image: 'web' })).toEqual({ ok: true, value: { ref: 'sha256:0123456789abcdef', name: 'web (0123456789ab)' } });
    expect(await resolve({ kind: 'image', image: 'api' })).toEqual({ ok: false, error: 'image api was not built in this run' });
    expect(await resolve({ kind: 'external', ref: 'busybox:latest' })).toEqual({
      ok: true,
      value: { ref: `sha256:${'busybox:latest'.padEnd(64, '0')}`, name: 'busybox:latest' },
    });
    expect(await resolve({ kind: 'external', ref: 'nope:1' })).toEqual({
      ok: false,
      error: 'image nope:1 does not exist locally (mbuild never pulls a mount source; pull or build it first)',
    });
  });

  it('says which path is missing, and which external image', async () => {
    const { engine } = fakeEngine({ web: {} });
    const raw = readImagePath('web', '/nope', {
      engine,
      signal: new AbortController().signal,
      labels: {},
      label: { what: 'mount', source: 'web:/nope', to: 'x' },
      imageName: 'web (sha256:1234)',
    });
    await expect(raw.next()).rejects.toThrow('mount web:/nope -> x: /nope does not exist in image web (sha256:1234)');
    const image = { mounts: [mount('mbuild-test-mounts-none:1', '/x', 'x')] } as never;
    expect(await resolveMounts(image, buildResolver(engine, new Map()))).toEqual({
      ok: false,
      error:
        'mount mbuild-test-mounts-none:1:/x -> x: image mbuild-test-mounts-none:1 does not exist locally (mbuild never pulls a mount source; pull or build it first)',
    });
  });
});
