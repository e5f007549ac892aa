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
