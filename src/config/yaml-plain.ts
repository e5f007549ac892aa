/**
 * Phase 1's fast path (issue 22): the value of a build file written in the plain block style
 * mbuild files are written in (mappings and lists by indentation, one-line flow lists and
 * mappings of scalars, plain names, simple quoted strings, small integers, true and false,
 * comment lines), read without the yaml library's documents: a build file of 20,000 images
 * is ~0.8 MB of such text, and composing its document cost more than half a second.
 *
 * It answers only what it is sure of: anything else it gives up on (undefined), and the full
 * parser reads the file (source.ts), with its diagnostics. So every text it reads is valid
 * YAML whose value, under the parser's options (yaml-parse.ts: YAML 1.2's core schema, string
 * keys), is the one given here (test/unit/yaml-plain.test.ts compares the two, also on
 * mutated texts). Given up on: any character other than printable ASCII and the line feed (a
 * tab, a carriage return, non-ASCII text), a `#` that does not start a comment line, document
 * markers and directives, anchors, aliases, tags, block scalars, merge keys, `__proto__`,
 * quoted or unusual keys, a key written twice, a plain scalar that could be anything but a
 * name (spaces, a leading digit, dot or sign; `null`, `True`...), numbers besides small
 * non-negative integers, flow collections over more than one line or nested, a scalar over
 * more than one line, nesting deeper than MAX_NESTING.
 */

/** A line with content: its indentation and its text without it (trailing blanks dropped). */
interface Line {
  readonly indent: number;
  readonly body: string;
}

/** Deeper nesting than a build file needs: left to the full parser (which bounds it itself). */
const MAX_NESTING = 32;

/** A mapping key, then `:` and a blank or the end of the line; group 2: the value's text. */
const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
/** A plain scalar that is a string under the core schema whatever follows its first character (or `./`, `../`). */
const PLAIN = /^(?:\.{1,2}\/|[A-Za-z_/])[A-Za-z0-9_./:@+=-]*$/;
/** The same inside `[...]` and `{...}`, where a `:` is part of the scalar only when a character of it follows. */
const FLOW_PLAIN = /^(?:\.{1,2}\/|[A-Za-z_/])(?:[A-Za-z0-9_./@+=-]|:(?=[A-Za-z0-9_./@+=-]))*$/;
const INTEGER = /^(?:0|[1-9][0-9]{0,14})$/;
/** Words the core schema reads as null or a boolean (besides `true` and `false`, read here), as keys or values. */
const SPECIAL = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
const ONLY_PRINTABLE_ASCII = /^[\x20-\x7e\n]*$/;
const DOUBLE_QUOTED = /^"([^"\\]*)"/;
const SINGLE_QUOTED = /^'([^']*)'/;

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

/** The value of `text`, or undefined when it is not in the plain subset (the full parser then reads it). */
export function plainYamlValue(text: string): { value: Record<string, unknown> } | undefined {
  if (!ONLY_PRINTABLE_ASCII.test(text)) return undefined;
  const lines = contentLines(text);
  if (lines === undefined || lines.length === 0 || lines[0]!.indent !== 0 || isItem(lines[0]!.body)) return undefined;
  try {
    const reader = new Reader(lines);
    const value = reader.mapping(0, 0);
    return reader.at === lines.length ? { value } : undefined;
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}

function contentLines(text: string): Line[] | undefined {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    const body = raw.trim();
    if (body === '' || body.startsWith('#')) continue;
    if (body.includes('#') || raw.startsWith('---') || raw.startsWith('...') || raw.startsWith('%')) return undefined;
    out.push({ indent: raw.length - raw.trimStart().length, body });
  }
  return out;
}

const isItem = (body: string): boolean => body === '-' || body.startsWith('- ');

class Reader {
  at = 0;
  constructor(private readonly lines: Line[]) {}

  /** The block mapping whose keys are at `indent`, from the current line. */
  mapping(indent: number, depth: number): Record<string, unknown> {
    if (depth > MAX_NESTING) giveUp();
    const out: Record<string, unknown> = {};
    while (this.at < this.lines.length && this.lines[this.at]!.indent === indent && !isItem(this.lines[this.at]!.body)) {
      const m = KEY_LINE.exec(this.lines[this.at]!.body) ?? giveUp();
      const key = m[1]!;
      if (SPECIAL.has(key) || key === '__proto__' || Object.hasOwn(out, key)) giveUp();
      this.at++;
      out[key] = m[2] === undefined ? this.blockValue(indent, depth) : this.inlineValue(m[2], indent);
    }
    return out;
  }

  /** The list whose `- ` are at `indent`, from the current line. */
  list(indent: number, depth: number): unknown[] {
    if (depth > MAX_NESTING) giveUp();
    const out: unknown[] = [];
    while (this.at < this.lines.length && this.lines[this.at]!.indent === indent && isItem(this.lines[this.at]!.body)) {
      const body = this.lines[this.at]!.body;
      if (body === '-') giveUp();
      const item = body.slice(1).trimStart();
      if (isItem(item)) giveUp();
      if (KEY_LINE.test(item)) {
        // `- key: value`: a mapping whose keys are at the column of this first one.
        const column = indent + body.length - item.length;
        this.lines[this.at] = { indent: column, body: item };
        out.push(this.mapping(column, depth + 1));
      } else {
        this.at++;
        out.push(this.inlineValue(item, indent));
      }
    }
    return out;
  }

  /** The value of `key:` with nothing after it: a block below it, a list at its own indent, else null. */
  private blockValue(indent: number, depth: number): unknown {
    const next = this.lines[this.at];
    if (next === undefined) return null;
    if (next.indent > indent) return isItem(next.body) ? this.list(next.indent, depth + 1) : this.mapping(next.indent, depth + 1);
    if (next.indent === indent && isItem(next.body)) return this.list(indent, depth + 1);
    return null;
  }

  /** A value written on its key's (or item's) line; the next line may not continue it. */
  private inlineValue(text: string, indent: number): unknown {
    const next = this.lines[this.at];
    if (next !== undefined && next.indent > indent) giveUp();
    if (text.startsWith('[') || text.startsWith('{')) return flow(text);
    return blockScalar(text);
  }
}

function blockScalar(text: string): unknown {
  if (text.startsWith('"') || text.startsWith("'")) {
    const m = (text.startsWith('"') ? DOUBLE_QUOTED : SINGLE_QUOTED).exec(text);
    return m !== null && m[0].length === text.length ? m[1] : giveUp();
  }
  return word(text, PLAIN);
}

/** A plain scalar: a name, a small integer, true or false. */
function word(text: string, plain: RegExp): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (INTEGER.test(text)) return Number(text);
  return plain.test(text) && !text.endsWith(':') && !SPECIAL.has(text) ? text : giveUp();
}

/** A one-line `[a, "b"]` or `{k: v, k2: 'w'}` of scalars, and nothing after it. */
function flow(text: string): unknown {
  const list = text.startsWith('[');
  const close = list ? ']' : '}';
  const items: unknown[] = [];
  const map: Record<string, unknown> = {};
  let p = 1;
  const blanks = (): void => {
    while (text[p] === ' ') p++;
  };
  /** A scalar up to the next `,` or the closing bracket. */
  const scalar = (): unknown => {
    if (text[p] === '"' || text[p] === "'") {
      const m = (text[p] === '"' ? DOUBLE_QUOTED : SINGLE_QUOTED).exec(text.slice(p)) ?? giveUp();
      p += m[0].length;
      return m[1];
    }
    const start = p;
    while (p < text.length && text[p] !== ',' && text[p] !== close && text[p] !== ' ') p++;
    return word(text.slice(start, p), FLOW_PLAIN);
  };
  blanks();
  if (text[p] !== close) {
    for (;;) {
      if (list) items.push(scalar());
      else {
        const colon = text.indexOf(':', p);
        const key = colon === -1 ? giveUp() : text.slice(p, colon);
        if (!KEY.test(key) || SPECIAL.has(key) || key === '__proto__' || Object.hasOwn(map, key) || text[colon + 1] !== ' ') giveUp();
        p = colon + 1;
        blanks();
        map[key] = scalar();
      }
      blanks();
      if (text[p] === close) break;
      if (text[p] !== ',') giveUp();
      p++;
      blanks();
      // `[a, ]` is valid YAML, but left to the full parser.
      if (text[p] === close || text[p] === ',') giveUp();
    }
  }
  return p === text.length - 1 ? (list ? items : map) : giveUp();
}
