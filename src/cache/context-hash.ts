/**
 * The context part of an image's key: every entry the build reads (what `ReadSet` selects,
 * after .dockerignore), with its type, mode and content hash or link target, walked and
 * hashed through the stat cache without sending a byte. Folders merely on the way to a
 * read are sent but are no input. A symlink a read matches or walks through is followed
 * inside the context as the builders follow it (`followingLinks`).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { followingLinks, type ReadSet, type SeenLink } from '../context/read-set.js';
import { readSmallFile } from '../context/small-file.js';
import type { ContextPlan } from '../context/source.js';
import { walkContextBatches, type WalkEntry } from '../context/walk.js';
import type { StatCache } from './stat-cache.js';

/** `[path, type, mode, sha256 | link target | '']`, in walk order. */
export type FileInput = readonly [string, 'file' | 'dir' | 'symlink', number, string];

export interface HashedContext {
  readonly files: readonly FileInput[];
  /** What was walked: the reads and the link targets they lead to (undefined: the whole context). */
  readonly select: ReadSet | undefined;
  /** Paths a read pattern matched itself (not only a folder above them). */
  readonly matched: ReadonlySet<string>;
  /** A path a read names was found: matched itself, or reached through a symlink on the way to it. */
  readonly found: (path: string) => boolean;
}

const HASH_CONCURRENCY = 16;

export async function hashFile(abs: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(abs, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function hashContext(plan: ContextPlan, select: ReadSet | undefined, cache: StatCache): Promise<HashedContext> {
  const settled = await followingLinks(select, (s) => hashOnce(plan, s, cache));
  const { files, matched, links } = settled.walked;
  const through = links.filter((l) => (settled.select?.wayTo(l.rel).length ?? 0) > 0).map((l) => `${l.rel}/`);
  // A path walked below a folder another read takes whole is there, though no pattern matched it itself.
  const walked = new Set(files.map((f) => f[0]));
  // A folder .dockerignore excludes is not sent itself, but what an exception re-includes below it is.
  const holds = (path: string) => files.some((f) => f[0].startsWith(`${path}/`));
  const found = (path: string) => matched.has(path) || walked.has(path) || through.some((l) => path.startsWith(l)) || holds(path);
  return { files, select: settled.select, matched, found };
}

interface Walked {
  readonly files: FileInput[];
  readonly links: SeenLink[];
  readonly matched: Set<string>;
}

async function hashOnce(plan: ContextPlan, select: ReadSet | undefined, cache: StatCache): Promise<Walked> {
  const out: Walked = { files: [], links: [], matched: new Set() };
  const pool = new HashPool();
  // The stat-ahead walk: a no-op run is one lstat per read entry and a map lookup, nothing read.
  // Folders that did not change since the last walk are not listed again (their listings are in the stat cache).
  const walk = walkContextBatches({
    root: plan.root,
    rootStats: plan.rootStats,
    ...(plan.dockerfileStats !== undefined && { rootChild: plan.dockerfileStats }),
    matcher: plan.matcher,
    forceInclude: plan.forceInclude,
    omit: plan.omit,
    select,
    statAhead: true,
    listings: cache,
  });
  for await (const batch of walk) {
    for (const e of batch) {
      if (e.selection === 'match') out.matched.add(e.rel);
      // A folder on the way to a read is sent, but nothing of it reaches the image.
      if (e.kind === 'dir' && e.selection === 'on-way') continue;
      const row: [string, 'file' | 'dir' | 'symlink', number, string] = [e.rel, e.kind, e.stats.mode & 0o7777, ''];
      out.files.push(row);
      if (e.kind === 'symlink') {
        row[3] = cache.getLink(e.abs, e.stats) ?? (await linkTarget(e, cache));
        if (select !== undefined) out.links.push({ rel: e.rel, target: row[3] });
      } else if (e.kind === 'file') {
        // A no-op's path: the cached hash, without a promise per file.
        const cached = cache.get(e.abs, e.stats);
        if (cached !== undefined) row[3] = cached;
        else await pool.hash(e, row, cache);
      }
    }
  }
  await pool.drain();
  return out;
}

/** A symlink's target the stat cache does not have. */
async function linkTarget(e: WalkEntry, cache: StatCache): Promise<string> {
  const target = await readlink(e.abs);
  cache.setLink(e.abs, e.stats, target);
  return target;
}

/** File hashes the stat cache does not have: read at once when small, else streamed, HASH_CONCURRENCY at a time. */
class HashPool {
  readonly #pending: Promise<void>[] = [];
  readonly #waiters: (() => void)[] = [];
  #inFlight = 0;

  /** A file the stat cache does not have. */
  async hash(e: WalkEntry, row: [string, string, number, string], cache: StatCache): Promise<void> {
    const small = readSmallFile(e);
    if (small !== undefined) {
      row[3] = createHash('sha256').update(small.data).digest('hex');
      cache.set(e.abs, e.stats, row[3]);
      return;
    }
    while (this.#inFlight >= HASH_CONCURRENCY) await new Promise<void>((r) => this.#waiters.push(r));
    this.#inFlight++;
    this.#pending.push(
      hashFile(e.abs)
        .then((h) => {
          row[3] = h;
          cache.set(e.abs, e.stats, h);
        })
        .finally(() => {
          this.#inFlight--;
          this.#waiters.shift()?.();
        }),
    );
  }

  drain(): Promise<unknown> {
    return Promise.all(this.#pending);
  }
}
