/**
 * The mount path's tar reader (src/mounts/tar-reader.ts) and the context's tar writer
 * (src/context/tar-writer.ts) against tar-stream and GNU tar: every entry type, PAX and
 * GNU long names, the ustar prefix, base-256 sizes, any chunking of the input, content
 * left unread, and broken archives.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeHeader, END_OF_ARCHIVE, paddingOf } from '../../src/context/tar-writer.js';
import { drain } from '../../src/mounts/diff-tar.js';
import { rawEntriesFromTar, rebase } from '../../src/mounts/read.js';
import { readTar } from '../../src/mounts/tar-reader.js';

const tmp = mkdtempSync(join(tmpdir(), 'mbuild-tar-reader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Spec = {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device';
  content?: string;
  linkname?: string;
  mode?: number;
  mtime?: Date;
};

async function tarStreamBytes(specs: Spec[]): Promise<Buffer> {
  const p = tar.pack();
  for (const s of specs) {
    const { content, ...h } = s;
    if (content !== undefined) p.entry({ mode: 0o644, ...h }, content);
    else p.entry({ mode: 0o755, ...h });
  }
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function* pieces(buf: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function list(input: AsyncIterable<Uint8Array>, read = true) {
  const out: { name: string; type: string; mode: number; size: number; linkname: string; content: string; mtime: number }[] = [];
  for await (const { header: h, content } of readTar(input)) {
    const chunks: Uint8Array[] = [];
    if (read) for await (const c of content) chunks.push(c);
    out.push({
      name: h.name,
      type: h.type,
      mode: h.mode,
      size: h.size,
      linkname: h.linkname,
      content: Buffer.concat(chunks).toString(),
      mtime: h.mtime.getTime() / 1000,
    });
  }
  return out;
}

const LONG = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(90)}.txt`;
const SPECS: Spec[] = [
  { name: 'dist/', type: 'directory', mtime: new Date(1_600_000_000_000) },
  { name: 'dist/a.txt', content: 'alpha', mode: 0o640 },
  { name: 'dist/link', type: 'symlink', linkname: 'a.txt' },
  { name: 'dist/hard', type: 'link', linkname: 'dist/a.txt' },
  { name: 'dist/pipe', type: 'fifo' },
  { name: 'dist/null', type: 'character-device' },
  { name: `dist/${LONG}`, content: 'deep' },
  { name: 'dist/é-😀.txt', content: 'unicode' },
  { name: 'dist/empty', content: '' },
  { name: 'dist/big', content: 'z'.repeat(70_000) },
];

describe('readTar', () => {
  it('reads what tar-stream writes, whatever the chunking', async () => {
    const buf = await tarStreamBytes(SPECS);
    for (const size of [1, 7, 512, 513, 65536, buf.length]) {
      const got = await list(pieces(buf, size));
      expect(got.map((e) => `${e.type} ${e.name}${e.linkname ? ` -> ${e.linkname}` : ''} ${e.size}`)).toEqual([
        'dir dist/ 0',
        'file dist/a.txt 5',
        'symlink dist/link -> a.txt 0',
        'hardlink dist/hard -> dist/a.txt 0',
        'fifo dist/pipe 0',
        'character device dist/null 0',
        `file dist/${LONG} 4`,
        'file dist/é-😀.txt 7',
        'file dist/empty 0',
        'file dist/big 70000',
      ]);
      expect(got[1]).toMatchObject({ mode: 0o640, content: 'alpha' });
      expect(got[0]?.mtime).toBe(1_600_000_000);
      expect(got[9]?.content).toBe('z'.repeat(70_000));
    }
  });

  it('skips content the consumer does not read', async () => {
    const got = await list(pieces(await tarStreamBytes(SPECS), 1000), false);
    expect(got.map((e) => e.name)).toEqual(SPECS.map((s) => s.name));
  });

  it('reads GNU tar archives: long names (././@LongLink), ustar prefix, symlinks and hard links', async () => {
    const src = join(tmp, 'gnu-src');
    const deep = `${'x'.repeat(60)}/${'y'.repeat(60)}`;
    execFileSync('sh', [
      '-c',
      `mkdir -p '${src}/d/${deep}' && echo hi > '${src}/d/${deep}/f' && ln -s f '${src}/d/${deep}/l' && ln '${src}/d/${deep}/f' '${src}/d/h'`,
    ]);
    for (const format of ['gnu', 'ustar', 'pax']) {
      const file = join(tmp, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, 'd']);
      const { readFileSync } = await import('node:fs');
      const got = await list(pieces(readFileSync(file), 4096));
      const byName = new Map(got.map((e) => [e.name.replace(/\/$/, ''), e]));
      // One of the two names of the file carries the content, the other links to it.
      const pair = [byName.get(`d/${deep}/f`), byName.get('d/h')];
      expect(pair.map((e) => e?.type).sort(), format).toEqual(['file', 'hardlink']);
      expect(pair.find((e) => e?.type === 'file')?.content, format).toBe('hi\n');
      expect(pair.find((e) => e?.type === 'hardlink')?.linkname, format).toBe(pair.find((e) => e?.type === 'file')?.name);
      expect(byName.get(`d/${deep}/l`), format).toMatchObject({ type: 'symlink', linkname: 'f' });
    }
  });

  it('reads base-256 sizes and PAX sizes', async () => {
    const h = encodeHeader({ name: 'huge', type: 'file', mode: 0o644, size: 9 * 2 ** 30, mtime: new Date(0) })[0]!;
    expect(h[124]).toBe(0x80);
    const one = Buffer.concat([encodeHeader({ name: 'small', type: 'file', mode: 0o644, size: 3, mtime: new Date(0) })[0]!, Buffer.from('abc'), paddingOf(3)]);
    // Rewrite `small`'s size field as base-256 (and fix the checksum).
    one.fill(0, 124, 136);
    one[124] = 0x80;
    one[135] = 3;
    one.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += one[i]!;
    one.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const got = await list(pieces(Buffer.concat([one, END_OF_ARCHIVE]), 100));
    expect(got).toMatchObject([{ name: 'small', size: 3, content: 'abc' }]);
  });

  it('fails on a truncated archive and on a corrupt header', async () => {
    const buf = await tarStreamBytes([{ name: 'a', content: 'x'.repeat(2000) }]);
    await expect(list(pieces(buf.subarray(0, 1000), 100))).rejects.toThrow('the archive ended in the middle of an entry');
    const bad = Buffer.from(buf);
    bad[0] = 0x41;
    await expect(list(pieces(bad, 512))).rejects.toThrow('corrupt archive: a header checksum does not match');
  });
});

describe('rawEntriesFromTar: names relative to the archived path', () => {
  it('rebases the top entry to "" and keeps names outside it visibly outside', () => {
    expect(rebase('dist', 'dist/')).toBe('');
    expect(rebase('dist', 'dist/a/b')).toBe('a/b');
    expect(rebase('dist', './dist/a')).toBe('a');
    expect(rebase('dist', 'other/x')).toBe('../other/x');
    expect(rebase('dist', 'distx/y')).toBe('../distx/y');
    expect(rebase('/', '/')).toBe('');
    expect(rebase('/', '/etc/passwd')).toBe('etc/passwd');
  });

  it('gives hard link targets the same rebasing, and other types as `other`', async () => {
    const got: string[] = [];
    for await (const e of rawEntriesFromTar(pieces(await tarStreamBytes(SPECS.slice(0, 6)), 512), 'dist')) {
      if (e.content) await drain(e.content);
      got.push(`${e.type} ${e.name}${e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : ''}${e.kind ? ` (${e.kind})` : ''}`);
    }
    expect(got).toEqual(['dir ', 'file a.txt', 'symlink link -> a.txt', 'hardlink hard -> a.txt', 'other pipe (fifo)', 'other null (character device)']);
  });
});

describe('encodeHeader', () => {
  it('writes what GNU tar lists: long and non-ASCII names through PAX, hard links, folders', async () => {
    const blocks: Buffer[] = [];
    const add = (name: string, type: 'file' | 'directory' | 'symlink' | 'link', content = '', linkname?: string) => {
      blocks.push(...encodeHeader({ name, type, mode: 0o644, size: Buffer.byteLength(content), mtime: new Date(0), ...(linkname && { linkname }) }));
      if (content) blocks.push(Buffer.from(content), paddingOf(Buffer.byteLength(content)));
    };
    add('dir', 'directory');
    add(`dir/${LONG}`, 'file', 'deep');
    add('dir/é', 'file', 'e');
    add('dir/h', 'link', '', `dir/${LONG}`);
    add('dir/s', 'symlink', '', 'é');
    blocks.push(END_OF_ARCHIVE);
    const file = join(tmp, 'ours.tar');
    writeFileSync(file, Buffer.concat(blocks));
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(listing).toContain(`dir/${LONG}`);
    expect(listing).toMatch(/^h.* dir\/h link to dir\/d+/m);
    expect(listing).toMatch(/^l.* dir\/s -> é$/m);
    const out = mkdtempSync(join(tmp, 'x-'));
    execFileSync('tar', ['-xf', file, '-C', out]);
    const { readFileSync, statSync } = await import('node:fs');
    expect(readFileSync(join(out, 'dir/h'), 'utf8')).toBe('deep');
    expect(statSync(join(out, 'dir/h')).ino).toBe(statSync(join(out, `dir/${LONG}`)).ino);
  });
});
