import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesFromTar, withPrefix } from '../../src/context/splice.js';
import { packContext, type PackOptions, type SentEntry } from '../../src/context/tar.js';

interface TarEntry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  mtime: number;
  linkname: string | null;
  content: string;
}

async function listTar(buf: Buffer): Promise<TarEntry[]> {
  const ex = tar.extract();
  const out: TarEntry[] = [];
  const reading = (async () => {
    for await (const e of ex) {
      const chunks: Buffer[] = [];
      for await (const c of e) chunks.push(c as Buffer);
      const h = e.header;
      out.push({
        name: h.name,
        type: h.type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        uname: h.uname,
        gname: h.gname,
        size: h.size,
        mtime: h.mtime.getTime() / 1000,
        linkname: h.linkname,
        content: Buffer.concat(chunks).toString('utf8'),
      });
    }
  })();
  ex.end(buf);
  await reading;
  return out;
}

async function pack(opts: PackOptions): Promise<{ entries: TarEntry[]; buf: Buffer; sent: SentEntry[]; warnings: readonly string[]; dockerfileInTar: string }> {
  const sent: SentEntry[] = [];
  const r = await packContext({ ...opts, onEntry: (e) => sent.push(e) });
  if (!r.ok) throw new Error(`packContext failed: ${JSON.stringify(r.error)}`);
  const buf = Buffer.concat(await r.value.stream.toArray());
  const summary = await r.value.done;
  return { entries: await listTar(buf), buf, sent, warnings: summary.warnings, dockerfileInTar: r.value.dockerfileInTar };
}

const names = (es: TarEntry[]): string[] => es.map((e) => e.name);
const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

let base: string;
/** The socket one test listens on, until afterAll. */
let sock: Server | undefined;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'mbuild-tar-'));
});
afterAll(() => {
  sock?.close();
  rmSync(base, { recursive: true, force: true });
});

function tree(name: string, files: Record<string, string>): string {
  const root = join(base, name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    if (rel.endsWith('/')) mkdirSync(join(root, rel), { recursive: true });
    else writeFileSync(join(root, rel), content);
  }
  return root;
}

describe('packContext: entries', () => {
  it('lists dirs, files and symlinks in byte order with uid/gid 0, kept modes and mtimes', async () => {
    const root = tree('basic', {
      Dockerfile: 'FROM busybox\n',
      B: 'upper',
      'a.txt': 'a-dot',
      'a/x': 'inside a',
      é: 'e-acute',
      '\uFF5E': 'fullwidth tilde (EF BD 9E)',
      '😀': 'emoji (F0 9F 98 80)',
      'empty/': '',
    });
    chmodSync(join(root, 'a/x'), 0o750);
    chmodSync(join(root, 'B'), 0o000);
    chmodSync(join(root, 'empty'), 0o700);
    if (process.getuid?.() === 0) chownSync(join(root, 'a.txt'), 1234, 5678);
    utimesSync(join(root, 'a.txt'), 1_600_000_000, 1_600_000_000);
    symlinkSync('a/x', join(root, 'link-rel'));
    symlinkSync('/etc/does-not-exist', join(root, 'link-abs'));
    const { entries, sent, warnings, dockerfileInTar } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });

    expect(dockerfileInTar).toBe('Dockerfile');
    expect(warnings).toEqual([]);
    // 'B' < 'Dockerfile' < 'a' < 'a.txt' (0x2E) ... and by UTF-8 bytes, U+FF5E (EF..) < U+1F600 (F0..),
    // which UTF-16 order would reverse.
    expect(names(entries)).toEqual(['B', 'Dockerfile', 'a/', 'a/x', 'a.txt', 'empty/', 'link-abs', 'link-rel', 'é', '\uFF5E', '😀']);
    const by = Object.fromEntries(entries.map((e) => [e.name, e]));
    expect(by['B']).toMatchObject({ type: 'file', mode: 0o000, size: 5, content: 'upper' });
    expect(by['a/x']).toMatchObject({ type: 'file', mode: 0o750, content: 'inside a' });
    expect(by['empty/']).toMatchObject({ type: 'directory', mode: 0o700, size: 0 });
    expect(by['a.txt']).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: 1_600_000_000 });
    expect(by['link-rel']).toMatchObject({ type: 'symlink', linkname: 'a/x', size: 0 });
    expect(by['link-abs']).toMatchObject({ type: 'symlink', linkname: '/etc/does-not-exist' });
    for (const e of entries) expect([e.uid, e.gid, e.uname, e.gname]).toEqual([0, 0, '', '']);

    expect(sent.map((s) => s.path)).toEqual(names(entries).map((n) => n.replace(/\/$/, '')));
    const x = sent.find((s) => s.path === 'a/x')!;
    expect(x).toEqual({ path: 'a/x', type: 'file', mode: 0o750, size: 8, mtime: x.mtime, sha256: sha('inside a'), source: 'context' });
    expect(sent.find((s) => s.path === 'link-rel')).toMatchObject({ type: 'symlink', linkTarget: 'a/x', sha256: sha('') });
  });

  it('skips sockets and fifos with a warning', async () => {
    const root = tree('special', { Dockerfile: 'FROM busybox\n', keep: 'k' });
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const server = createServer();
    sock = server;
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    const { entries, warnings } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    expect(names(entries)).toEqual(['Dockerfile', 'keep']);
    expect(warnings).toEqual(['skipping fifo: fifo cannot be sent in a build context', 'skipping sock: socket cannot be sent in a build context']);
  });

  it('uses PAX headers for a 200+ byte path and a 150-byte link target (checked with GNU tar)', async () => {
    const longDir = Array.from({ length: 6 }, (_, i) => `directory-${i}-`.padEnd(40, 'x')).join('/');
    const longFile = `${longDir}/${'f'.repeat(120)}.txt`;
    const target = 't'.repeat(150);
    const root = tree('long', { Dockerfile: 'FROM busybox\n', [longFile]: 'deep' });
    symlinkSync(target, join(root, 'longlink'));
    expect(Buffer.byteLength(longFile)).toBeGreaterThan(200);
    const { entries, buf } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    expect(entries.find((e) => e.name === longFile)?.content).toBe('deep');
    expect(entries.find((e) => e.name === 'longlink')?.linkname).toBe(target);

    const out = mkdtempSync(join(base, 'x-'));
    writeFileSync(join(out, '..', 'long.tar'), buf);
    execFileSync('tar', ['-xf', join(out, '..', 'long.tar'), '-C', out]);
    expect(readFileSync(join(out, longFile), 'utf8')).toBe('deep');
    expect(readlinkSync(join(out, 'longlink'))).toBe(target);
    const listing = execFileSync('tar', ['-tf', join(out, '..', 'long.tar')], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain(longFile);
    expect(listing).toContain('longlink');
  });
});

describe('packContext: ignore files and the Dockerfile', () => {
  it('applies .dockerignore, always sends Dockerfile and .dockerignore, re-includes below an excluded dir', async () => {
    const root = tree('ign', {
      Dockerfile: 'FROM busybox\n',
      '.dockerignore': 'Dockerfile\n.dockerignore\n*.log\nbuild\n!build/keep.txt\nnode_modules\n',
      'a.log': '',
      'src/a.log': 'not at the root: kept',
      'build/out.o': '',
      'build/keep.txt': 'kept',
      'node_modules/x/index.js': '',
      'src/main.ts': '',
    });
    const { entries } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    // "build/" itself is excluded, so (like docker) only its re-included child is sent.
    expect(names(entries)).toEqual(['.dockerignore', 'Dockerfile', 'build/keep.txt', 'src/', 'src/a.log', 'src/main.ts']);
  });

  it('prefers <Dockerfile>.dockerignore next to the Dockerfile', async () => {
    const root = tree('pref', {
      'docker/app.Dockerfile': 'FROM busybox\n',
      'docker/app.Dockerfile.dockerignore': 'secret\ndocker/*.dockerignore\n',
      '.dockerignore': 'public\n',
      public: 'p',
      secret: 's',
    });
    const { entries, dockerfileInTar } = await pack({ contextDir: root, dockerfile: { path: join(root, 'docker/app.Dockerfile') } });
    expect(dockerfileInTar).toBe('docker/app.Dockerfile');
    expect(names(entries)).toEqual(['.dockerignore', 'docker/', 'docker/app.Dockerfile', 'public']);
  });

  it('sends a Dockerfile inside an excluded directory without the directory entry', async () => {
    const root = tree('dfex', { 'ci/Dockerfile': 'FROM busybox\n', 'ci/other': '', '.dockerignore': 'ci\n' });
    const { entries } = await pack({ contextDir: root, dockerfile: { path: join(root, 'ci/Dockerfile') } });
    expect(names(entries)).toEqual(['.dockerignore', 'ci/Dockerfile']);
  });

  it('injects a Dockerfile from outside the context and lists it in the tar .dockerignore', async () => {
    const root = tree('inj', { '.dockerignore': '*.tmp', 'x.tmp': '', app: 'a' });
    const outside = tree('inj-outside', { 'Build.Dockerfile': 'FROM busybox\nCOPY . /ctx\n' });
    const { entries, dockerfileInTar, sent } = await pack({ contextDir: root, dockerfile: { path: join(outside, 'Build.Dockerfile') } });
    expect(dockerfileInTar).toBe('.mbuild.Dockerfile');
    expect(names(entries)).toEqual(['.mbuild.Dockerfile', '.dockerignore', 'app']);
    expect(entries[0]?.content).toBe('FROM busybox\nCOPY . /ctx\n');
    expect(entries[1]?.content).toBe('*.tmp\n.mbuild.Dockerfile\n');
    expect(sent.slice(0, 2).map((s) => s.source)).toEqual(['injected', 'injected']);
  });

  it('injects inline Dockerfile text and synthesizes a .dockerignore naming both files', async () => {
    const root = tree('inline', { app: 'a' });
    const { entries, warnings } = await pack({ contextDir: root, dockerfile: { text: 'FROM busybox\n' } });
    expect(names(entries)).toEqual(['.mbuild.Dockerfile', '.dockerignore', 'app']);
    expect(entries[0]).toMatchObject({ content: 'FROM busybox\n', mode: 0o644, mtime: 0 });
    expect(entries[1]?.content).toBe('.dockerignore\n.mbuild.Dockerfile\n');
    expect(warnings).toEqual([]);
  });

  it("never replaces a user's .mbuild.Dockerfile: the injected one takes a free name", async () => {
    const root = tree('inline-taken', { app: 'a', '.mbuild.Dockerfile': 'mine', '.mbuild.1.Dockerfile': 'mine too' });
    const { entries, dockerfileInTar, warnings } = await pack({ contextDir: root, dockerfile: { text: 'FROM busybox\n' } });
    expect(dockerfileInTar).toBe('.mbuild.2.Dockerfile');
    expect(names(entries)).toEqual(['.mbuild.2.Dockerfile', '.dockerignore', '.mbuild.1.Dockerfile', '.mbuild.Dockerfile', 'app']);
    expect(entries.find((e) => e.name === '.mbuild.Dockerfile')?.content).toBe('mine');
    expect(warnings).toEqual([]);
  });

  it('returns ignore-file syntax errors with the line number, and missing inputs, as values', async () => {
    const root = tree('bad', { Dockerfile: '', '.dockerignore': '# ok\nfine\nsrc/[oops\n' });
    const r = await packContext({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ kind: 'ignore-invalid', path: join(root, '.dockerignore'), line: 3 });
    const m = await packContext({ contextDir: root, dockerfile: { path: join(root, 'Nope') } });
    expect(!m.ok && m.error.kind).toBe('dockerfile-unreadable');
    const c = await packContext({ contextDir: join(root, 'missing'), dockerfile: { text: '' } });
    expect(!c.ok && c.error.kind).toBe('context-unreadable');
  });
});

describe('packContext: extra entries', () => {
  it('appends entries under a prefix, including ones streamed out of another tar', async () => {
    const root = tree('extra', { Dockerfile: 'FROM busybox\n' });
    const other = tar.pack();
    other.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
    other.entry({ name: 'etc/hostname', mode: 0o640, mtime: new Date(5_000) }, 'box\n');
    other.entry({ name: 'etc/link', type: 'symlink', linkname: 'hostname' });
    other.finalize();
    const parts: Buffer[] = [];
    for await (const c of other as AsyncIterable<Buffer>) parts.push(c);
    const inner = Buffer.concat(parts);
    async function* source() {
      // Small chunks: entries span several writes into the extractor.
      for (let i = 0; i < inner.length; i += 100) yield inner.subarray(i, i + 100);
    }
    const extra = withPrefix('.mbuild/mounts/base', entriesFromTar(source()));
    const { entries, sent } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') }, extra });
    expect(names(entries)).toEqual([
      'Dockerfile',
      '.mbuild/',
      '.mbuild/mounts/',
      '.mbuild/mounts/base/',
      '.mbuild/mounts/base/etc/',
      '.mbuild/mounts/base/etc/hostname',
      '.mbuild/mounts/base/etc/link',
    ]);
    expect(entries[5]).toMatchObject({ mode: 0o640, content: 'box\n', mtime: 5 });
    expect(entries[6]).toMatchObject({ type: 'symlink', linkname: 'hostname' });
    expect(sent[5]).toMatchObject({ source: 'extra', sha256: sha('box\n'), size: 4 });
  });

  it('merges extra directories into context directories', async () => {
    const root = tree('merge', { Dockerfile: 'FROM busybox\n', 'gen/state.json': '{}' });
    const extra = withPrefix('gen/mounts', [{ path: 'x', type: 'file', content: 'x' }]);
    const { entries } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') }, extra });
    expect(names(entries)).toEqual(['Dockerfile', 'gen/', 'gen/state.json', 'gen/mounts/', 'gen/mounts/x']);
  });

  it("never sends mbuild's own state folder at the top of a context", async () => {
    const root = tree('state', { Dockerfile: 'FROM busybox\n', '.mbuild/logs/a.log': 'x', 'sub/.mbuild/kept': 'y' });
    const { entries } = await pack({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    expect(names(entries)).toEqual(['Dockerfile', 'sub/', 'sub/.mbuild/', 'sub/.mbuild/kept']);
  });

  it('fails the stream when an extra entry collides with a context path', async () => {
    const root = tree('collide', { Dockerfile: 'FROM busybox\n', app: '' });
    async function* extra() {
      yield { path: 'app', type: 'dir' as const };
      yield { path: './app', type: 'file' as const, content: 'x' };
    }
    const r = await packContext({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') }, extra: extra() });
    if (!r.ok) throw new Error('setup failed');
    await expect(r.value.stream.toArray()).rejects.toThrow('extra entry app collides with an entry already sent');
    await expect(r.value.done).rejects.toThrow('collides');
  });
});
