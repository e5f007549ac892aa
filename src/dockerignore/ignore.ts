/**
 * .dockerignore semantics: a port of moby's ignorefile.ReadAll + patternmatcher.New (with line
 * numbers) and MatchesUsingParentResults as docker's tar walker uses it, plus a sound
 * "can this excluded directory be pruned?" check. Pure: no file system access.
 */
import { cleanPath, goTrimSpace, scanLines } from '../core/gopath.js';
import { compilePattern, matchCompiled, type Compiled } from './pattern.js';

export { compilePattern, type Compiled } from './pattern.js';

/** One effective line of an ignore file. */
export interface IgnorePattern {
  /** 1-based line number in the ignore file (or index+1 for patterns given as a list). */
  readonly line: number;
  /** The line as written (BOM and trailing CR removed, not trimmed). */
  readonly text: string;
  /** The cleaned pattern, without the leading `!`. */
  readonly pattern: string;
  /** True for `!` lines: they re-include what earlier lines excluded. */
  readonly exception: boolean;
}

export interface IgnoreError {
  readonly line: number;
  readonly message: string;
}

export type IgnoreParseResult = { readonly patterns: IgnorePattern[] } | { readonly error: IgnoreError };

/** Per-path result of evaluating every pattern; feed it back as `parent` for the children. */
export interface MatchState {
  readonly excluded: boolean;
  /** Per pattern: did it match this path (or, through `parent`, an ancestor)? */
  readonly matched: readonly boolean[];
  /** Index of the last pattern that matched (it decided `excluded`), or -1. */
  readonly decidedBy: number;
}

/** The state of every path under a matcher without patterns. */
const NOTHING_MATCHED: MatchState = Object.freeze({ excluded: false, matched: Object.freeze([]), decidedBy: -1 });

/** patternmatcher.New for one raw pattern string (already through ignorefile processing). */
function makePattern(raw: string, line: number, text: string): IgnorePattern | IgnoreError | null {
  let p = goTrimSpace(raw);
  if (p === '') return null;
  p = cleanPath(p);
  let exception = false;
  if (p.startsWith('!')) {
    if (p.length === 1) return { line, message: 'illegal exclusion pattern: "!"' };
    exception = true;
    p = p.slice(1);
  }
  const c = compilePattern(p);
  if (typeof c === 'string') return { line, message: `syntax error in pattern ${JSON.stringify(p)}: ${c}` };
  return { line, text, pattern: p, exception };
}

const isError = (x: IgnorePattern | IgnoreError): x is IgnoreError => 'message' in x;

/** ignorefile.ReadAll semantics with line numbers, then patternmatcher.New validation. */
export function parseIgnoreFile(text: string): IgnoreParseResult {
  const patterns: IgnorePattern[] = [];
  const lines = scanLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  for (const [idx, raw] of lines.entries()) {
    if (raw.startsWith('#')) continue; // comments only in column 1
    let p = goTrimSpace(raw);
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = goTrimSpace(p.slice(1));
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1); // anchored at the context root anyway
    }
    const made = makePattern(invert ? '!' + p : p, idx + 1, raw);
    if (made === null) continue;
    if (isError(made)) return { error: made };
    patterns.push(made);
  }
  return { patterns };
}

/** Patterns given as a list (e.g. from a build file); `line` is the 1-based index. */
export function parsePatternList(list: readonly string[]): IgnoreParseResult {
  return parseIgnoreFile(list.map((s) => s.replace(/[\r\n]/g, '')).join('\n'));
}

/** Normalises a context-relative path ('./a//b/' → 'a/b'); '' or '.' is the root. */
export function normalizeRel(rel: string): string {
  const c = cleanPath(rel.replace(/^\/+/, ''));
  return c === '/' ? '.' : c;
}

export class IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[];
  readonly hasExceptions: boolean;
  readonly #compiled: Compiled[];
  /** For exception patterns: the literal text before the first wildcard, and whether that is all of it. */
  readonly #exceptionPrefixes: { prefix: string; literal: boolean }[];

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
    this.#compiled = patterns.map((p) => {
      const c = compilePattern(p.pattern);
      if (typeof c === 'string') throw new Error(`line ${p.line}: ${c}`);
      return c;
    });
    this.hasExceptions = patterns.some((p) => p.exception);
    this.#exceptionPrefixes = patterns
      .filter((p) => p.exception)
      .map((p) => {
        const m = /[*?[\]\\]/.exec(p.pattern);
        return m ? { prefix: p.pattern.slice(0, m.index), literal: false } : { prefix: p.pattern, literal: true };
      });
  }

  /** Parses ignore-file text into a matcher, or returns the first error with its line. */
  static fromText(text: string): IgnoreMatcher | IgnoreError {
    const r = parseIgnoreFile(text);
    return 'error' in r ? r.error : new IgnoreMatcher(r.patterns);
  }

  /**
   * moby's MatchesUsingParentResults: `rel` is a clean relative path, `parent` the state of
   * its directory (undefined for top-level entries, or when unknown: then every ancestor is
   * checked directly, as MatchesOrParentMatches does).
   */
  evaluate(rel: string, parent?: MatchState): MatchState {
    const n = this.#compiled.length;
    const matched = new Array<boolean>(n).fill(false);
    let excluded = false;
    let decidedBy = -1;
    const slash = rel.lastIndexOf('/');
    for (let i = 0; i < n; i++) {
      const pat = this.patterns[i]!;
      const c = this.#compiled[i]!;
      let m = parent?.matched[i] ?? false;
      if (!m) {
        // Exceptions only matter once something is excluded, and vice versa.
        if (pat.exception !== excluded) continue;
        m = matchCompiled(c, rel);
        if (!m && parent === undefined && slash > 0) {
          for (let j = rel.indexOf('/'); j !== -1 && !m; j = rel.indexOf('/', j + 1)) {
            m = matchCompiled(c, rel.slice(0, j));
          }
        }
      }
      matched[i] = m;
      if (m) {
        excluded = !pat.exception;
        decidedBy = i;
      }
    }
    return { excluded, matched, decidedBy };
  }

  /** State of `rel` computed the way the walker does: from the top-level ancestor down. */
  stateOf(rel: string): MatchState {
    // No pattern: nothing excluded (an image without an ignore file asks for each of its reads; issue 22).
    if (this.#compiled.length === 0) return NOTHING_MATCHED;
    const path = normalizeRel(rel);
    let state: MatchState | undefined;
    if (path === '.') return { excluded: false, matched: [], decidedBy: -1 };
    for (let j = path.indexOf('/'); j !== -1; j = path.indexOf('/', j + 1)) {
      state = this.evaluate(path.slice(0, j), state);
    }
    return this.evaluate(path, state);
  }

  /** True when the path is excluded from the context. */
  matches(relPath: string): boolean {
    return this.stateOf(relPath).excluded;
  }

  /** Which line decided the fate of `relPath` (none: included because nothing matched). */
  explain(relPath: string): { excluded: boolean; pattern?: IgnorePattern } {
    const s = this.stateOf(relPath);
    const pattern = s.decidedBy >= 0 ? this.patterns[s.decidedBy] : undefined;
    return pattern ? { excluded: s.excluded, pattern } : { excluded: s.excluded };
  }

  /**
   * Could an exception pattern match some path strictly below `relDir`? Conservative: it
   * compares the exception's literal prefix (text before its first wildcard) with `relDir/`.
   * When false, every descendant of an excluded `relDir` is excluded too.
   */
  exceptionMayMatchBelow(relDir: string): boolean {
    if (this.#exceptionPrefixes.length === 0) return false;
    const dirSlash = normalizeRel(relDir) + '/';
    return this.#exceptionPrefixes.some(({ prefix, literal }) =>
      literal ? prefix.startsWith(dirSlash) : prefix.startsWith(dirSlash) || dirSlash.startsWith(prefix),
    );
  }

  /** True when `relDir` is excluded and nothing below it can be re-included: a walker may prune it. */
  canSkipDir(relDir: string): boolean {
    return this.matches(relDir) && !this.exceptionMayMatchBelow(relDir);
  }
}
