/**
 * Reading a container's view of an image (GET /containers/{id}/archive) as a stream of
 * `Meta` (content hashed as it streams, never buffered), and the FALLBACK comparison:
 * a merge-join of A's and B's archives of the mount path.
 *
 * The daemon writes archives in Go's filepath.Walk order (per directory, names sorted
 * bytewise; see `compareWalk`). The merge-join depends on it, so every archive is checked
 * as it is read and a violation fails loudly instead of producing a wrong diff.
 */
import type { Engine } from '../docker/engine.js';
import {
  absOf,
  cleanName,
  compareWalk,
  counted,
  DiffError,
  drain,
  initOwned,
  isBelow,
  joinRel,
  readMember,
  sameEntry,
  statMeta,
  tarEntries,
  type DiffStats,
  type Meta,
} from './diff-tar.js';

export interface ArchiveSource {
  readonly engine: Engine;
  readonly container: string;
  /** Normalized absolute mount path. */
  readonly mountPath: string;
  readonly signal: AbortSignal;
  readonly stats: DiffStats;
}

/** The archive's member name (rooted at the basename of `abs`) → a name relative to the mount path. */
export function archiveRel(member: string, abs: string, rel: string): string {
  const n = cleanName(member);
  if (abs === '/') return joinRel(rel, n);
  const base = abs.slice(abs.lastIndexOf('/') + 1);
  if (n === base) return rel;
  if (n.startsWith(`${base}/`)) return joinRel(rel, n.slice(base.length + 1));
  throw new DiffError(`unexpected member ${JSON.stringify(member)} in the archive of ${abs}`);
}

/**
 * The entries of `rel` (relative to the mount path) and below, in walk order; nothing when
 * it does not exist. `statOnly`: only the first entry, its content not read.
 */
export async function* archiveMetas(src: ArchiveSource, rel: string, opts: { statOnly?: boolean } = {}): AsyncGenerator<Meta> {
  const abs = absOf(src.mountPath, rel);
  src.stats.requests++;
  const got = await src.engine.getArchive(src.container, abs, src.signal);
  if (got === undefined) return;
  const files = new Map<string, Meta>();
  let prev: string | undefined;
  try {
    for await (const { header, body } of tarEntries(counted(got.stream, src.stats))) {
      const name = archiveRel(header.name, abs, rel);
      if (prev !== undefined && compareWalk(prev, name) >= 0) {
        throw new DiffError(`the archive of ${abs} is not in walk order (${JSON.stringify(prev)} before ${JSON.stringify(name)})`);
      }
      prev = name;
      if (initOwned(absOf(src.mountPath, name))) {
        await drain(body);
        continue;
      }
      if (opts.statOnly) {
        yield statMeta(header, name);
        return;
      }
      const m = await readMember(header, name, body);
      if ('linkTo' in m) {
        const target = files.get(archiveRel(m.linkTo, abs, rel));
        if (target === undefined) throw new DiffError(`hard link ${name} in the archive of ${abs} points to ${m.linkTo}, not seen before`);
        const link: Meta = { ...target, name, mode: header.mode & 0o7777, mtime: header.mtime };
        files.set(name, link);
        yield link;
        continue;
      }
      if (m.type === 'file') files.set(name, m);
      yield m;
    }
  } finally {
    got.stream.destroy();
  }
}

export interface Plan {
  /** B's entries to emit: the changed ones and the directories above them (any order). */
  readonly entries: readonly Meta[];
  /** Topmost names of A's entries that B lacks, in walk order. */
  readonly deletions: readonly string[];
}

/**
 * FALLBACK: merge-join of A's and B's entries (each in walk order). B's directories on the
 * current path are kept on a stack so the parents of a changed entry can be added with it.
 */
export async function planFromArchives(a: AsyncIterable<Meta>, b: AsyncIterable<Meta>): Promise<Plan> {
  const ai = a[Symbol.asyncIterator]();
  const bi = b[Symbol.asyncIterator]();
  const next = async (it: AsyncIterator<Meta>): Promise<Meta | undefined> => {
    const r = await it.next();
    return r.done ? undefined : r.value;
  };
  const entries: Meta[] = [];
  const deletions: string[] = [];
  const stack: { meta: Meta; added: boolean }[] = [];
  let deleted: string | undefined;
  try {
    let x = await next(ai);
    let y = await next(bi);
    while (x !== undefined || y !== undefined) {
      const c = x === undefined ? 1 : y === undefined ? -1 : compareWalk(x.name, y.name);
      if (c < 0 && x !== undefined) {
        // Only in A: a deletion, unless it is below one already listed (or is the path itself).
        if (x.name !== '' && (deleted === undefined || !isBelow(x.name, deleted))) {
          deletions.push(x.name);
          deleted = x.name;
        }
        x = await next(ai);
        continue;
      }
      if (y === undefined) break;
      const old = c === 0 ? x : undefined;
      if (y.name !== '') {
        while (stack.length > 0 && !isBelow(y.name, stack[stack.length - 1]?.meta.name ?? '')) stack.pop();
        const changed = old === undefined || !sameEntry(old, y);
        if (changed) {
          for (const d of stack) {
            if (d.added) continue;
            d.added = true;
            entries.push(d.meta);
          }
          entries.push(y);
        }
        if (y.type === 'dir') stack.push({ meta: y, added: changed });
      }
      if (c === 0) x = await next(ai);
      y = await next(bi);
    }
  } finally {
    await Promise.all([ai.return?.(), bi.return?.()]);
  }
  return { entries, deletions };
}
