/**
 * Maps a file's (size, mtime, inode, ctime) to its content hash (and a symlink's to its
 * target), so that a no-op run hashes and reads nothing. It can cost time, never correctness:
 *  - an entry is trusted only when every stat field matches (ctime catches an inode
 *    reused by `mv`, Bazel #14723);
 *  - entries modified within TIMESTAMP_GRANULARITY_MS of the cache write are "racy"
 *    (racy-git): they are not stored, so they are hashed again next time;
 *  - the file is written atomically (temp + rename); a corrupt or foreign file is
 *    ignored with a warning.
 *
 * On disk (format 2) the rows are grouped by directory, each directory one flat array
 * `[name, size, mtimeMs, ino, ctimeMs, value, name, ...]`, which parses several times
 * faster than one object per path. A file of format 1 (one `path: row` per file) is read too.
 */
import type { Stats } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { byUtf8 } from '../core/order.js';

export const STAT_CACHE_FORMAT = 'mbuild-stat-cache-2';
const FORMAT_1 = 'mbuild-stat-cache-1';
/** Coarser than any file system we expect (FAT has 2 s). */
export const TIMESTAMP_GRANULARITY_MS = 2000;

/**
 * The rows of one directory: `flat` holds `[name, size, mtimeMs, ino, ctimeMs, value]` per
 * row (as read from the file, no copy; new rows are appended). Rows are saved in walk order,
 * so lookups in walk order are found at `cursor` without any index; `at` (the offset of each
 * name) is built only when a lookup misses there. `value` is a SHA-256 (hex) for a file,
 * `LINK` + target for a symlink.
 */
interface Dir {
  readonly flat: (string | number)[];
  at: Map<string, number> | null;
  cursor: number;
  /** Rows were appended: sort before saving. */
  unsorted: boolean;
}

function indexOf(d: Dir, name: string): number | undefined {
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

const WIDTH = 6;
const LINK = '@';

function splitPath(abs: string): [dir: string, name: string] {
  const i = abs.lastIndexOf('/');
  return i === -1 ? ['', abs] : [abs.slice(0, i), abs.slice(i + 1)];
}

const isRow = (v: unknown[]): boolean =>
  v.length === 5 && typeof v[0] === 'number' && typeof v[1] === 'number' && typeof v[2] === 'number' && typeof v[3] === 'number' && typeof v[4] === 'string';

function parse(text: string): { dirs: Map<string, Dir>; old: boolean } {
  const data = JSON.parse(text) as { format?: unknown; dirs?: unknown; rows?: unknown };
  const dirs = new Map<string, Dir>();
  if (data.format === STAT_CACHE_FORMAT && typeof data.dirs === 'object' && data.dirs !== null && !Array.isArray(data.dirs)) {
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
      dirs.set(dir, { flat: flat as (string | number)[], at: null, cursor: 0, unsorted: false });
    }
    return { dirs, old: false };
  }
  if (data.format === FORMAT_1 && typeof data.rows === 'object' && data.rows !== null) {
    for (const [k, v] of Object.entries(data.rows)) {
      if (!Array.isArray(v) || !isRow(v)) throw new Error(`bad row for ${k}`);
      const [dir, name] = splitPath(k);
      let d = dirs.get(dir);
      if (d === undefined) dirs.set(dir, (d = { flat: [], at: null, cursor: 0, unsorted: true }));
      d.flat.push(name, ...(v as (string | number)[]));
    }
    return { dirs, old: true };
  }
  throw new Error('not an mbuild stat cache');
}

export class StatCache {
  readonly #path: string;
  readonly #dirs: Map<string, Dir>;
  #dirty = false;
  /** The directory of the last lookup (lookups come in walk order). */
  #lastDir = '';
  #last: Dir | undefined;

  private constructor(path: string, dirs: Map<string, Dir>) {
    this.#path = path;
    this.#dirs = dirs;
  }

  static async load(path: string): Promise<{ cache: StatCache; warning?: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return { cache: new StatCache(path, new Map()) };
    }
    try {
      const { dirs, old } = parse(text);
      const cache = new StatCache(path, dirs);
      cache.#dirty = old; // rewritten in the current format
      return { cache };
    } catch (e) {
      return { cache: new StatCache(path, new Map()), warning: `ignoring the stat cache ${path}: ${(e as Error).message}; files will be hashed again` };
    }
  }

  #dir(dir: string, create: boolean): Dir | undefined {
    if (this.#last !== undefined && dir === this.#lastDir) return this.#last;
    let d = this.#dirs.get(dir);
    if (d === undefined && create) this.#dirs.set(dir, (d = { flat: [], at: new Map(), cursor: 0, unsorted: false }));
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
    const o = d === undefined ? undefined : indexOf(d, name);
    if (o === undefined) return undefined;
    const f = d!.flat;
    return f[o + 1] === st.size && f[o + 2] === st.mtimeMs && f[o + 3] === st.ino && f[o + 4] === st.ctimeMs ? (f[o + 5] as string) : undefined;
  }

  #set(abs: string, st: Stats, value: string): void {
    const [dir, name] = splitPath(abs);
    const d = this.#dir(dir, true)!;
    const f = d.flat;
    let o = indexOf(d, name);
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

  /** Writes atomically, leaving out racy entries. */
  async save(now = Date.now()): Promise<void> {
    if (!this.#dirty) return;
    const dirs: Record<string, (string | number)[]> = {};
    const limit = now - TIMESTAMP_GRANULARITY_MS;
    for (const [dir, d] of this.#dirs) {
      const f = d.flat;
      const offsets: number[] = [];
      for (let o = 0; o < f.length; o += WIDTH) offsets.push(o);
      if (d.unsorted) offsets.sort((a, b) => byUtf8(f[a] as string, f[b] as string));
      const out: (string | number)[] = [];
      for (const o of offsets) {
        if ((f[o + 2] as number) < limit && (f[o + 4] as number) < limit) out.push(f[o]!, f[o + 1]!, f[o + 2]!, f[o + 3]!, f[o + 4]!, f[o + 5]!);
      }
      if (out.length > 0) dirs[dir] = out;
    }
    await mkdir(dirname(this.#path), { recursive: true });
    await writeFileAtomic(this.#path, JSON.stringify({ format: STAT_CACHE_FORMAT, written: now, dirs }));
    this.#dirty = false;
  }
}
