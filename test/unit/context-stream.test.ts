import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Packer } from '../../src/context/packer.js';
import { ContextChangedError } from '../../src/context/walk.js';
import { packContext, type ExtraEntry, type PackOptions, type PackedContext, type SentEntry } from '../../src/context/tar.js';

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'mbuild-stream-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function dir(name: string): string {
  const root = join(base, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'Dockerfile'), 'FROM busybox\n');
  return root;
}

async function start(opts: PackOptions): Promise<PackedContext> {
  const r = await packContext(opts);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** Reads the stream; once `after` bytes were read, runs `hook` once. Resolves with the byte count or rejects. */
async function consume(p: PackedContext, after = Infinity, hook: () => void = () => {}): Promise<number> {
  let n = 0;
  let hooked = false;
  for await (const chunk of p.stream) {
    n += (chunk as Buffer).length;
    if (!hooked && n >= after) {
      hooked = true;
      hook();
    }
  }
  return n;
}

const settle = async (turns: number): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

describe('files that change while they are sent', () => {
  it('fails with "context changed" when a file shrinks mid-read', async () => {
    const root = dir('shrink');
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024, 7));
    const p = await start({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    const reading = consume(p, 1024 * 1024, () => truncateSync(join(root, 'big.bin'), 10));
    await expect(reading).rejects.toThrow('context changed while it was sent: big.bin (file shrank)');
    await expect(p.done).rejects.toBeInstanceOf(ContextChangedError);
  });

  it('fails with "context changed" when a file is rewritten mid-read at the same size', async () => {
    const root = dir('rewrite');
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024, 1));
    const p = await start({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    const reading = consume(p, 1024 * 1024, () => writeFileSync(join(root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024, 2)));
    await expect(reading).rejects.toThrow('context changed while it was sent: big.bin (file was modified)');
  });

  it('sends a consistent file when nothing changes, hashing exactly the bytes sent', async () => {
    const root = dir('stable');
    const data = Buffer.alloc(3 * 128 * 1024 + 17, 9);
    writeFileSync(join(root, 'f.bin'), data);
    const sent: SentEntry[] = [];
    const p = await start({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') }, onEntry: (e) => sent.push(e) });
    const n = await consume(p);
    expect(sent.find((e) => e.path === 'f.bin')?.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await p.done).toEqual({ entries: 2, files: 2, bytes: data.length + 13, warnings: [] });
    // 2 headers + padded contents + 1024 bytes of end-of-archive marker.
    expect(n).toBe(512 + 512 + 512 + Math.ceil(data.length / 512) * 512 + 1024);
  });
});

describe('small files, read whole (synchronously)', () => {
  /** Packs one file through a Packer as the walk saw it (a regular file of `seen.size` bytes), whatever it is now. */
  async function packOne(abs: string, seen: { size: number }) {
    // A real Stats (methods and all) of a regular file, with the size the walk saw.
    const stats = Object.assign(lstatSync(fileURLToPath(import.meta.url)), { size: seen.size });
    const sent: SentEntry[] = [];
    const packer = new Packer((e) => sent.push(e));
    const chunks: Buffer[] = [];
    let produced: Promise<void> = Promise.resolve();
    const stream = packer.attach(() => {
      produced = packer.addFile({ rel: 'f', abs, kind: 'file', stats, selection: 'below' }).then(() => stream.finish());
      produced.catch((e: unknown) => stream.destroy(e as Error));
    });
    for await (const c of stream) chunks.push(c as Buffer);
    await produced;
    return { sent, tar: Buffer.concat(chunks) };
  }

  it('sends a file that grew past the small size after the walk saw it, whole and consistent', async () => {
    const root = dir('grew');
    const data = Buffer.alloc(200 * 1024, 5);
    writeFileSync(join(root, 'f'), data);
    const { sent, tar } = await packOne(join(root, 'f'), { size: 10 });
    expect(sent).toMatchObject([{ path: 'f', size: data.length, sha256: createHash('sha256').update(data).digest('hex') }]);
    expect(tar.subarray(512, 512 + data.length).equals(data)).toBe(true);
  });

  it('sends the content as it is when read, with its size and hash', async () => {
    const root = dir('small');
    writeFileSync(join(root, 'f'), 'now longer than when walked\n');
    const { sent, tar } = await packOne(join(root, 'f'), { size: 3 });
    expect(sent).toMatchObject([{ path: 'f', size: 28, sha256: createHash('sha256').update('now longer than when walked\n').digest('hex') }]);
    expect(tar.subarray(512, 540).toString()).toBe('now longer than when walked\n');
  });

  it('fails with "context changed" when a small file vanished or became a symlink or a folder', async () => {
    const root = dir('vanish');
    await expect(packOne(join(root, 'gone'), { size: 3 })).rejects.toThrow('context changed while it was sent: f (file vanished or was replaced)');
    symlinkSync('Dockerfile', join(root, 'link'));
    await expect(packOne(join(root, 'link'), { size: 3 })).rejects.toThrow('context changed while it was sent: f (file vanished or was replaced)');
    mkdirSync(join(root, 'd'));
    await expect(packOne(join(root, 'd'), { size: 3 })).rejects.toThrow('context changed while it was sent: f (no longer a regular file)');
  });
});

describe('backpressure', () => {
  it('pulls an extra entry stream only as fast as the tar is read', async () => {
    const root = dir('bp');
    const MiB = 1024 * 1024;
    let pulled = 0;
    async function* body() {
      for (let i = 0; i < 500; i++) {
        pulled++;
        yield Buffer.alloc(MiB);
      }
    }
    async function* extra(): AsyncGenerator<ExtraEntry> {
      yield { path: 'huge.bin', type: 'file', content: { size: 500 * MiB, stream: body() } };
    }
    const p = await start({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') }, extra: extra() });
    const it = p.stream[Symbol.asyncIterator]();
    let read = 0;
    while (read < 3 * MiB) read += ((await it.next()).value as Buffer).length;
    await settle(50);
    // The consumer stopped after ~3 MiB: only a few MiB may be in flight, not 500.
    expect(pulled).toBeLessThan(8);
    const before = pulled;
    while (read < 20 * MiB) read += ((await it.next()).value as Buffer).length;
    expect(pulled).toBeGreaterThan(before);
    expect(pulled).toBeLessThan(26);
    await it.return?.();
    await expect(p.done).rejects.toThrow();
  });

  it('streams a 512 MiB (sparse) file without buffering it', async () => {
    const root = dir('sparse');
    const size = 512 * 1024 * 1024;
    writeFileSync(join(root, 'sparse.bin'), '');
    truncateSync(join(root, 'sparse.bin'), size);
    const p = await start({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let n = 0;
    for await (const chunk of p.stream) {
      n += (chunk as Buffer).length;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    }
    expect(n).toBeGreaterThan(size);
    expect((await p.done).bytes).toBe(size + 13);
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);

  it('stops the producer and rejects done when the consumer destroys the stream', async () => {
    const root = dir('destroy');
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(8 * 1024 * 1024));
    const p = await start({ contextDir: root, dockerfile: { path: join(root, 'Dockerfile') } });
    const it = p.stream[Symbol.asyncIterator]();
    await it.next();
    p.stream.destroy();
    await expect(p.done).rejects.toThrow('context stream closed before it was fully read');
  });
});
