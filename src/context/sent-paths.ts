/**
 * Which paths a context tar already holds and who put them there. A path sent twice would
 * silently win on extraction, so every second claim is either an allowed folder merge or
 * an error naming both sources (`mount web:/app/dist -> static/a collides with context
 * file static/a`). Pure bookkeeping: no I/O. Used by packContext and `mbuild context`.
 */

export type SentKind = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface Claim {
  readonly path: string;
  readonly kind: SentKind;
  /** `context`, or the extra's source, e.g. `mount web:/app/dist`; undefined: an anonymous extra. */
  readonly source?: string;
  /**
   * True for a mount's own entries: nothing may exist at (or below) the path already, not even
   * a folder. False: a folder merges with a folder sent before (e.g. the parents of a mount).
   */
  readonly exclusive?: boolean;
}

interface Holder {
  readonly kind: SentKind;
  readonly source: string | undefined;
  readonly exclusive: boolean;
}

export type ClaimResult =
  | { readonly ok: true; /** The path is already there as a folder: do not send it again. */ readonly skip: boolean }
  | { readonly ok: false; readonly message: string };

const WORD: Record<SentKind, string> = { file: 'file', dir: 'folder', symlink: 'symlink', hardlink: 'hard link' };

/** How an entry is named in a collision message. */
export function describeEntry(path: string, kind: SentKind, source: string | undefined): string {
  if (source === undefined) return `extra entry ${path}`;
  if (source === 'context') return `context ${WORD[kind]} ${path}`;
  return `${source} -> ${path}`;
}

export class SentPaths {
  readonly #held = new Map<string, Holder>();
  /** Folders implied by a sent path below them but never sent themselves -> that path. */
  readonly #implied = new Map<string, string>();

  get size(): number {
    return this.#held.size;
  }

  has(path: string): boolean {
    return this.#held.has(path);
  }

  kindOf(path: string): SentKind | undefined {
    return this.#held.get(path)?.kind;
  }

  /** Records a path without checks (context entries: the walker never repeats a path). */
  record(c: Claim): void {
    this.#held.set(c.path, { kind: c.kind, source: c.source, exclusive: c.exclusive ?? false });
    for (let i = c.path.lastIndexOf('/'); i > 0; i = c.path.lastIndexOf('/', i - 1)) {
      const dir = c.path.slice(0, i);
      if (this.#implied.has(dir)) break;
      this.#implied.set(dir, c.path);
    }
  }

  /** Checks a claim against what was sent and records it when allowed. */
  claim(c: Claim): ClaimResult {
    const prior = this.#held.get(c.path);
    const exclusive = c.exclusive ?? false;
    const collide = (path: string, h: Holder): ClaimResult => ({
      ok: false,
      message:
        c.source === undefined
          ? `extra entry ${c.path} collides with an entry already sent`
          : `${describeEntry(c.path, c.kind, c.source)} collides with ${describeEntry(path, h.kind, h.source)}`,
    });
    if (prior !== undefined) {
      const merges = c.kind === 'dir' && prior.kind === 'dir' && !exclusive && (!prior.exclusive || prior.source === c.source);
      if (!merges) return collide(c.path, prior);
      return { ok: true, skip: true };
    }
    if (exclusive) {
      const below = this.#implied.get(c.path);
      const holder = below === undefined ? undefined : this.#held.get(below);
      if (below !== undefined && holder !== undefined) return collide(below, holder);
    }
    // A path below something that is not a folder (a file, a symlink) would be written through it.
    for (let i = c.path.lastIndexOf('/'); i > 0; i = c.path.lastIndexOf('/', i - 1)) {
      const parent = this.#held.get(c.path.slice(0, i));
      if (parent !== undefined && parent.kind !== 'dir') return collide(c.path.slice(0, i), parent);
      if (parent !== undefined) break;
    }
    this.record(c);
    return { ok: true, skip: false };
  }
}
