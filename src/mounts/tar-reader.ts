/**
 * A small tar reader for archives coming out of the engine, made for throughput: headers
 * are parsed from 512-byte blocks (ustar, GNU long names, PAX `path`/`linkpath`/`size`/
 * `mtime`, base-256 sizes) and file contents are handed on as subarrays of the incoming
 * chunks, never copied. Pull-based: nothing is read ahead of the consumer (except what the
 * input buffers). Names are returned as written; validation is check.ts's job.
 */

export interface TarHeader {
  readonly name: string;
  /** `file`, `dir`, `symlink`, `hardlink`, or another tar type (`fifo`, `character device`, ...). */
  readonly type: string;
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly linkname: string;
}

export interface TarEntry {
  readonly header: TarHeader;
  /** Exactly `header.size` bytes (empty for non-files); what the consumer leaves unread is skipped. */
  readonly content: AsyncIterable<Uint8Array>;
}

const TYPES: Record<string, string> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character device',
  '4': 'block device',
  '5': 'dir',
  '6': 'fifo',
};
const decoder = new TextDecoder('utf-8');
/** Bytes read between two turns of the event loop. */
const YIELD_EVERY = 256 * 1024;

/** Reads from an iterator of chunks: whole blocks (copied only when they straddle chunks) or runs of subarrays. */
class Bytes {
  #chunk: Uint8Array = new Uint8Array(0);
  #off = 0;
  #sinceTurn = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  async #fill(): Promise<boolean> {
    while (this.#off >= this.#chunk.byteLength) {
      // Buffered input is handed over in microtasks, which starve the event loop: give it a
      // turn now and then so that the socket keeps being read while entries are processed.
      if (this.#sinceTurn >= YIELD_EVERY) {
        this.#sinceTurn = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const r = await this.it.next();
      if (r.done) return false;
      this.#chunk = r.value;
      this.#off = 0;
      this.#sinceTurn += r.value.byteLength;
    }
    return true;
  }

  /** Exactly `n` bytes, or null at a clean end of input (nothing read). */
  async exact(n: number): Promise<Uint8Array | null> {
    if (!(await this.#fill())) return null;
    if (this.#chunk.byteLength - this.#off >= n) {
      const out = this.#chunk.subarray(this.#off, this.#off + n);
      this.#off += n;
      return out;
    }
    const out = new Uint8Array(n);
    for (let got = 0; got < n;) {
      if (!(await this.#fill())) throw new Error('the archive ended in the middle of an entry');
      const take = Math.min(n - got, this.#chunk.byteLength - this.#off);
      out.set(this.#chunk.subarray(this.#off, this.#off + take), got);
      got += take;
      this.#off += take;
    }
    return out;
  }

  /** The next piece of at most `n` bytes (n > 0). */
  async some(n: number): Promise<Uint8Array> {
    if (!(await this.#fill())) throw new Error('the archive ended in the middle of an entry');
    const take = Math.min(n, this.#chunk.byteLength - this.#off);
    const out = this.#chunk.subarray(this.#off, this.#off + take);
    this.#off += take;
    return out;
  }
}

function text(b: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && b[end] !== 0) end++;
  return decoder.decode(b.subarray(start, end));
}

function octal(b: Uint8Array, start: number, len: number): number {
  if ((b[start]! & 0x80) !== 0) {
    // base-256 (GNU/star): big-endian two's complement in the remaining bits; negative values are refused.
    if ((b[start]! & 0x40) !== 0) throw new Error('negative number in a tar header');
    let v = b[start]! & 0x3f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = text(b, start, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function checksumOk(b: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return sum === octal(b, 148, 8);
}

/** PAX records `len key=value\n`; later records win. */
function parsePax(b: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < b.byteLength;) {
    let sp = i;
    while (sp < b.byteLength && b[sp] !== 0x20) sp++;
    const len = parseInt(decoder.decode(b.subarray(i, sp)), 10);
    if (!Number.isInteger(len) || len <= 0 || i + len > b.byteLength) throw new Error('malformed PAX header');
    const record = decoder.decode(b.subarray(sp + 1, i + len - 1));
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

const padding = (size: number): number => (512 - (size % 512)) % 512;

export async function* readTar(input: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const it = input[Symbol.asyncIterator]();
  const bytes = new Bytes(it);
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const h = await bytes.exact(512);
      if (h === null) return; // no end-of-archive blocks: treat a clean end as the end
      if (h.every((x) => x === 0)) return;
      if (!checksumOk(h)) throw new Error('corrupt archive: a header checksum does not match');
      const flag = String.fromCharCode(h[156]!);
      let size = octal(h, 124, 12);
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        const data = size === 0 ? new Uint8Array(0) : await bytes.exact(size + padding(size));
        if (data === null) throw new Error('the archive ended in the middle of an entry');
        const body = data.subarray(0, size);
        if (flag === 'x') pax = new Map([...pax, ...parsePax(body)]);
        else if (flag === 'L') longName = text(body, 0, size);
        else if (flag === 'K') longLink = text(body, 0, size);
        continue; // global headers ('g') are read and ignored
      }
      const magic = text(h, 257, 6);
      const prefix = magic === 'ustar' ? text(h, 345, 155) : '';
      const rawName = text(h, 0, 100);
      const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${rawName}` : rawName);
      const linkname = pax.get('linkpath') ?? longLink ?? text(h, 157, 100);
      if (pax.has('size')) size = Number(pax.get('size'));
      const mtimeSec = pax.has('mtime') ? Number(pax.get('mtime')) : octal(h, 136, 12);
      let type = TYPES[flag] ?? `entry of tar type '${flag}'`;
      if (type === 'file' && name.endsWith('/')) type = 'dir'; // old tars mark folders by a trailing slash
      const header: TarHeader = { name, type, mode: octal(h, 100, 8), size: type === 'file' ? size : 0, mtime: new Date(mtimeSec * 1000), linkname };
      pax = new Map();
      longName = longLink = undefined;
      let left = size;
      const content = (async function* (): AsyncGenerator<Uint8Array> {
        while (left > 0) {
          const piece = await bytes.some(left);
          left -= piece.byteLength;
          yield piece;
        }
      })();
      yield { header, content };
      while (left > 0) left -= (await bytes.some(left)).byteLength; // what the consumer did not read
      const pad = padding(size);
      if (pad > 0 && (await bytes.exact(pad)) === null) throw new Error('the archive ended in the middle of an entry');
    }
  } finally {
    await it.return?.();
  }
}
