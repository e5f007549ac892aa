/**
 * Walks a build-context directory in deterministic (UTF-8 byte) order, applying an
 * IgnoreMatcher the way docker's tar walker does, pruning directories it can. Yields
 * directories, regular files and symlinks (never followed); skips anything else with a warning.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { IgnoreMatcher, MatchState } from './ignore.js';

export type WalkEntryKind = 'dir' | 'file' | 'symlink';

export interface WalkEntry {
  /** Context-relative path, '/'-separated, no leading './' or trailing '/'. */
  readonly rel: string;
  readonly abs: string;
  readonly kind: WalkEntryKind;
  /** `lstat` of the entry when it was listed. */
  readonly stats: Stats;
}

export interface WalkOptions {
  /** Absolute path of the context directory. */
  readonly root: string;
  readonly matcher?: IgnoreMatcher;
  /** Relative paths sent even when excluded (the Dockerfile, the .dockerignore). */
  readonly forceInclude?: readonly string[];
  /** Relative paths never yielded (e.g. shadowed by an injected file). */
  readonly omit?: readonly string[];
  readonly onWarning?: (message: string) => void;
}

/** The context changed under the walker or packer; the build must not use what was sent. */
export class ContextChangedError extends Error {
  constructor(
    readonly path: string,
    detail?: string,
  ) {
    super(`context changed while it was sent: ${path}${detail ? ` (${detail})` : ''}`);
    this.name = 'ContextChangedError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a file name; null when it is not valid UTF-8 (a tar name could not carry it faithfully). */
export function decodeName(raw: Buffer): string | null {
  try {
    return utf8.decode(raw);
  } catch {
    return null;
  }
}

const errCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;

/** Sorted names of a directory (byte order of their UTF-8 encoding, like Go's sort.Strings). */
async function sortedNames(abs: string, rel: string, warn: (m: string) => void): Promise<string[]> {
  let raw: Buffer[];
  try {
    raw = await readdir(abs, { encoding: 'buffer' });
  } catch (e) {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') throw new ContextChangedError(rel || '.', 'directory vanished');
    throw new Error(`cannot read directory ${rel || '.'}: ${(e as Error).message}`);
  }
  raw.sort(Buffer.compare);
  const names: string[] = [];
  for (const b of raw) {
    const name = decodeName(b);
    if (name === null) warn(`skipping ${JSON.stringify((rel ? rel + '/' : '') + b.toString('latin1'))}: name is not valid UTF-8`);
    else names.push(name);
  }
  return names;
}

function kindOf(st: Stats): WalkEntryKind | string {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isBlockDevice()) return 'block device';
  if (st.isCharacterDevice()) return 'character device';
  return 'unknown file type';
}

/**
 * Depth-first walk; a directory is yielded before its contents. An excluded directory that
 * may still contain re-included (or forced) paths is walked but not yielded itself, as docker does.
 */
export async function* walkContext(opts: WalkOptions): AsyncGenerator<WalkEntry, void, undefined> {
  const forced = new Set(opts.forceInclude ?? []);
  const omit = new Set(opts.omit ?? []);
  const warn = opts.onWarning ?? (() => {});
  const forcedBelow = (dir: string): boolean => [...forced].some((f) => f.startsWith(dir + '/'));

  async function* walkDir(abs: string, rel: string, parent: MatchState | undefined): AsyncGenerator<WalkEntry> {
    for (const name of await sortedNames(abs, rel, warn)) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = join(abs, name);
      if (omit.has(childRel)) continue;
      let stats: Stats;
      try {
        stats = await lstat(childAbs);
      } catch (e) {
        if (errCode(e) === 'ENOENT') throw new ContextChangedError(childRel, 'file vanished');
        throw new Error(`cannot stat ${childRel}: ${(e as Error).message}`);
      }
      const kind = kindOf(stats);
      const state = opts.matcher?.evaluate(childRel, parent);
      if (state?.excluded && !forced.has(childRel)) {
        if (kind !== 'dir') continue;
        if (!opts.matcher!.exceptionMayMatchBelow(childRel) && !forcedBelow(childRel)) continue;
        yield* walkDir(childAbs, childRel, state);
        continue;
      }
      if (kind !== 'dir' && kind !== 'file' && kind !== 'symlink') {
        warn(`skipping ${childRel}: ${kind} cannot be sent in a build context`);
        continue;
      }
      yield { rel: childRel, abs: childAbs, kind, stats };
      if (kind === 'dir') yield* walkDir(childAbs, childRel, state);
    }
  }

  const rootStats = await lstat(opts.root).catch((e: unknown) => {
    throw new Error(`cannot read context directory ${opts.root}: ${(e as Error).message}`);
  });
  if (!rootStats.isDirectory()) throw new Error(`context ${opts.root} is not a directory`);
  yield* walkDir(opts.root, '', undefined);
}
