/**
 * The part of a context a build reads: a set of context paths, each possibly with Go
 * `filepath.Match` wildcards per component (`packages/*\/package.json`), as
 * `dockerfile/reads.ts` finds them. A path is `match`ed by a pattern, `below` a matched
 * folder (sent whole), `on-way` to something a pattern may match (a folder to walk
 * through, sent but no input), or `out` (neither hashed, nor sent, nor watched).
 *
 * A symlink a pattern matches or walks through is followed as the builders follow it,
 * inside the context: `followLink` gives the patterns its target adds.
 */
import { cleanPath, globComponent, hasGlobMeta } from '../core/gopath.js';

export type Selection = 'match' | 'below' | 'on-way' | 'out';

/** A component: literal text, or a wildcard. */
type Component = string | RegExp;

const RANK: Record<Selection, number> = { out: 0, 'on-way': 1, below: 2, match: 3 };

function compile(path: string): Component[] {
  if (path === '') return [];
  return path.split('/').map((c) => (hasGlobMeta(c) ? (globComponent(c) ?? c) : c));
}

const fits = (c: Component, name: string): boolean => (typeof c === 'string' ? c === name : c.test(name));

export class ReadSet {
  readonly #compiled: readonly Component[][];
  /** Patterns by their first component when it is literal; the others (a wildcard first) are tried for every path. */
  readonly #byFirst = new Map<string, number[]>();
  readonly #wildFirst: number[] = [];
  /** The whole context is read: every path is `below` the root. */
  readonly whole: boolean;

  constructor(readonly paths: readonly string[]) {
    this.#compiled = paths.map(compile);
    this.whole = paths.includes('');
    this.#compiled.forEach((p, i) => {
      const first = p[0];
      if (typeof first === 'string') this.#byFirst.set(first, [...(this.#byFirst.get(first) ?? []), i]);
      else this.#wildFirst.push(i);
    });
  }

  /** Indices of the patterns that can apply to a path whose first component is `first`, in order. */
  #candidates(first: string): readonly number[] {
    const named = this.#byFirst.get(first);
    if (named === undefined) return this.#wildFirst;
    return this.#wildFirst.length === 0 ? named : [...named, ...this.#wildFirst].sort((a, b) => a - b);
  }

  /** What `rel` (a context path, not the root) is to this set. */
  select(rel: string): Selection {
    if (this.whole) return 'below';
    const names = rel.split('/');
    let best: Selection = 'out';
    for (const i of this.#candidates(names[0]!)) {
      const s = selectBy(this.#compiled[i]!, names);
      if (RANK[s] > RANK[best]) best = s;
      if (best === 'match') break;
    }
    return best;
  }

  /** Indices of the paths that read `rel` (match it or a folder above it). */
  readersOf(rel: string): number[] {
    const names = rel.split('/');
    return this.#candidates(names[0]!).filter((i) => {
      const s = selectBy(this.#compiled[i]!, names);
      return s === 'match' || s === 'below';
    });
  }

  /** Indices of the paths that `rel` is on the way to. */
  wayTo(rel: string): number[] {
    const names = rel.split('/');
    return this.#candidates(names[0]!).filter((i) => selectBy(this.#compiled[i]!, names) === 'on-way');
  }

  /**
   * The paths a symlink at `rel` adds when followed inside the context: for each pattern
   * that matches it, its target; for each it is on the way to, the target joined with what
   * that pattern still needs below it. None for a link only below a matched folder (sent
   * as a link, not followed).
   */
  followLink(rel: string, target: string): string[] {
    const resolved = cleanPath(target.startsWith('/') ? target : `/${rel.slice(0, rel.lastIndexOf('/') + 1)}${target}`).slice(1);
    const names = rel.split('/');
    return this.#candidates(names[0]!).flatMap((i) => {
      const s = selectBy(this.#compiled[i]!, names);
      if (s === 'match') return [resolved];
      if (s !== 'on-way') return [];
      const rest = this.paths[i]!.split('/').slice(names.length).join('/');
      return [resolved === '' ? rest : `${resolved}/${rest}`];
    });
  }

  /**
   * The only names a child of the folder `rel` ('' the root) can have and not be `out`, when
   * every pattern that reaches below `rel` names its next component literally; undefined when
   * a wildcard there (or a pattern matching `rel` or a folder above it) may select any child.
   */
  childNames(rel: string): string[] | undefined {
    if (this.whole) return undefined;
    const names = rel === '' ? [] : rel.split('/');
    const d = names.length;
    const out = new Set<string>();
    const candidates = d === 0 ? this.#compiled.map((_, i) => i) : this.#candidates(names[0]!);
    for (const i of candidates) {
      const p = this.#compiled[i]!;
      let fit = true;
      for (let j = 0; j < Math.min(d, p.length) && fit; j++) fit = fits(p[j]!, names[j]!);
      if (!fit) continue;
      if (p.length <= d) return undefined; // `rel` is matched or below a match: every child is read
      const c = p[d]!;
      if (typeof c !== 'string' || c === '' || c === '.' || c === '..') return undefined;
      out.add(c);
    }
    return [...out];
  }

  /** This set with `more` paths added (those already present are not repeated). */
  with(more: readonly string[]): ReadSet {
    const fresh = more.filter((p, i) => !this.paths.includes(p) && more.indexOf(p) === i);
    return fresh.length === 0 ? this : new ReadSet([...this.paths, ...fresh]);
  }
}

function selectBy(pattern: readonly Component[], names: readonly string[]): Selection {
  const k = Math.min(pattern.length, names.length);
  for (let i = 0; i < k; i++) if (!fits(pattern[i]!, names[i]!)) return 'out';
  if (names.length === pattern.length) return 'match';
  return names.length > pattern.length ? 'below' : 'on-way';
}

/** A symlink a walk met (one a read matches or walks through is followed). */
export interface SeenLink {
  readonly rel: string;
  readonly target: string;
}

/** Rounds of link following; a chain longer than this is not followed further (the builders give up sooner). */
const MAX_ROUNDS = 40;

/**
 * Runs `walk` with `select`, then again with the targets of the links it met added, until
 * no link adds a path: the last walk's result and the set it used.
 */
export async function followingLinks<T extends { readonly links: readonly SeenLink[] }>(
  select: ReadSet | undefined,
  walk: (select: ReadSet | undefined) => Promise<T>,
): Promise<{ readonly walked: T; readonly select: ReadSet | undefined }> {
  for (let round = 0; ; round++) {
    const walked = await walk(select);
    const now = select;
    const next = now?.with(walked.links.flatMap((l) => now.followLink(l.rel, l.target)));
    if (next === select || round >= MAX_ROUNDS) return { walked, select };
    select = next;
  }
}
