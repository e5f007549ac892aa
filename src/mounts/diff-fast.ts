/**
 * FAST PATH, part 2: apply B's extra layers (oldest first) over an unknown A, then ask A
 * only about the names those layers touched, so the result is exactly the fallback's.
 *
 * `applyLayers` keeps, relative to the mount path:
 *  - state:   B's final entries that the extra layers wrote (hard links resolved to
 *             their target's content and a per-inode `group`);
 *  - removed: names whited out (`.wh.<name>`) and not written again;
 *  - hidden:  names whose whole A subtree is gone in B: whiteouts, opaque directories
 *             (`.wh..wh..opq`: lower content below it is gone) and non-directories
 *             (which replace whatever A had there, directory included).
 * Whiteouts of a layer apply to the layers below it, so they are applied before the
 * layer's own entries. Anything the fast path cannot model exactly (a member without its
 * parent directory, a symlink above the mount path) throws FastPathUnavailable and the
 * caller uses the fallback.
 */
import { absOf, INIT_DIRS, isBelow, parentOf, compareWalk, sameEntry, type Meta } from './diff-tar.js';
import { archiveMetas, type ArchiveSource, type Plan } from './diff-archive.js';
import { FastPathUnavailable, type LayerOp } from './diff-layers.js';

export interface Overlay {
  readonly state: Map<string, Meta>;
  readonly removed: Set<string>;
  readonly hidden: Set<string>;
}

/** `rootImplicit`: the mount path is '/', whose directory no layer lists. */
export function applyLayers(layers: readonly (readonly LayerOp[])[], rootImplicit: boolean): Overlay {
  const state = new Map<string, Meta>();
  const removed = new Set<string>();
  const hidden = new Set<string>();
  // Anything below `name` is in state only if `name` is a directory there (parents are checked).
  const dropBelow = (name: string): void => {
    if (state.get(name)?.type !== 'dir' && name !== '') return;
    for (const set of [state, removed, hidden]) for (const n of set.keys()) if (isBelow(n, name)) set.delete(n);
  };
  const needParent = (name: string): void => {
    const p = parentOf(name);
    if (name !== '' && !(p === '' && rootImplicit) && state.get(p)?.type !== 'dir') {
      throw new FastPathUnavailable(`a layer has ${JSON.stringify(name)} without its parent directory`);
    }
  };
  layers.forEach((ops, index) => {
    for (const op of ops) {
      if (op.op === 'whiteout') {
        dropBelow(op.name);
        state.delete(op.name);
        removed.add(op.name);
        hidden.add(op.name);
      } else if (op.op === 'opaque') {
        dropBelow(op.name);
        hidden.add(op.name);
      }
    }
    for (const op of ops) {
      if (op.op === 'whiteout' || op.op === 'opaque') continue;
      const name = op.op === 'entry' ? op.meta.name : op.name;
      needParent(name);
      // Members of one inode share a group: the layer and the name of the first member.
      const meta: Meta =
        op.op === 'link'
          ? { name, type: 'file', mode: op.mode, size: op.size, digest: op.digest, group: `${index}:${op.to}`, ...(op.mtime && { mtime: op.mtime }) }
          : op.meta.type === 'file'
            ? { ...op.meta, group: `${index}:${name}` }
            : op.meta;
      if (meta.type !== 'dir') {
        dropBelow(name);
        hidden.add(name);
      }
      removed.delete(name);
      state.set(name, meta);
    }
    for (const op of ops) {
      if (op.op !== 'whiteout' && op.op !== 'opaque') continue;
      needParent(op.name);
      if (op.op === 'opaque' && state.get(op.name)?.type !== 'dir')
        throw new FastPathUnavailable(`opaque ${JSON.stringify(op.name)} is not a directory of its layer`);
    }
  });
  return { state, removed, hidden };
}

/**
 * No directory above the mount path may be a symlink in A or B: archives resolve it, the
 * layers do not. (Missing is fine: then neither way sees anything below the path.)
 */
export async function checkAbove(src: ArchiveSource): Promise<void> {
  const parts = src.mountPath.split('/').filter(Boolean);
  await Promise.all(
    parts.slice(0, -1).map(async (_, i) => {
      const p = `/${parts.slice(0, i + 1).join('/')}`;
      src.stats.requests++;
      const got = await src.engine.getArchive(src.container, p, src.signal);
      got?.stream.destroy();
      // ArchiveStat.mode is a Go os.FileMode: ModeSymlink is 1 << 27.
      if (got !== undefined && (got.stat.linkTarget !== '' || (got.stat.mode & (1 << 27)) !== 0)) {
        throw new FastPathUnavailable(`${p} is a symlink`);
      }
    }),
  );
}

export interface FastSources {
  readonly a: ArchiveSource;
  readonly b: ArchiveSource;
  /** Above this many queries to A, read A's whole mount path once instead. */
  readonly maxQueries: number;
}

/** Compares the overlay with A: one archive per touched name (or one of the whole path). */
export async function planFast(ov: Overlay, src: FastSources): Promise<Plan> {
  const { state, removed, hidden } = ov;
  const hiddenAbove = (n: string): boolean => {
    for (let p = n; p !== '';) if (hidden.has((p = parentOf(p)))) return true;
    return false;
  };
  const names = [...new Set([...state.keys(), ...removed])].sort(compareWalk);
  const tree = (n: string): boolean => hidden.has(n) && (state.has(n) || n === '');
  const a = new Map<string, Meta>();
  if (names.length > src.maxQueries) {
    for await (const m of archiveMetas(src.a, '')) {
      if (state.has(m.name) || removed.has(m.name) || hiddenAbove(m.name)) a.set(m.name, m);
    }
  } else {
    let skip: string | undefined; // A has nothing below it that is not known yet
    for (const n of names) {
      if (skip !== undefined && isBelow(n, skip)) continue;
      for await (const m of archiveMetas(src.a, n, { statOnly: !tree(n) })) a.set(m.name, m);
      if (tree(n) || a.get(n)?.type !== 'dir') skip = n;
    }
  }
  for (const [n, m] of state) {
    // A container shows the init layer's /etc and /dev, not the image's: compare like with like.
    if (m.type === 'dir' && INIT_DIRS.includes(absOf(src.b.mountPath, n))) {
      for await (const v of archiveMetas(src.b, n, { statOnly: true })) state.set(n, v);
    }
  }
  const entries = new Map<string, Meta>();
  for (const [n, m] of state) {
    const old = a.get(n);
    if (n === '' || (old !== undefined && sameEntry(old, m))) continue;
    for (let p = n; p !== '' && !entries.has(p); p = parentOf(p)) {
      const e = state.get(p);
      if (e === undefined) throw new FastPathUnavailable(`no directory for ${p}`);
      entries.set(p, e);
    }
  }
  const present = (n: string): boolean => n === '' || state.has(n);
  const deletions = [...a.keys()].filter((n) => n !== '' && !state.has(n) && (removed.has(n) || hiddenAbove(n)) && present(parentOf(n)));
  return { entries: [...entries.values()], deletions: deletions.sort(compareWalk) };
}
