/**
 * Word-level helpers for Dockerfile instructions, after BuildKit's shell lexer and parser:
 * variable expansion ($VAR, ${VAR}, ${VAR:-x}, ${VAR:+x}, ...), quote-aware word splitting,
 * leading `--flag=value` extraction and the CSV syntax of `--mount=`.
 */

/** Looks a variable up; undefined when unset (distinct from set-but-empty). */
export type Lookup = (name: string) => string | undefined;

export type Expanded = { readonly value: string } | { readonly error: string };

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Expands one word like BuildKit's ProcessWord: quotes are removed, `escape` escapes the next
 * character (inside double quotes only before `$`, `"` and itself), single quotes are literal.
 */
export function expandWord(word: string, lookup: Lookup, escape = '\\'): Expanded {
  const cps = Array.from(word);
  let i = 0;
  const fail = (error: string): never => {
    throw new ExpandError(error);
  };

  function dollar(): string {
    // At cps[i] === '$'.
    i++;
    const c = cps[i];
    if (c === '{') {
      i++;
      let name = '';
      while (i < cps.length && NAME_CHAR.test(cps[i]!)) name += cps[i++]!;
      if (name === '') fail(`invalid variable name in ${JSON.stringify(word)}`);
      const next = cps[i];
      if (next === '}') {
        i++;
        return lookup(name) ?? '';
      }
      let op = '';
      if (next === ':') {
        op = ':';
        i++;
      }
      const m = cps[i];
      if (m !== '-' && m !== '+' && m !== '?') {
        return fail(i >= cps.length ? `missing '}' in ${JSON.stringify(word)}` : `unsupported modifier (${op}${m ?? ''}) in ${JSON.stringify(word)}`);
      }
      op += m;
      i++;
      const alt = run('}');
      if (cps[i] !== '}') fail(`missing '}' in ${JSON.stringify(word)}`);
      i++;
      const v = lookup(name);
      const setNonEmpty = v !== undefined && v !== '';
      switch (op) {
        case ':-':
          return setNonEmpty ? v : alt;
        case '-':
          return v ?? alt;
        case ':+':
          return setNonEmpty ? alt : '';
        case '+':
          return v !== undefined ? alt : '';
        case ':?':
          return setNonEmpty ? v : fail(`${name}: ${alt || 'is not allowed to be unset'}`);
        default: // '?'
          return v ?? fail(`${name}: ${alt || 'is not allowed to be unset'}`);
      }
    }
    if (c !== undefined && NAME_START.test(c)) {
      let name = '';
      while (i < cps.length && NAME_CHAR.test(cps[i]!)) name += cps[i++]!;
      return lookup(name) ?? '';
    }
    if (c !== undefined && /[0-9]/.test(c)) {
      i++;
      return lookup(c) ?? '';
    }
    return '$';
  }

  function double(): string {
    let out = '';
    i++; // opening quote
    for (;;) {
      const c = cps[i];
      if (c === undefined) return fail(`unexpected end of statement while looking for matching double-quote in ${JSON.stringify(word)}`);
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '$') out += dollar();
      else if (c === escape && (cps[i + 1] === '$' || cps[i + 1] === '"' || cps[i + 1] === escape)) {
        out += cps[i + 1]!;
        i += 2;
      } else {
        out += c;
        i++;
      }
    }
  }

  /** Processes until `stop` (not consumed) or the end. */
  function run(stop?: string): string {
    let out = '';
    while (i < cps.length && cps[i] !== stop) {
      const c = cps[i]!;
      if (c === "'") {
        const end = cps.indexOf("'", i + 1);
        if (end === -1) fail(`unexpected end of statement while looking for matching single-quote in ${JSON.stringify(word)}`);
        out += cps.slice(i + 1, end).join('');
        i = end + 1;
      } else if (c === '"') out += double();
      else if (c === '$') out += dollar();
      else if (c === escape) {
        out += cps[i + 1] ?? '';
        i += 2;
      } else {
        out += c;
        i++;
      }
    }
    return out;
  }

  try {
    return { value: run() };
  } catch (e) {
    if (e instanceof ExpandError) return { error: e.message };
    throw e;
  }
}

class ExpandError extends Error {}

const QUOTE = /['"]/;
const BLANKS = /\s+/;

/** Splits on unquoted whitespace, keeping quotes and escapes in the words (BuildKit RawQuotes). */
export function splitWordsRaw(text: string, escape = '\\'): string[] {
  // No quote and no escape character (most words, e.g. every FROM of a plain image): the words between blanks (issue 22).
  if (!text.includes(escape) && !QUOTE.test(text)) return text.split(BLANKS).filter((w) => w !== '');
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | null = null;
  const cps = Array.from(text);
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (quote) {
      cur += c;
      if (c === escape && quote === '"' && i + 1 < cps.length) cur += cps[++i]!;
      else if (c === quote) quote = null;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += c;
    if (c === "'" || c === '"') quote = c;
    else if (c === escape && i + 1 < cps.length) cur += cps[++i]!;
  }
  if (inWord) words.push(cur);
  return words;
}

export interface Flag {
  /** Name without the leading dashes, e.g. `from`. */
  readonly name: string;
  /** Value after `=`, quotes removed; null for a bare `--flag`. */
  readonly value: string | null;
}

/** BuildKit's extractBuilderFlags: leading `--x=y` words (quotes and `\` processed) and the rest. */
export function extractFlags(args: string): { flags: Flag[]; rest: string } {
  const flags: Flag[] = [];
  let pos = 0;
  for (;;) {
    while (pos < args.length && /\s/.test(args[pos]!)) pos++;
    if (!args.startsWith('--', pos)) return { flags, rest: args.slice(pos) };
    let word = '';
    let quote: string | null = null;
    for (; pos < args.length; pos++) {
      const c = args[pos]!;
      if (!quote && /\s/.test(c)) break;
      if (!quote && (c === "'" || c === '"')) quote = c;
      else if (quote && c === quote) quote = null;
      else if (c === '\\' && pos + 1 < args.length) word += args[++pos]!;
      else if (c !== '\\') word += c;
    }
    if (word === '--') return { flags, rest: args.slice(pos).replace(/^\s+/, '') };
    const eq = word.indexOf('=');
    flags.push(eq === -1 ? { name: word.slice(2), value: null } : { name: word.slice(2, eq), value: word.slice(eq + 1) });
  }
}

/** `type=bind,from=x,target=/y` → entries (a field without `=` maps to "true"). Double quotes group. */
export function parseCsvFields(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  let cur = '';
  let quoted = false;
  const push = (): void => {
    if (cur === '') return;
    const eq = cur.indexOf('=');
    fields.set((eq === -1 ? cur : cur.slice(0, eq)).trim().toLowerCase(), eq === -1 ? 'true' : cur.slice(eq + 1));
    cur = '';
  };
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) push();
    else cur += c;
  }
  push();
  return fields;
}
