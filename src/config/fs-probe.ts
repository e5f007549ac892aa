/**
 * What one load asks of the file system about the paths of the build file, each answer kept
 * for that load: the rules (contexts, Dockerfiles, symlinks out of the root, mounts) and the
 * checks of load/ (ignore files, state folders) ask the same few questions of every image.
 * One `lstat` per path answers most of them: a path that is no symlink has the same `stat`, and
 * its real path is its folder's real path and its name (a folder shared by many images is
 * resolved once). Made anew by every load (a reload in watch sees the file system as it is then).
 */
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { sep } from 'node:path';

/**
 * What the load asks of a path's stat: its type. One shared object per type is kept per path,
 * not the `Stats` (14 numbers, ~0.5 KB: 25,000 of them kept through a load of 5,000 images
 * were copied by every scavenge; issue 22).
 */
export interface PathKind {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

const kind = (file: boolean, directory: boolean, link: boolean): PathKind =>
  Object.freeze({ isFile: () => file, isDirectory: () => directory, isSymbolicLink: () => link });
const FILE = kind(true, false, false);
const DIRECTORY = kind(false, true, false);
const SYMLINK = kind(false, false, true);
const OTHER = kind(false, false, false);

function kindOf(st: Stats | undefined): PathKind | null {
  if (st === undefined) return null;
  return st.isFile() ? FILE : st.isDirectory() ? DIRECTORY : st.isSymbolicLink() ? SYMLINK : OTHER;
}

export class FsProbe {
  readonly #lstats = new Map<string, PathKind | null>();
  readonly #stats = new Map<string, PathKind | null>();
  readonly #reals = new Map<string, string | null>();

  /** `p`'s type as lstat says; undefined on any error (no error object for a missing path). */
  lstat(p: string): PathKind | undefined {
    let st = this.#lstats.get(p);
    if (st === undefined) {
      st = orNull(() => lstatSync(p, { throwIfNoEntry: false }));
      this.#lstats.set(p, st);
    }
    return st ?? undefined;
  }

  /** `p`'s type as stat says, following symlinks; undefined on any error. */
  stat(p: string): PathKind | undefined {
    const l = this.lstat(p);
    if (l === undefined || !l.isSymbolicLink()) return l;
    let st = this.#stats.get(p);
    if (st === undefined) {
      st = orNull(() => statSync(p, { throwIfNoEntry: false }));
      this.#stats.set(p, st);
    }
    return st ?? undefined;
  }

  /** The real path of `p` (as `realpath(3)` says), or undefined when it cannot be resolved (it does not exist). */
  real(p: string): string | undefined {
    let real = this.#reals.get(p);
    if (real === undefined) {
      real = this.#resolve(p);
      this.#reals.set(p, real);
    }
    return real ?? undefined;
  }

  #resolve(p: string): string | null {
    // Not a clean absolute path (never one of the build file's): as the system resolves it.
    if (!cleanAbsolute(p) || p === '/') return nativeReal(p);
    const slash = p.lastIndexOf('/');
    const parent = slash === 0 ? '/' : p.slice(0, slash);
    const up = this.real(parent);
    const st = up === undefined ? undefined : this.lstat(p);
    if (up === undefined || st === undefined) return null;
    return st.isSymbolicLink() ? nativeReal(p) : `${up === '/' ? '' : up}/${p.slice(slash + 1)}`;
  }
}

/** An empty, `.` or `..` component, or a trailing slash. */
const UNCLEAN = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/**
 * `p` is absolute and as `path.resolve` leaves it: `normalize(p) === p`, no trailing slash
 * (besides `/`). Told by one regular expression, without the strings `normalize` makes: the
 * load asks it of every path it checks (issue 22).
 */
export function cleanAbsolute(p: string): boolean {
  return sep === '/' && p.startsWith('/') && !UNCLEAN.test(p);
}

function orNull(f: () => Stats | undefined): PathKind | null {
  try {
    return kindOf(f());
  } catch {
    return null;
  }
}

function nativeReal(p: string): string | null {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
}
