/**
 * Maps a file's (size, mtime, inode, ctime) to its content hash, so that a no-op run
 * hashes nothing. It can cost time, never correctness:
 *  - an entry is trusted only when every stat field matches (ctime catches an inode
 *    reused by `mv`, Bazel #14723);
 *  - entries modified within TIMESTAMP_GRANULARITY_MS of the cache write are "racy"
 *    (racy-git): they are not stored, so they are hashed again next time;
 *  - the file is written atomically (temp + rename); a corrupt or foreign file is
 *    ignored with a warning.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const STAT_CACHE_FORMAT = 'mbuild-stat-cache-1';
/** Coarser than any file system we expect (FAT has 2 s). */
export const TIMESTAMP_GRANULARITY_MS = 2000;

type Row = [size: number, mtimeMs: number, ino: number, ctimeMs: number, hash: string];

export class StatCache {
  readonly #path: string;
  readonly #rows: Map<string, Row>;
  #dirty = false;

  private constructor(path: string, rows: Map<string, Row>) {
    this.#path = path;
    this.#rows = rows;
  }

  static async load(path: string): Promise<{ cache: StatCache; warning?: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return { cache: new StatCache(path, new Map()) };
    }
    try {
      const data = JSON.parse(text) as { format?: unknown; rows?: unknown };
      if (data.format !== STAT_CACHE_FORMAT || typeof data.rows !== 'object' || data.rows === null) throw new Error('not an mbuild stat cache');
      const rows = new Map<string, Row>();
      for (const [k, v] of Object.entries(data.rows)) {
        if (!Array.isArray(v) || v.length !== 5 || typeof v[4] !== 'string' || !v.slice(0, 4).every((n) => typeof n === 'number')) throw new Error(`bad row for ${k}`);
        rows.set(k, v as Row);
      }
      return { cache: new StatCache(path, rows) };
    } catch (e) {
      return { cache: new StatCache(path, new Map()), warning: `ignoring the stat cache ${path}: ${(e as Error).message}; files will be hashed again` };
    }
  }

  /** The cached hash of `abs` if its stat data is unchanged. */
  get(abs: string, st: Stats): string | undefined {
    const row = this.#rows.get(abs);
    if (row === undefined) return undefined;
    return row[0] === st.size && row[1] === st.mtimeMs && row[2] === st.ino && row[3] === st.ctimeMs ? row[4] : undefined;
  }

  set(abs: string, st: Stats, hash: string): void {
    const row = this.#rows.get(abs);
    if (row && row[4] === hash && row[1] === st.mtimeMs && row[3] === st.ctimeMs && row[0] === st.size && row[2] === st.ino) return;
    this.#rows.set(abs, [st.size, st.mtimeMs, st.ino, st.ctimeMs, hash]);
    this.#dirty = true;
  }

  /** Writes atomically, leaving out racy entries. */
  async save(now = Date.now()): Promise<void> {
    if (!this.#dirty) return;
    const rows: Record<string, Row> = {};
    for (const [k, row] of this.#rows) {
      if (row[1] < now - TIMESTAMP_GRANULARITY_MS && row[3] < now - TIMESTAMP_GRANULARITY_MS) rows[k] = row;
    }
    await mkdir(dirname(this.#path), { recursive: true });
    const tmp = `${this.#path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ format: STAT_CACHE_FORMAT, written: now, rows }));
      await rename(tmp, this.#path);
      this.#dirty = false;
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
