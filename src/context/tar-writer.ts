/**
 * The byte level of a context tar, made for throughput: header encoding (ustar with the
 * prefix field; PAX `path`/`linkpath` records for names that are long or not ASCII, as
 * tar-stream does; base-256 sizes past 8 GiB) and TarStream, a Node Readable the producer
 * pushes into with backpressure. Contents are pushed as they come (no copies).
 */
import { Readable } from 'node:stream';

export type TarType = 'file' | 'directory' | 'symlink' | 'link';

export interface HeaderFields {
  readonly name: string;
  readonly type: TarType;
  /** Permission bits. */
  readonly mode: number;
  readonly size: number;
  readonly mtime: Date;
  readonly linkname?: string;
}

export const CHUNK = 128 * 1024;
const FLAG: Record<TarType | 'pax', number> = { file: 0x30, link: 0x31, symlink: 0x32, directory: 0x35, pax: 0x78 };
export const END_OF_ARCHIVE = Buffer.alloc(1024);
const ZEROS = Buffer.alloc(512);

/** Padding after `size` content bytes, up to the next 512-byte block. */
export const paddingOf = (size: number): Buffer => ZEROS.subarray(0, (512 - (size % 512)) % 512);

/** The fields every header shares: uid and gid 0, no user or group names, ustar magic, no device numbers. */
const TEMPLATE = (() => {
  const b = Buffer.alloc(512);
  const ids = '000000 \x00000000 \x00';
  b.write(ids, 108, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  b.write(ids, 329, 'latin1');
  return b;
})();

/** Writes `v` as `digits` octal digits and a space at `off` (all 7s when it does not fit, as tar-stream does). */
function writeOct(b: Buffer, off: number, v: number, digits: number): void {
  let s = Math.max(0, Math.floor(v)).toString(8);
  if (s.length > digits) s = '7'.repeat(digits);
  const pad = digits - s.length;
  for (let i = 0; i < pad; i++) b[off + i] = 0x30;
  for (let i = 0; i < s.length; i++) b[off + pad + i] = s.charCodeAt(i);
  b[off + digits] = 0x20;
}

function block(name: string, h: HeaderFields, flag: number, size: number, linkname: string, prefix: string): Buffer {
  const b = Buffer.allocUnsafe(512);
  TEMPLATE.copy(b);
  b.write(name, 0, 100, 'utf8');
  writeOct(b, 100, h.mode & 0o7777, 6);
  if (size > 0o77777777777) {
    b[124] = 0x80;
    for (let i = 11, n = size; i > 0; i--, n = Math.floor(n / 256)) b[124 + i] = n % 256;
  } else writeOct(b, 124, size, 11);
  writeOct(b, 136, h.mtime.getTime() / 1000, 11);
  b[156] = flag;
  if (linkname) b.write(linkname, 157, 100, 'utf8');
  if (prefix) b.write(prefix, 345, 155, 'utf8');
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += b[i]!;
  for (let i = 156; i < 512; i++) sum += b[i]!;
  writeOct(b, 148, sum, 6);
  b[155] = 0;
  return b;
}

/** name/prefix for plain ustar, or null when PAX is needed. */
function ustarName(name: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(name) !== name.length) return null; // not ASCII
  let rest = name;
  let prefix = '';
  while (rest.length > 100) {
    const i = rest.indexOf('/');
    if (i === -1) return null;
    prefix += prefix ? `/${rest.slice(0, i)}` : rest.slice(0, i);
    rest = rest.slice(i + 1);
  }
  return rest.length > 100 || prefix.length > 155 ? null : { name: rest, prefix };
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const len = Buffer.byteLength(body);
  let digits = String(len).length;
  if (len + digits >= 10 ** digits) digits++;
  return `${len + digits}${body}`;
}

/** The header block(s) of one entry: one ustar block, or a PAX header, its records and a ustar block. */
export function encodeHeader(h: HeaderFields): Buffer[] {
  const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const linkname = h.linkname ?? '';
  const plain = ustarName(name);
  if (plain && Buffer.byteLength(linkname) <= 100) return [block(plain.name, h, FLAG[h.type], h.size, linkname, plain.prefix)];
  const records = Buffer.from(paxRecord('path', name) + (linkname ? paxRecord('linkpath', linkname) : ''), 'utf8');
  const paxLink = linkname ? 'PaxHeader' : '';
  return [
    block('PaxHeader', h, FLAG.pax, records.byteLength, paxLink, ''),
    records,
    paddingOf(records.byteLength),
    block('PaxHeader', h, FLAG[h.type], h.size, paxLink, ''),
  ];
}

/**
 * A Readable the producer writes into: `write()` resolves once the consumer wants more
 * (backpressure), and rejects once the stream was destroyed, which stops the producer.
 * The producer starts on the first read.
 */
export class TarStream extends Readable {
  #start: (() => void) | null;
  #wake: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(start: () => void) {
    super({ highWaterMark: CHUNK });
    this.#start = start;
  }

  override _read(): void {
    const start = this.#start;
    this.#start = null;
    start?.();
    const wake = this.#wake;
    this.#wake = null;
    wake?.resolve();
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.destroyed) return Promise.reject(new Error('tar stream closed'));
    if (chunk.byteLength === 0 || this.push(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => (this.#wake = { resolve, reject }));
  }

  /** Writes the end-of-archive blocks and ends the stream. */
  finish(): void {
    this.push(END_OF_ARCHIVE);
    this.push(null);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.reject(error ?? new Error('tar stream closed'));
    cb(error);
  }
}
