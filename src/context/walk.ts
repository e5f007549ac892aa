/**
 * Walks a build-context directory in deterministic (UTF-8 byte) order, applying an
 * IgnoreMatcher the way docker's tar walker does, pruning directories it can. Yields
 * directories, regular files and symlinks (never followed); skips anything else with a warning.
 *
 * One walker serves the packer (`walkContext`: one entry at a time, each `lstat`ed when it
 * is visited, so a vanished entry fails the walk itself) and the cache (`walkContextBatches` with `statAhead`: a directory's entries
 * are `lstat`ed together when it is read, excluded files are not `lstat`ed (but where looked up by name), the
 * next sub-directories are listed while the current one is stat'ed, a folder on the way to
 * reads that all name its children is not listed but its children looked up by name, and
 * entries come in arrays). Both yield the same entries in the same order.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstatSync, readdirSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTick } from 'node:timers/promises';
import { BEYOND_BMP_ORDER, byText } from '../core/order.js';
import type { IgnoreMatcher, MatchState } from '../dockerignore/ignore.js';
import type { ReadSet, Selection } from './read-set.js';

export type WalkEntryKind = 'dir' | 'file' | 'symlink';

export interface WalkEntry {
  /** Context-relative path, '/'-separated, no leading './' or trailing '/'. */
  readonly rel: string;
  readonly abs: string;
  readonly kind: WalkEntryKind;
  /** `lstat` of the entry when it was listed. */
  readonly stats: Stats;
  /**
   * What the entry is to the walk's `select` (`below` without one, and for a forced entry
   * nothing selects): an `on-way` folder is sent so that what lies below it can be, but it
   * is no input; an `on-way` symlink is followed by the builders, so it is one.
   */
  readonly selection: Exclude<Selection, 'out'>;
}

export interface WalkOptions {
  /** Absolute path of the context directory. */
  readonly root: string;
  readonly matcher?: IgnoreMatcher;
  /** Relative paths sent even when excluded (the Dockerfile, the .dockerignore). */
  readonly forceInclude?: readonly string[];
  /** Relative paths never yielded (e.g. shadowed by an injected file). */
  readonly omit?: readonly string[];
  /** Only what these paths read (and the forced paths) is walked and yielded. Default: everything. */
  readonly select?: ReadSet;
  readonly onWarning?: (message: string) => void;
}

export interface BatchWalkOptions extends WalkOptions {
  /**
   * `lstat` the entries of a directory together when it is read (synchronously, in slices
   * that let the event loop run), rather than each one when it is visited. Much faster on
   * big trees. An entry that vanishes after its directory was read is then not noticed by
   * the walk but by whoever reads it next (the hasher, the packer).
   */
  readonly statAhead?: boolean;
  /**
   * Listings kept from earlier walks (the stat cache), with `statAhead` only: a folder whose
   * lstat fields are all those it had when it was listed (its mtime and ctime change when an
   * entry is added, removed or renamed in it) is not listed again.
   */
  readonly listings?: ListingCache;
  /** With `statAhead`: the root's lstat, taken moments ago (`ContextPlan.rootStats`), not taken again. */
  readonly rootStats?: Stats;
  /** With `statAhead`: a child of the root `lstat`ed moments ago (the Dockerfile, `ContextPlan.dockerfileStats`), not looked up again by name. */
  readonly rootChild?: SeenChild;
}

/** A child of a folder, by name, and its lstat. */
export interface SeenChild {
  readonly name: string;
  readonly stats: Stats;
}

/** Where a walk keeps the listings of folders, by absolute path, with the folder's lstat taken before it was listed. */
export interface ListingCache {
  getListing(abs: string, st: Stats): { readonly names: string[]; readonly isDir: Uint8Array } | undefined;
  setListing(abs: string, st: Stats, listing: { readonly names: string[]; readonly isDir: Uint8Array }): void;
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

const errCode = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined);

function readdirError(e: unknown, rel: string): Error {
  if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return new ContextChangedError(rel || '.', 'directory vanished');
  return new Error(`cannot read directory ${rel || '.'}: ${(e as Error).message}`);
}

function statError(e: unknown, rel: string): Error {
  if (errCode(e) === 'ENOENT') return new ContextChangedError(rel, 'file vanished');
  return new Error(`cannot stat ${rel}: ${(e as Error).message}`);
}

/** A WalkEntryKind, or what else the file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isBlockDevice()) return 'block device';
  if (st.isCharacterDevice()) return 'character device';
  return 'unknown file type';
}

/** Entries yielded together by the stat-ahead walk, and entries `lstat`ed at a time. */
const BATCH = 512;
/** `lstatSync` calls between two turns of the event loop. */
const STAT_SLICE = 2048;
/** Sub-directories of one directory listed ahead of the walk. */
const PREFETCH = 4;
/**
 * Folders a stat-ahead walk lists on this thread before it lists ahead through the thread
 * pool: an input set is most often a few small folders (a no-op walks one per image), where a
 * round trip through the pool costs more than the listing; a big tree is still listed ahead.
 */
const SYNC_LISTINGS = 16;

/** A folder's lstat, undefined when it is none (or cannot be looked at: listing it says why). */
function lstatOrUndefined(abs: string): Stats | undefined {
  try {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    return st?.isDirectory() ? st : undefined;
  } catch {
    return undefined;
  }
}

/** Names of a directory, sorted by their UTF-8 bytes, and which ones `readdir` saw as directories. */
interface Listing {
  readonly names: string[];
  readonly isDir: Uint8Array;
  /** The `lstat` of each name, when the listing was made by looking them up (`namedListing`). */
  readonly named?: Stats[];
  /** Names were skipped (with a warning): such a listing is not kept, so that every walk warns. */
  readonly skipped?: true;
}

/**
 * Whether a folder's children can be looked up by name instead of listed: only where names are
 * compared as the kernel stores them (a case-insensitive file system would find `SRC` for `src`).
 */
const BY_NAME = process.platform === 'linux';

/**
 * The listing of a folder of which only `names` can be walked (every read there names its
 * next component), made with one `lstat` per name and no `readdir`: undefined (list it) when
 * one is missing or cannot be looked at (the listing says why, or that the folder vanished).
 */
function namedListing(prefix: string, names: readonly string[], seen?: SeenChild): Listing | undefined {
  if (names.some((n) => BEYOND_BMP_ORDER.test(n))) return undefined;
  const sorted = [...names].sort(byText);
  const stats: Stats[] = [];
  try {
    for (const n of sorted) {
      const st = seen?.name === n ? seen.stats : lstatSync(prefix + n, { throwIfNoEntry: false });
      if (st === undefined) return undefined;
      stats.push(st);
    }
  } catch {
    return undefined;
  }
  return { names: sorted, isDir: Uint8Array.from(stats, (st) => (st.isDirectory() ? 1 : 0)), named: stats };
}

const byString = (a: Dirent, b: Dirent): number => byText(a.name, b.name);
const byBytes = (a: Dirent<Buffer>, b: Dirent<Buffer>): number => Buffer.compare(a.name, b.name);

/**
 * Lists a directory. Names come as strings when they are plain (the common case: no
 * Buffer per name, and UTF-16 order is UTF-8 byte order below U+D800); otherwise the
 * directory is read again as bytes, so invalid names are found and the order is exact.
 */
async function listDir(abs: string, rel: string, warn: (m: string) => void): Promise<Listing> {
  try {
    return listing(await readdir(abs, { withFileTypes: true })) ?? bytesListing(await readdir(abs, { encoding: 'buffer', withFileTypes: true }), rel, warn);
  } catch (e) {
    throw readdirError(e, rel);
  }
}

/** listDir on this thread: for the first folders of a walk, where a round trip through the thread pool costs more than the listing. */
function listDirSync(abs: string, rel: string, warn: (m: string) => void): Listing {
  try {
    return listing(readdirSync(abs, { withFileTypes: true })) ?? bytesListing(readdirSync(abs, { encoding: 'buffer', withFileTypes: true }), rel, warn);
  } catch (e) {
    throw readdirError(e, rel);
  }
}

/** A listing of plain names (sorted in place), or undefined when one needs the exact byte order. */
function listing(fast: Dirent[]): Listing | undefined {
  if (fast.some((d) => BEYOND_BMP_ORDER.test(d.name))) return undefined;
  fast.sort(byString);
  const isDir = new Uint8Array(fast.length);
  const names = fast.map((d, i) => ((isDir[i] = d.isDirectory() ? 1 : 0), d.name));
  return { names, isDir };
}

function bytesListing(raw: Dirent<Buffer>[], rel: string, warn: (m: string) => void): Listing {
  raw.sort(byBytes);
  const names: string[] = [];
  const dirs: number[] = [];
  let skipped = false;
  for (const d of raw) {
    const name = decodeName(d.name);
    if (name === null) {
      warn(`skipping ${JSON.stringify((rel ? rel + '/' : '') + d.name.toString('latin1'))}: name is not valid UTF-8`);
      skipped = true;
    } else {
      names.push(name);
      dirs.push(d.isDirectory() ? 1 : 0);
    }
  }
  return { names, isDir: Uint8Array.from(dirs), ...(skipped && { skipped }) };
}

/** A listing made on this thread, or one under way (or that failed: raised when the walk reaches it). */
type Listed = Listing | Promise<Listing>;

/** One directory being walked. */
interface Frame extends Listing {
  /** Prefix of the children's absolute paths (the directory's path and a '/'). */
  readonly prefix: string;
  readonly rel: string;
  readonly state: MatchState | undefined;
  /** The folder's own selection; its children's (only when it is `on-way`: the others' children are `below`). */
  readonly sel: Selection;
  sels: Selection[] | undefined;
  /** Next child to visit. */
  i: number;
  // statAhead only:
  /** Match states of the sub-directories (computed when listed, to choose what to list ahead). */
  readonly dirStates: (MatchState | undefined)[];
  /** Sub-directories that will be walked, in order; listings started for them; position of the next one. */
  readonly descend: number[];
  readonly listings: (Listed | undefined)[];
  next: number;
  /** The slice of children `lstat`ed together: [sliceStart, sliceStart + stats.length). */
  sliceStart: number;
  stats: (Stats | Error | undefined)[];
  states: (MatchState | undefined)[];
}

/**
 * Depth-first walk; a directory is yielded before its contents. An excluded directory that
 * may still contain re-included (or forced) paths is walked but not yielded itself, as docker does.
 */
export async function* walkContext(opts: WalkOptions): AsyncGenerator<WalkEntry, void, undefined> {
  for await (const batch of walkContextBatches({ ...opts, statAhead: false })) yield* batch;
}

/** The same walk, in arrays of entries (one entry per array unless `statAhead`). */
export async function* walkContextBatches(opts: BatchWalkOptions): AsyncGenerator<WalkEntry[], void, undefined> {
  const forced = new Set(opts.forceInclude ?? []);
  const omit = new Set(opts.omit ?? []);
  const warn = opts.onWarning ?? (() => {});
  const ahead = opts.statAhead === true;
  const rootChild = ahead ? opts.rootChild : undefined;
  const matcher = opts.matcher;
  const forcedList = [...forced];
  const forcedBelow = (dir: string): boolean => forcedList.some((f) => f.startsWith(dir + '/'));
  /** An excluded directory may still hold something to send. */
  const walkExcluded = (rel: string): boolean => matcher!.exceptionMayMatchBelow(rel) || forcedBelow(rel);
  const relOf = (f: { rel: string }, name: string): string => (f.rel ? `${f.rel}/${name}` : name);
  const select = opts.select?.whole === true ? undefined : opts.select;
  /** A child's selection; an unselected folder holding a forced path is on the way to it, an unselected forced path is `below`. */
  const selectionOf = (f: Frame, k: number, childRel: string): Selection => {
    const s = f.sels?.[k] ?? (f.sel === 'on-way' ? 'out' : 'below');
    // A forced path (the Dockerfile) is always sent, even where a wildcard makes it look like a folder on the way.
    if (forced.has(childRel) && (s === 'out' || s === 'on-way')) return 'below';
    if (s !== 'out') return s;
    return f.isDir[k] === 1 && forcedBelow(childRel) ? 'on-way' : 'out';
  };
  let statted = 0;

  /** A folder's frame; a promise only when the event loop must run first (no promise, no await, per folder otherwise). */
  function open(prefix: string, rel: string, state: MatchState | undefined, sel: Selection, l: Listing): Frame | Promise<Frame> {
    // Every field written out (no spread of listings of different shapes): one shape for every frame.
    const f: Frame = {
      names: l.names,
      isDir: l.isDir,
      named: l.named,
      prefix,
      rel,
      state,
      sel,
      sels: undefined,
      i: 0,
      dirStates: [],
      descend: [],
      listings: [],
      next: 0,
      sliceStart: 0,
      stats: [],
      states: [],
    };
    if (sel === 'on-way' && select !== undefined) f.sels = l.names.map((n) => select.select(relOf(f, n)));
    if (!ahead) return f;
    for (let k = 0; k < l.names.length; k++) {
      if (l.isDir[k] !== 1) continue;
      const childRel = relOf(f, l.names[k]!);
      if (omit.has(childRel) || selectionOf(f, k, childRel) === 'out') continue;
      const s = matcher?.evaluate(childRel, state);
      f.dirStates[k] = s;
      if (!(s?.excluded && !forced.has(childRel)) || walkExcluded(childRel)) f.descend.push(k);
    }
    // With kept listings, a folder's lstat decides whether it is listed: the first slice's lstats first, used for that too.
    const pause = opts.listings !== undefined && f.descend.length > 0 && fillSlice(f, 0);
    // Listings started ahead: prefetch keeps each one, and its error, for when the walk reaches it.
    for (const k of f.descend.slice(0, PREFETCH)) void prefetch(f, k);
    return pause ? nextTick().then(() => f) : f;
  }

  /** The frame of the folder `k` of `f`, its listing the one started ahead if any. */
  function openChild(f: Frame, k: number, childAbs: string, childRel: string, state: MatchState | undefined, sel: Selection): Frame | Promise<Frame> {
    const l = listChild(f, k, childAbs, childRel);
    return l instanceof Promise ? l.then((v) => open(`${childAbs}/`, childRel, state, sel, v)) : open(`${childAbs}/`, childRel, state, sel, l);
  }

  /**
   * Match states and lstats of the children from `k` on (BATCH of them); excluded files are not
   * looked at. True when the event loop must run before the walk goes on (STAT_SLICE lstats since it last did).
   */
  function fillSlice(f: Frame, k: number): boolean {
    let pause = false;
    const end = Math.min(f.names.length, k + BATCH);
    f.sliceStart = k;
    f.stats = new Array<Stats | Error | undefined>(end - k);
    f.states = new Array<MatchState | undefined>(end - k);
    for (let j = k; j < end; j++) {
      const childRel = relOf(f, f.names[j]!);
      if (omit.has(childRel) || selectionOf(f, j, childRel) === 'out') continue;
      const s = f.isDir[j] === 1 ? f.dirStates[j] : matcher?.evaluate(childRel, f.state);
      f.states[j - k] = s;
      if (s?.excluded && !forced.has(childRel) && !(f.isDir[j] === 1 && walkExcluded(childRel))) continue;
      try {
        const seen = rootChild !== undefined && f.rel === '' && rootChild.name === f.names[j] ? rootChild.stats : undefined;
        f.stats[j - k] =
          f.named?.[j] ?? seen ?? lstatSync(f.prefix + f.names[j]!, { throwIfNoEntry: false }) ?? new ContextChangedError(childRel, 'file vanished');
      } catch (e) {
        f.stats[j - k] = statError(e, childRel);
      }
      if (++statted % STAT_SLICE === 0) pause = true;
    }
    return pause;
  }

  /** The names a child of the `on-way` folder `rel` must have to be walked, when they are all known (ReadSet.childNames). */
  const namesBelow = (rel: string): string[] | undefined => {
    const names = select?.childNames(rel);
    if (names === undefined) return undefined;
    const prefix = rel === '' ? '' : `${rel}/`;
    for (const f of forcedList) if (f.startsWith(prefix)) names.push(f.slice(prefix.length).split('/')[0]!);
    return [...new Set(names)];
  };

  let listed = 0;
  /** A listing: by name where it can be, else kept from an earlier walk if the folder did not change, else read. */
  function list(abs: string, rel: string, sel: Selection, known?: Stats): Listed {
    const names = BY_NAME && sel === 'on-way' ? namesBelow(rel) : undefined;
    const named = names && namedListing(abs.endsWith('/') ? abs : `${abs}/`, names, rel === '' ? rootChild : undefined);
    if (named !== undefined) return named;
    const kept = opts.listings;
    // Its lstat (the walk's own when it has one) before its listing: a change after it makes the next walk's lstat differ.
    const st = kept && (known?.isDirectory() ? known : lstatOrUndefined(abs));
    if (kept === undefined || st === undefined) return read(abs, rel);
    const same = kept.getListing(abs, st);
    if (same !== undefined) return same;
    const keep = (l: Listing): Listing => {
      if (l.skipped === undefined) kept.setListing(abs, st, l);
      return l;
    };
    const l = read(abs, rel);
    return l instanceof Promise ? l.then(keep) : keep(l);
  }

  /** A listing read: on this thread for the first SYNC_LISTINGS folders, else through the thread pool. */
  function read(abs: string, rel: string): Listed {
    if (listed++ >= SYNC_LISTINGS) return listDir(abs, rel, warn);
    try {
      return listDirSync(abs, rel, warn);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  function prefetch(f: Frame, k: number): Listed {
    let p = f.listings[k];
    if (p === undefined) {
      const rel = relOf(f, f.names[k]!);
      const st = k >= f.sliceStart && k < f.sliceStart + f.stats.length ? f.stats[k - f.sliceStart] : undefined;
      p = list(f.prefix + f.names[k]!, rel, selectionOf(f, k, rel), st instanceof Error ? undefined : st);
      if (p instanceof Promise) p.catch(() => {}); // raised when the walk reaches it
      f.listings[k] = p;
    }
    return p;
  }

  /** The child's listing (the one started ahead, if any), and the next few started ahead. */
  function listChild(f: Frame, k: number, childAbs: string, childRel: string): Listed {
    if (!ahead) return listDir(childAbs, childRel, warn);
    const p = prefetch(f, k);
    f.listings[k] = undefined;
    const d = f.descend;
    while (f.next < d.length && d[f.next]! <= k) f.next++;
    for (let j = f.next; j < Math.min(d.length, f.next + PREFETCH); j++) void prefetch(f, d[j]!); // kept in f.listings, as in open()
    return p;
  }

  const root = join(opts.root);
  let rootStats: Stats;
  try {
    rootStats = ahead ? (opts.rootStats ?? lstatSync(opts.root)) : await lstat(opts.root);
  } catch (e) {
    throw new Error(`cannot read context directory ${opts.root}: ${(e as Error).message}`, { cause: e });
  }
  if (!rootStats.isDirectory()) throw new Error(`context ${opts.root} is not a directory`);
  const rootPrefix = root === '.' ? '' : root.endsWith('/') ? root : `${root}/`;
  const rootSel = select ? 'on-way' : 'below';
  const rootListed = ahead ? list(root, '', rootSel, rootStats) : listDir(root, '', warn);
  const rootFrame = open(rootPrefix, '', undefined, rootSel, rootListed instanceof Promise ? await rootListed : rootListed);
  const stack: Frame[] = [rootFrame instanceof Promise ? await rootFrame : rootFrame];
  let out: WalkEntry[] = [];

  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.i >= f.names.length) {
      stack.pop();
      continue;
    }
    const k = f.i++;
    const name = f.names[k]!;
    const childRel = relOf(f, name);
    const childAbs = f.prefix + name;
    const selection = selectionOf(f, k, childRel);
    if (selection === 'out') continue;
    let stats: Stats;
    let state: MatchState | undefined;
    if (ahead) {
      if (k >= f.sliceStart + f.stats.length && fillSlice(f, k)) await nextTick();
      const st = f.stats[k - f.sliceStart];
      if (st === undefined) continue; // omitted, or excluded without a look
      if (st instanceof Error) throw st;
      stats = st;
      state = f.states[k - f.sliceStart];
    } else {
      if (omit.has(childRel)) continue;
      // Synchronous: a few microseconds, against tens for a round trip through the thread pool.
      let st: Stats | undefined;
      try {
        st = lstatSync(childAbs, { throwIfNoEntry: false });
      } catch (e) {
        throw statError(e, childRel);
      }
      if (st === undefined) throw new ContextChangedError(childRel, 'file vanished');
      stats = st;
      state = matcher?.evaluate(childRel, f.state);
    }
    const kind = kindOf(stats);
    if (state?.excluded && !forced.has(childRel)) {
      if (kind !== 'dir' || !walkExcluded(childRel)) continue;
      const excluded = openChild(f, k, childAbs, childRel, state, selection);
      stack.push(excluded instanceof Promise ? await excluded : excluded);
      continue;
    }
    // A file on the way to a pattern's deeper components reads nothing (the builders would not find the path).
    if (selection === 'on-way' && kind === 'file') continue;
    if (kind !== 'dir' && kind !== 'file' && kind !== 'symlink') {
      warn(`skipping ${childRel}: ${kind} cannot be sent in a build context`);
      continue;
    }
    out.push({ rel: childRel, abs: childAbs, kind, stats, selection });
    if (!ahead || out.length >= BATCH) {
      yield out;
      out = [];
    }
    if (kind === 'dir') {
      const child = openChild(f, k, childAbs, childRel, state, selection);
      stack.push(child instanceof Promise ? await child : child);
    }
  }
  if (out.length > 0) yield out;
}
