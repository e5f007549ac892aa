/**
 * Small ports of Go standard-library helpers whose exact behaviour .dockerignore
 * semantics depend on: filepath.Clean (Unix), strings.TrimSpace and bufio.ScanLines.
 */

/** Go's `filepath.Clean` for '/'-separated paths (lexical only, no file system access). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      // `/..` is `/`: drop.
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/** Characters for which Go's `unicode.IsSpace` is true (differs from JS `trim`: has U+0085, lacks U+FEFF). */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const TRIM_RE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

const TRIM_LEFT_RE = new RegExp(`^[${GO_SPACE}]+`);

/** Go's `bytes.TrimLeftFunc(s, unicode.IsSpace)`. */
export function goTrimLeft(s: string): string {
  return s.replace(TRIM_LEFT_RE, '');
}

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  return s.replace(TRIM_RE, '');
}

/**
 * Lines as Go's `bufio.Scanner` with `ScanLines` yields them: split on '\n', one trailing
 * '\r' dropped per line, and no final empty line when the text ends with a newline.
 */
export function scanLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** A path holding an unescaped `*`, `?` or `[` is a pattern (moby's `containsWildcards`); a `\\` alone is literal. */
export function hasGlobMeta(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === '*' || p[i] === '?' || p[i] === '[') return true;
  }
  return false;
}

/**
 * One path component of Go's `filepath.Match` (Unix) as a RegExp: `*` any run of characters,
 * `?` one character, `[...]` a class with ranges and `^` negation, `\` escaping the next
 * character. Null for a pattern Go rejects with `ErrBadPattern`.
 */
export function globComponent(pattern: string): RegExp | null {
  const cps = Array.from(pattern);
  let re = '';
  // Outside a class, `-` must not be escaped: a `u` RegExp rejects `\-` there.
  const lit = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (++i >= cps.length) return null;
      re += lit(cps[i]!);
    } else if (c === '[') {
      const cls = globClass(cps, i + 1);
      if (cls === null) return null;
      re += cls.re;
      i = cls.end;
    } else re += lit(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

/** A `[...]` class starting after its `[` at `start`: its RegExp and the index of its `]`. */
function globClass(cps: readonly string[], start: number): { re: string; end: number } | null {
  let i = start;
  const negate = cps[i] === '^';
  if (negate) i++;
  const ranges: string[] = [];
  const esc = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;
  /** One character of a range (Go's getEsc): `\x` is x; `-` and `]` must be escaped. */
  const char = (): string | null => {
    const c = cps[i];
    if (c === undefined || c === '-' || c === ']') return null;
    if (c === '\\') {
      i++;
      if (cps[i] === undefined) return null;
    }
    return cps[i++]!;
  };
  for (let first = true; ; first = false) {
    if (cps[i] === ']' && !first) return { re: `[${negate ? '^/' : ''}${ranges.join('')}]`, end: i };
    const lo = char();
    if (lo === null) return null;
    let hi = lo;
    if (cps[i] === '-') {
      i++;
      const h = char();
      if (h === null) return null;
      hi = h;
    }
    if (lo.codePointAt(0)! > hi.codePointAt(0)!) ranges.push('');
    else ranges.push(lo === hi ? esc(lo) : `${esc(lo)}-${esc(hi)}`);
  }
}
