/**
 * One .dockerignore pattern, compiled the way moby's patternmatcher does (exact / prefix /
 * suffix fast paths, else a regexp), with Go filepath.Match syntax for `*`, `?`, `[...]`
 * and backslash escapes.
 */

/** How one cleaned pattern is matched (exported for tests and diagnostics). */
export type Compiled = { readonly kind: 'exact' | 'prefix' | 'suffix'; readonly text: string } | { readonly kind: 'regexp'; readonly re: RegExp };

/** A literal code point for a `u`-flag RegExp. */
const lit = (ch: string): string => (/^[A-Za-z0-9_]$/.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`);

/** Go filepath.Match's getEsc: one possibly-escaped class character at `i`; null on syntax error. */
function getEsc(cps: readonly string[], i: number): { ch: string; next: number } | null {
  let c = cps[i];
  if (c === undefined || c === '-' || c === ']') return null;
  if (c === '\\') {
    i++;
    c = cps[i];
    if (c === undefined) return null;
  }
  // A class must be followed by something (at least its closing bracket).
  return i + 1 >= cps.length ? null : { ch: c, next: i + 1 };
}

/** Parses `[...]` starting just after the `[`; returns the JS class and the index after `]`. */
function parseClass(cps: readonly string[], start: number): { re: string; next: number } | string {
  let i = start;
  if (i >= cps.length) return 'unterminated character class';
  const negated = cps[i] === '^';
  if (negated) i++;
  let body = '';
  let ranges = 0;
  for (;;) {
    if (cps[i] === ']' && ranges > 0) return { re: `[${negated ? '^' : ''}${body}]`, next: i + 1 };
    const lo = getEsc(cps, i);
    if (!lo) return 'unterminated or malformed character class';
    i = lo.next;
    let hi = lo;
    if (cps[i] === '-') {
      const h = getEsc(cps, i + 1);
      if (!h) return 'malformed character range';
      hi = h;
      i = h.next;
    }
    if (lo.ch.codePointAt(0)! > hi.ch.codePointAt(0)!) return `invalid character class range ${lo.ch}-${hi.ch}`;
    body += lo === hi ? lit(lo.ch) : `${lit(lo.ch)}-${lit(hi.ch)}`;
    ranges++;
  }
}

/**
 * moby's Pattern.compile: classify the pattern (exact / prefix `x/**` / suffix `**x` / regexp)
 * and build the regexp. `*` and `?` never match '/', `**` matches any number of directories.
 * Returns an error message for an invalid pattern.
 */
export function compilePattern(pattern: string): Compiled | string {
  const cps = Array.from(pattern);
  let re = '^';
  let kind: Compiled['kind'] = 'exact';
  for (let i = 0, step = 0; i < cps.length; step++) {
    const ch = cps[i++]!;
    if (ch === '*') {
      if (cps[i] === '*') {
        i++;
        if (cps[i] === '/') i++; // `**/` is `**`
        if (i >= cps.length) {
          // Trailing `**` accepts everything below (like .gitignore).
          if (kind === 'exact') kind = 'prefix';
          else {
            re += '[^\\n]*';
            kind = 'regexp';
          }
        } else {
          re += '(?:[^\\n]*/)?';
          kind = 'regexp';
        }
        if (step === 0) kind = 'suffix';
      } else {
        re += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      kind = 'regexp';
    } else if (ch === '\\') {
      const next = cps[i++];
      if (next === undefined) return 'trailing backslash';
      re += lit(next);
      kind = 'regexp';
    } else if (ch === '[') {
      const cls = parseClass(cps, i);
      if (typeof cls === 'string') return cls;
      re += cls.re;
      i = cls.next;
      kind = 'regexp';
    } else {
      if (ch === ']') kind = 'regexp';
      re += lit(ch);
    }
  }
  switch (kind) {
    case 'exact':
      return { kind, text: pattern };
    case 'prefix':
      return { kind, text: pattern.slice(0, -2) };
    case 'suffix':
      return { kind, text: pattern.slice(2) };
    case 'regexp':
      return { kind, re: new RegExp(re + '$', 'u') };
  }
}

export function matchCompiled(c: Compiled, path: string): boolean {
  switch (c.kind) {
    case 'exact':
      return path === c.text;
    case 'prefix':
      return path.startsWith(c.text);
    case 'suffix':
      // `**/foo` also matches `foo` itself.
      return path.endsWith(c.text) || (c.text.startsWith('/') && path === c.text.slice(1));
    case 'regexp':
      return c.re.test(path);
  }
}
