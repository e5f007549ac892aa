/**
 * The syntax of an env file (`.env`, `--env-file`), docker compose's dotenv: one `KEY=VALUE`
 * per line, an optional `export ` before it, blank lines and `#` comments.
 *  - unquoted: the rest of the line, trimmed; a `#` after a blank starts a comment;
 *  - 'single quotes': taken as written, over several lines if need be;
 *  - "double quotes": over several lines, with `\n`, `\r`, `\t`, `\"`, `\\`, `\$` (a literal
 *    `$`) and `\a`, `\b`, `\f`, `\v`; any other backslash stays;
 *  - after a closing quote only blanks and a comment.
 * Unquoted and double-quoted values are interpolated later (env-files.ts); here they are
 * templates in which `$$` stands for a literal `$`. Every bad line is a problem at its own
 * offset; parsing goes on at the next line. No problem quotes the text: values are secrets.
 */

export interface DotenvEntry {
  readonly key: string;
  /** Quotes removed and escapes applied. */
  readonly value: string;
  /** Unquoted or double-quoted: `value` is a template to interpolate. Single-quoted: literal. */
  readonly interpolate: boolean;
  /** Where the value is written (inside its quotes): an interpolation error is found in it. */
  readonly start: number;
  readonly end: number;
}

export interface DotenvProblem {
  readonly code: 'env-no-equals' | 'env-invalid-name' | 'env-unterminated-quote' | 'env-after-quote';
  readonly message: string;
  readonly offset: number;
  readonly length: number;
  /** The variable of a bad line when its name could be read: later lines read it as empty, so one mistake is reported once. */
  readonly key?: string;
}

export interface ParsedDotenv {
  readonly entries: readonly DotenvEntry[];
  readonly problems: readonly DotenvProblem[];
}

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['"', '"'],
  ['\\', '\\'],
  ['$', '$$'], // a literal `$` in the template
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['v', '\v'],
]);

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

export function parseDotenv(text: string): ParsedDotenv {
  const entries: DotenvEntry[] = [];
  const problems: DotenvProblem[] = [];
  for (let pos = nextStatement(text, 0); pos < text.length; pos = nextStatement(text, pos)) {
    const line = statement(text, pos);
    if (line.entry !== undefined) entries.push(line.entry);
    problems.push(...line.problems);
    pos = line.next;
  }
  return { entries, problems };
}

/** The start of the next statement from `pos`: blank lines, indentation and comment lines skipped. */
function nextStatement(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text[pos];
    if (c === '#') pos = lineEnd(text, pos) + 1;
    else if (isBlank(c) || c === '\r' || c === '\n') pos++;
    else break;
  }
  return Math.min(pos, text.length);
}

const lineEnd = (text: string, pos: number): number => {
  const nl = text.indexOf('\n', pos);
  return nl === -1 ? text.length : nl;
};

const skipBlanks = (text: string, pos: number): number => {
  while (isBlank(text[pos])) pos++;
  return pos;
};

interface Line {
  readonly entry?: DotenvEntry;
  readonly problems: readonly DotenvProblem[];
  /** Where the next line starts (after a value over several lines, its last). */
  readonly next: number;
}

/** One statement from `start` (its first character): an entry or its problems, and where the next line starts. */
function statement(text: string, start: number): Line {
  const end = lineEnd(text, start);
  let at = start;
  if (text.startsWith('export', at) && isBlank(text[at + 6])) at = skipBlanks(text, at + 6);
  const eq = text.indexOf('=', at);
  if (eq === -1 || eq > end) {
    return { problems: [{ code: 'env-no-equals', message: "expected KEY=VALUE: this line has no '='", offset: at, length: 1 }], next: end + 1 };
  }
  const key = text.slice(at, eq).replace(/[ \t]+$/, '');
  const named = nameProblem(key, at);
  // The value is read even after a bad name: a quoted one may span lines that are not statements.
  const value = valueAt(text, skipBlanks(text, eq + 1), eq + 1);
  if ('problem' in value) {
    const quote = { ...value.problem, ...(named === undefined && { key }) };
    return { problems: named === undefined ? [quote] : [named, quote], next: value.next };
  }
  if (named !== undefined) return { problems: [named], next: value.next };
  return { entry: { key, ...value.value }, problems: [], next: value.next };
}

/** Why `key` (written at `offset`) is no variable name, at its first wrong character. */
function nameProblem(key: string, offset: number): DotenvProblem | undefined {
  if (VARIABLE_NAME.test(key)) return undefined;
  if (key === '') return { code: 'env-invalid-name', message: "expected KEY=VALUE: the name before '=' is missing", offset, length: 1 };
  const bad = /^[0-9]/.test(key) ? 0 : key.search(/[^A-Za-z0-9_]/);
  return {
    code: 'env-invalid-name',
    message: "invalid variable name: a name is letters, digits and '_', and does not start with a digit",
    offset: offset + bad,
    length: 1,
  };
}

type Value = { readonly value: Omit<DotenvEntry, 'key'>; readonly next: number } | { readonly problem: Omit<DotenvProblem, 'key'>; readonly next: number };

/** The value starting at `at` (`afterEq`: just after the `=`). */
function valueAt(text: string, at: number, afterEq: number): Value {
  const quote = text[at];
  if (quote === '"' || quote === "'") return quoted(text, at, quote);
  const end = lineEnd(text, at);
  const line = text.slice(afterEq, end);
  const comment = line.search(/[ \t]#/);
  const raw = comment === -1 ? line : line.slice(0, comment);
  const value = raw.trim();
  const start = afterEq + raw.indexOf(value);
  return { value: { value, interpolate: true, start, end: start + value.length }, next: end + 1 };
}

/** A quoted value opened at `open`; a missing closing quote is a problem, and parsing goes on at the next line. */
function quoted(text: string, open: number, quote: '"' | "'"): Value {
  const scanned = quote === "'" ? singleQuoted(text, open) : doubleQuoted(text, open);
  if (scanned === undefined) {
    const kind = quote === "'" ? 'single' : 'double';
    return {
      problem: {
        code: 'env-unterminated-quote',
        message: `unterminated ${kind}-quoted value: the ${quote} opened here is never closed`,
        offset: open,
        length: 1,
      },
      next: lineEnd(text, open) + 1,
    };
  }
  const { value, close } = scanned;
  const end = lineEnd(text, close);
  const rest = skipBlanks(text, close + 1);
  if (rest < end && text[rest] !== '#' && !(text[rest] === '\r' && rest + 1 === end)) {
    return {
      problem: { code: 'env-after-quote', message: "unexpected text after the closing quote (a comment starts with '#')", offset: rest, length: 1 },
      next: end + 1,
    };
  }
  return { value: { value, interpolate: quote === '"', start: open + 1, end: close }, next: end + 1 };
}

function singleQuoted(text: string, open: number): { value: string; close: number } | undefined {
  const close = text.indexOf("'", open + 1);
  return close === -1 ? undefined : { value: text.slice(open + 1, close).replace(/\r\n/g, '\n'), close };
}

function doubleQuoted(text: string, open: number): { value: string; close: number } | undefined {
  let value = '';
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') return { value, close: i };
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      value += ESCAPES.get(next) ?? `\\${next}`;
    } else if (!(c === '\r' && text[i + 1] === '\n')) value += c;
  }
  return undefined;
}
