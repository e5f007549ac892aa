/**
 * Maps a file's (size, mtime, inode, ctime) to its content hash (and a symlink's to its
 * target), so that a no-op run hashes and reads nothing. It can cost time, never correctness:
 *  - an entry is trusted only when every stat field matches (ctime catches an inode
 *    reused by `mv`, Bazel #14723);
 *  - entries modified within TIMESTAMP_GRANULARITY_MS of the cache write are "racy"
 *    (racy-git): they are not stored, so they are hashed again next time;
 *  - the file is written atomically (temp + rename), and only when an entry changed; a
 *    corrupt or foreign file is ignored with a warning.
 *
 * On disk (format 3, binary, little-endian) a header (`MAGIC`, the write time as a float64,
 * the number of folders, the number of listings and the index's bytes as uint32s, a zero
 * uint32), the index (the records' paths, a JSON array), where each record starts (a uint32
 * per record, and the file's end), then one record per folder:
 *
 *   uint32 rows, uint32 path bytes, uint32 names bytes, uint32 values bytes,
 *   the folder's path (UTF-8), its rows' names (UTF-8, each ended by a NUL, in walk order),
 *   their values (each ended by a NUL), rows x 4 float64 (size, mtimeMs, ino, ctimeMs).
 *
 * then one record per folder listing (what `readdir` gave for a folder, trusted while the
 * folder's own lstat fields all match, as a file's hash is: a folder's mtime and ctime change
 * when an entry is added, removed or renamed in it; git's untracked cache relies on it too):
 *
 *   uint32 names, uint32 path bytes, uint32 names bytes, uint32 zero,
 *   the folder's path, its names (each ended by a NUL, in walk order), one byte per name
 *   (1: a folder), 4 float64 (size, mtimeMs, ino, ctimeMs of the folder).
 *
 * A value is a SHA-256 (hex) for a file, `LINK` + target for a symlink. Loading decodes the
 * index only: a record is parsed when a walk first looks its folder up (its names and values:
 * two strings, no object per row; its numbers: one copy), and a record nothing changed in is
 * saved as the bytes it was read from. The JSON of formats 1 and 2 is read too
 * (and rewritten in format 3).
 */
import type { Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { byUtf8 } from '../core/order.js';

const MAGIC = Buffer.from('MBSTAT3\n', 'latin1');
const HEADER = MAGIC.length + 24;
const RECORD_HEADER = 16;
const FORMAT_2 = 'mbuild-stat-cache-2';
const FORMAT_1 = 'mbuild-stat-cache-1';
/** Coarser than any file system we expect (FAT has 2 s). */
export const TIMESTAMP_GRANULARITY_MS = 2000;

/** Row fields: the name, the four numbers, the value. */
const WIDTH = 6;
const LINK = '@';

/** A folder's record as read from the file, decoded when first looked up. */
interface Packed {
  readonly buf: Buffer;
  /** The whole record: saved as it is while nothing in the folder changed. */
  readonly start: number;
  readonly end: number;
  readonly rows: number;
  readonly namesAt: number;
  readonly namesBytes: number;
  readonly valuesBytes: number;
  readonly numsAt: number;
  decoded?: Decoded | null;
}

interface Decoded {
  readonly names: string;
  readonly values: string;
  /**
   * Where each row's name (value) starts, and one more: the end. Plain arrays of small
   * integers: a typed array costs an ArrayBuffer and a backing store per folder.
   */
  readonly nameAt: number[];
  readonly valueAt: number[];
}

/** Field `k` (size, mtimeMs, ino, ctimeMs) of row `r` of a packed folder, read where it lies in the file. */
const numOf = (p: Packed, r: number, k: number): number => p.buf.readDoubleLE(p.numsAt + r * 32 + k * 8);

/**
 * The rows of one directory: `packed` as read (no copy) until a row is set, then `flat`:
 * `[name, size, mtimeMs, ino, ctimeMs, value]` per row. Rows are saved in walk order, so
 * lookups in walk order are found at `cursor` (a row) without any index; `at` (name -> row)
 * is built only when a lookup misses there.
 */
interface Dir {
  packed: Packed | null;
  flat: (string | number)[] | null;
  at: Map<string, number> | null;
  cursor: number;
  /** Rows were appended: sort before saving. */
  unsorted: boolean;
}

/** The names and values of a packed folder, with where each starts (one more start: the end). */
function decode(p: Packed): Decoded | null {
  if (p.decoded !== undefined) return p.decoded;
  const names = p.buf.toString('utf8', p.namesAt, p.namesAt + p.namesBytes);
  const values = p.buf.toString('utf8', p.namesAt + p.namesBytes, p.namesAt + p.namesBytes + p.valuesBytes);
  const starts = (s: string): number[] | null => {
    const at: number[] = [];
    let pos = 0;
    for (let r = 0; r < p.rows; r++) {
      const nul = s.indexOf('\0', pos);
      if (nul === -1) return null;
      at.push(pos);
      pos = nul + 1;
    }
    at.push(pos);
    return pos === s.length ? at : null;
  };
  const nameAt = starts(names);
  const valueAt = starts(values);
  // A damaged record is a folder with no rows: its files are hashed again.
  p.decoded = nameAt && valueAt ? { names, values, nameAt, valueAt } : null;
  return p.decoded;
}

/** The row of `name` in a folder (flat: the offset of its first field; packed: its index). */
function rowOf(d: Dir, name: string): number | undefined {
  if (d.flat !== null) {
    const f = d.flat;
    if (f[d.cursor] === name) {
      const o = d.cursor;
      d.cursor += WIDTH;
      return o;
    }
    if (d.at === null) {
      d.at = new Map();
      for (let i = 0; i < f.length; i += WIDTH) d.at.set(f[i] as string, i);
    }
    const o = d.at.get(name);
    if (o !== undefined) d.cursor = o + WIDTH;
    return o;
  }
  const p = d.packed!;
  const dec = decode(p);
  if (dec === null) return undefined;
  const r = d.cursor;
  if (r < p.rows && dec.nameAt[r + 1]! - dec.nameAt[r]! === name.length + 1 && dec.names.startsWith(name, dec.nameAt[r])) {
    d.cursor++;
    return r;
  }
  if (d.at === null) {
    d.at = new Map();
    for (let i = 0; i < p.rows; i++) d.at.set(dec.names.slice(dec.nameAt[i], dec.nameAt[i + 1]! - 1), i);
  }
  const found = d.at.get(name);
  if (found !== undefined) d.cursor = found + 1;
  return found;
}

/** The rows of a packed folder as a flat array (it is about to change). */
function unpack(d: Dir): (string | number)[] {
  if (d.flat !== null) return d.flat;
  const p = d.packed!;
  const dec = decode(p);
  const flat: (string | number)[] = [];
  for (let r = 0; dec !== null && r < p.rows; r++) {
    flat.push(
      dec.names.slice(dec.nameAt[r], dec.nameAt[r + 1]! - 1),
      numOf(p, r, 0),
      numOf(p, r, 1),
      numOf(p, r, 2),
      numOf(p, r, 3),
      dec.values.slice(dec.valueAt[r], dec.valueAt[r + 1]! - 1),
    );
  }
  d.packed = null;
  d.flat = flat;
  d.at = null;
  d.cursor = d.cursor * WIDTH;
  return flat;
}

function splitPath(abs: string): [dir: string, name: string] {
  const i = abs.lastIndexOf('/');
  return i === -1 ? ['', abs] : [abs.slice(0, i), abs.slice(i + 1)];
}

/** A folder's names as a walk lists them, and which are folders; `st` the folder's lstat fields then. */
export interface CachedListing {
  readonly names: string[];
  readonly isDir: Uint8Array;
}

interface ListingRow {
  /** size, mtimeMs, ino, ctimeMs. */
  readonly st: readonly number[];
  /** Undefined until a row read from the file is first asked for (then decoded from `packed`). */
  listing: CachedListing | undefined;
  /** A row read from the file: where its record lies there (saved as those bytes). */
  readonly packed?: PackedListing;
}

interface PackedListing {
  readonly buf: Buffer;
  readonly start: number;
  readonly end: number;
  readonly count: number;
  readonly namesAt: number;
  readonly kindsAt: number;
}

const statFields = (st: Stats): number[] => [st.size, st.mtimeMs, st.ino, st.ctimeMs];

/** The listing record at `o`, ending at `end` (the next record's start); undefined when it is damaged. */
function parseListing(buf: Buffer, o: number, end: number): ListingRow | undefined {
  if (o + RECORD_HEADER > end || end > buf.length) return undefined;
  const count = buf.readUInt32LE(o);
  const namesAt = o + RECORD_HEADER + buf.readUInt32LE(o + 4);
  const kindsAt = namesAt + buf.readUInt32LE(o + 8);
  const stAt = kindsAt + count;
  if (stAt + 32 !== end) return undefined;
  const st = [buf.readDoubleLE(stAt), buf.readDoubleLE(stAt + 8), buf.readDoubleLE(stAt + 16), buf.readDoubleLE(stAt + 24)];
  return { st, listing: undefined, packed: { buf, start: o, end, count, namesAt, kindsAt } };
}

/** The names and kinds of a listing read from the file; undefined when they are damaged (the folder is listed again). */
function decodeListing(p: PackedListing): CachedListing | undefined {
  const names = p.buf.toString('utf8', p.namesAt, p.kindsAt).split('\0');
  if (names.pop() !== '' || names.length !== p.count) return undefined;
  // A view of the file's bytes (kept for the whole run anyway), not a copy: no ArrayBuffer per folder.
  return { names, isDir: new Uint8Array(p.buf.buffer, p.buf.byteOffset + p.kindsAt, p.count) };
}

function encodeListing(path: string, row: ListingRow, limit: number): Buffer[] {
  if (!(row.st[1]! < limit && row.st[3]! < limit)) return []; // racy: the folder may change again within the same tick
  if (row.packed !== undefined) return [row.packed.buf.subarray(row.packed.start, row.packed.end)];
  const l = row.listing!;
  const p = Buffer.from(path, 'utf8');
  const names = Buffer.from(l.names.map((n) => `${n}\0`).join(''), 'utf8');
  const head = Buffer.alloc(RECORD_HEADER);
  head.writeUInt32LE(l.names.length, 0);
  head.writeUInt32LE(p.length, 4);
  head.writeUInt32LE(names.length, 8);
  const st = Buffer.alloc(32);
  row.st.forEach((v, k) => st.writeDoubleLE(v, k * 8));
  return [head, p, names, Buffer.from(l.isDir), st];
}

const flatDir = (flat: (string | number)[], unsorted: boolean): Dir => ({ packed: null, flat, at: null, cursor: 0, unsorted });

/** The record `key` has in `decoded`; else decoded once from the file (`offsets`: where each record not yet decoded is) and kept. */
function kept<T>(decoded: Map<string, T>, key: string, offsets: Map<string, number> | undefined, decode: (at: number) => T | undefined): T | undefined {
  const known = decoded.get(key);
  const at = known === undefined ? offsets?.get(key) : undefined;
  if (at === undefined) return known;
  offsets!.delete(key);
  const record = decode(at);
  if (record !== undefined) decoded.set(key, record);
  return record;
}

/**
 * The records of a binary file, found by path when first asked for: the header's index (the
 * paths, one JSON array, decoded at once) and where each record starts; a record is parsed when
 * its folder is first looked up, and saved as its bytes if it never was.
 */
class Index {
  readonly dirs = new Map<string, number>();
  readonly listings = new Map<string, number>();

  constructor(
    readonly buf: Buffer,
    readonly paths: string[],
    readonly dirCount: number,
    /** Where the offsets (one more than records) start. */
    readonly offsetsAt: number,
  ) {
    for (let i = 0; i < paths.length; i++) (i < dirCount ? this.dirs : this.listings).set(paths[i]!, i);
  }

  start(i: number): number {
    return this.buf.readUInt32LE(this.offsetsAt + 4 * i);
  }

  bytes(i: number): Buffer {
    return this.buf.subarray(this.start(i), this.start(i + 1));
  }

  /** The folder record `i`; undefined when it is damaged (its files are hashed again). */
  dir(i: number): Dir | undefined {
    const buf = this.buf;
    const o = this.start(i);
    const end = this.start(i + 1);
    if (o + RECORD_HEADER > end || end > buf.length) return undefined;
    const rows = buf.readUInt32LE(o);
    const namesAt = o + RECORD_HEADER + buf.readUInt32LE(o + 4);
    const namesBytes = buf.readUInt32LE(o + 8);
    const valuesBytes = buf.readUInt32LE(o + 12);
    const numsAt = namesAt + namesBytes + valuesBytes;
    if (numsAt + rows * 32 !== end) return undefined;
    return { packed: { buf, start: o, end, rows, namesAt, namesBytes, valuesBytes, numsAt }, flat: null, at: null, cursor: 0, unsorted: false };
  }

  /** The listing record `i`; undefined when it is damaged (the folder is listed again). */
  listing(i: number): ListingRow | undefined {
    return parseListing(this.buf, this.start(i), this.start(i + 1));
  }
}

function parseBinary(buf: Buffer): Index {
  if (buf.length < HEADER) throw new Error('truncated');
  const dirCount = buf.readUInt32LE(MAGIC.length + 8);
  const listingCount = buf.readUInt32LE(MAGIC.length + 12);
  const indexBytes = buf.readUInt32LE(MAGIC.length + 16);
  const n = dirCount + listingCount;
  const offsetsAt = HEADER + indexBytes;
  if (offsetsAt + 4 * (n + 1) > buf.length) throw new Error('truncated');
  const paths: unknown = JSON.parse(buf.toString('utf8', HEADER, offsetsAt));
  if (!Array.isArray(paths) || paths.length !== n || paths.some((p) => typeof p !== 'string')) throw new Error('bad index');
  const index = new Index(buf, paths as string[], dirCount, offsetsAt);
  if (index.start(0) !== offsetsAt + 4 * (n + 1) || index.start(n) !== buf.length) throw new Error('truncated');
  return index;
}

const isRow = (v: unknown[]): boolean =>
  v.length === 5 && typeof v[0] === 'number' && typeof v[1] === 'number' && typeof v[2] === 'number' && typeof v[3] === 'number' && typeof v[4] === 'string';

/** The JSON of formats 1 and 2. */
function parseJson(text: string): Map<string, Dir> {
  const data = JSON.parse(text) as { format?: unknown; dirs?: unknown; rows?: unknown };
  const dirs = new Map<string, Dir>();
  if (data.format === FORMAT_2 && typeof data.dirs === 'object' && data.dirs !== null && !Array.isArray(data.dirs)) {
    const all = data.dirs as Record<string, unknown>;
    for (const dir in all) {
      const flat = all[dir];
      if (!Array.isArray(flat) || flat.length % WIDTH !== 0) throw new Error(`bad rows for ${dir}`);
      for (let i = 0; i < flat.length; i += WIDTH) {
        const name: unknown = flat[i];
        if (
          typeof name !== 'string' ||
          typeof flat[i + 1] !== 'number' ||
          typeof flat[i + 2] !== 'number' ||
          typeof flat[i + 3] !== 'number' ||
          typeof flat[i + 4] !== 'number' ||
          typeof flat[i + 5] !== 'string'
        ) {
          throw new Error(`bad row for ${dir}/${String(name)}`);
        }
      }
      dirs.set(dir, flatDir(flat as (string | number)[], false));
    }
    return dirs;
  }
  if (data.format === FORMAT_1 && typeof data.rows === 'object' && data.rows !== null) {
    for (const [k, v] of Object.entries(data.rows)) {
      if (!Array.isArray(v) || !isRow(v)) throw new Error(`bad row for ${k}`);
      const [dir, name] = splitPath(k);
      let d = dirs.get(dir);
      if (d === undefined) dirs.set(dir, (d = flatDir([], true)));
      d.flat!.push(name, ...(v as (string | number)[]));
    }
    return dirs;
  }
  throw new Error('not an mbuild stat cache');
}

/** One folder's record, of the rows written before `limit` (the others are racy). */
function encodeDir(dir: string, d: Dir, limit: number): Buffer[] {
  if (d.packed !== null) return d.packed.rows === 0 || decode(d.packed) === null ? [] : [d.packed.buf.subarray(d.packed.start, d.packed.end)];
  const f = d.flat!;
  const offsets: number[] = [];
  for (let o = 0; o < f.length; o += WIDTH) if ((f[o + 2] as number) < limit && (f[o + 4] as number) < limit) offsets.push(o);
  if (offsets.length === 0) return [];
  if (d.unsorted) offsets.sort((a, b) => byUtf8(f[a] as string, f[b] as string));
  const path = Buffer.from(dir, 'utf8');
  const names = Buffer.from(offsets.map((o) => `${f[o] as string}\0`).join(''), 'utf8');
  const values = Buffer.from(offsets.map((o) => `${f[o + 5] as string}\0`).join(''), 'utf8');
  const nums = Buffer.allocUnsafe(offsets.length * 32);
  offsets.forEach((o, r) => {
    for (let k = 0; k < 4; k++) nums.writeDoubleLE(f[o + 1 + k] as number, r * 32 + k * 8);
  });
  const head = Buffer.alloc(RECORD_HEADER);
  head.writeUInt32LE(offsets.length, 0);
  head.writeUInt32LE(path.length, 4);
  head.writeUInt32LE(names.length, 8);
  head.writeUInt32LE(values.length, 12);
  return [head, path, names, values, nums];
}

export class StatCache {
  readonly #path: string;
  readonly #dirs: Map<string, Dir>;
  readonly #listings: Map<string, ListingRow>;
  /** The records of the file read, not yet parsed into #dirs and #listings. */
  readonly #index: Index | undefined;
  #dirty = false;
  /** The directory of the last lookup (lookups come in walk order). */
  #lastDir = '';
  #last: Dir | undefined;

  private constructor(path: string, dirs: Map<string, Dir>, index?: Index) {
    this.#path = path;
    this.#dirs = dirs;
    this.#listings = new Map();
    this.#index = index;
  }

  static async load(path: string): Promise<{ cache: StatCache; warning?: string }> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch {
      return { cache: new StatCache(path, new Map()) };
    }
    try {
      const binary = buf.subarray(0, MAGIC.length).equals(MAGIC);
      const cache = binary ? new StatCache(path, new Map(), parseBinary(buf)) : new StatCache(path, parseJson(buf.toString('utf8')));
      cache.#dirty = !binary; // rewritten in the current format
      return { cache };
    } catch (e) {
      return { cache: new StatCache(path, new Map()), warning: `ignoring the stat cache ${path}: ${(e as Error).message}; files will be hashed again` };
    }
  }

  #dir(dir: string, create: boolean): Dir | undefined {
    if (this.#last !== undefined && dir === this.#lastDir) return this.#last;
    let d = kept(this.#dirs, dir, this.#index?.dirs, (i) => this.#index!.dir(i));
    if (d === undefined && create) this.#dirs.set(dir, (d = { packed: null, flat: [], at: new Map(), cursor: 0, unsorted: false }));
    if (d !== undefined) {
      this.#lastDir = dir;
      this.#last = d;
    }
    return d;
  }

  /** The stored value for `abs` if every stat field matches. */
  #value(abs: string, st: Stats): string | undefined {
    const [dir, name] = splitPath(abs);
    const d = this.#dir(dir, false);
    const r = d === undefined ? undefined : rowOf(d, name);
    if (r === undefined) return undefined;
    if (d!.flat !== null) {
      const f = d!.flat;
      return f[r + 1] === st.size && f[r + 2] === st.mtimeMs && f[r + 3] === st.ino && f[r + 4] === st.ctimeMs ? (f[r + 5] as string) : undefined;
    }
    const p = d!.packed!;
    const dec = p.decoded!;
    if (numOf(p, r, 0) !== st.size || numOf(p, r, 1) !== st.mtimeMs || numOf(p, r, 2) !== st.ino || numOf(p, r, 3) !== st.ctimeMs) return undefined;
    return dec.values.slice(dec.valueAt[r], dec.valueAt[r + 1]! - 1);
  }

  #set(abs: string, st: Stats, value: string): void {
    const [dir, name] = splitPath(abs);
    const d = this.#dir(dir, true)!;
    if (d.packed !== null && this.#value(abs, st) === value) return;
    const f = unpack(d);
    let o = rowOf(d, name);
    if (o !== undefined && f[o + 5] === value && f[o + 2] === st.mtimeMs && f[o + 4] === st.ctimeMs && f[o + 1] === st.size && f[o + 3] === st.ino) return;
    if (o === undefined) {
      o = f.length;
      if (o > 0) d.unsorted = true;
      d.at?.set(name, o);
      f.push(name, 0, 0, 0, 0, '');
      d.cursor = o + WIDTH;
    }
    f[o + 1] = st.size;
    f[o + 2] = st.mtimeMs;
    f[o + 3] = st.ino;
    f[o + 4] = st.ctimeMs;
    f[o + 5] = value;
    this.#dirty = true;
  }

  /** The cached hash of the file `abs` if its stat data is unchanged. */
  get(abs: string, st: Stats): string | undefined {
    const value = this.#value(abs, st);
    return value === undefined || value.startsWith(LINK) ? undefined : value;
  }

  set(abs: string, st: Stats, hash: string): void {
    this.#set(abs, st, hash);
  }

  /** The cached target of the symlink `abs` if its stat data is unchanged. */
  getLink(abs: string, st: Stats): string | undefined {
    const value = this.#value(abs, st);
    return value?.startsWith(LINK) ? value.slice(LINK.length) : undefined;
  }

  setLink(abs: string, st: Stats, target: string): void {
    this.#set(abs, st, LINK + target);
  }

  /** The listing of the folder `abs` if its lstat fields are those it had when it was listed. */
  getListing(abs: string, st: Stats): CachedListing | undefined {
    const row = kept(this.#listings, abs, this.#index?.listings, (i) => this.#index!.listing(i));
    if (row === undefined || row.st[0] !== st.size || row.st[1] !== st.mtimeMs || row.st[2] !== st.ino || row.st[3] !== st.ctimeMs) return undefined;
    if (row.listing === undefined && row.packed !== undefined) row.listing = decodeListing(row.packed);
    return row.listing;
  }

  /**
   * Records what listing the folder `abs` gave, `st` its lstat taken before it was listed. A
   * folder changed within TIMESTAMP_GRANULARITY_MS is racy (an entry added in the same tick would
   * leave its mtime as it was): not kept, even for this process (a watch session's next run).
   */
  setListing(abs: string, st: Stats, listing: CachedListing, now = Date.now()): void {
    if (!(st.mtimeMs < now - TIMESTAMP_GRANULARITY_MS && st.ctimeMs < now - TIMESTAMP_GRANULARITY_MS)) return;
    if (this.getListing(abs, st) !== undefined) return;
    this.#listings.set(abs, { st: statFields(st), listing });
    this.#dirty = true;
  }

  /** Writes atomically, leaving out racy entries; nothing when no entry changed since the load. */
  async save(now = Date.now()): Promise<void> {
    if (!this.#dirty) return;
    const limit = now - TIMESTAMP_GRANULARITY_MS;
    const paths: string[] = [];
    const records: Buffer[][] = [];
    const add = (path: string, record: Buffer[]) => {
      if (record.length === 0) return;
      paths.push(path);
      records.push(record);
    };
    // Records never parsed are saved as read (they were not racy when written, so are not now).
    const index = this.#index;
    for (const [dir, d] of this.#dirs) add(dir, encodeDir(dir, d, limit));
    for (const [dir, i] of index?.dirs ?? []) add(dir, [index!.bytes(i)]);
    const dirCount = paths.length;
    for (const [path, row] of this.#listings) add(path, encodeListing(path, row, limit));
    for (const [path, i] of index?.listings ?? []) add(path, [index!.bytes(i)]);
    const json = Buffer.from(JSON.stringify(paths), 'utf8');
    const offsets = Buffer.alloc(4 * (paths.length + 1));
    let at = HEADER + json.length + offsets.length;
    records.forEach((record, i) => {
      offsets.writeUInt32LE(at, 4 * i);
      for (const b of record) at += b.length;
    });
    offsets.writeUInt32LE(at, 4 * paths.length);
    const head = Buffer.alloc(HEADER);
    MAGIC.copy(head);
    head.writeDoubleLE(now, MAGIC.length);
    head.writeUInt32LE(dirCount, MAGIC.length + 8);
    head.writeUInt32LE(paths.length - dirCount, MAGIC.length + 12);
    head.writeUInt32LE(json.length, MAGIC.length + 16);
    await mkdir(dirname(this.#path), { recursive: true });
    await writeFileAtomic(this.#path, Buffer.concat([head, json, offsets, ...records.flat()]));
    this.#dirty = false;
  }
}
