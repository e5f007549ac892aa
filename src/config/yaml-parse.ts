/**
 * YAML text -> documents, with the nesting depth bounded before anything recurses.
 * The yaml library's lexer and parser keep their own stacks, but composing the documents
 * and converting them to JS values recurse once per level: 5,000 nested `[` overflowed
 * the call stack. So the parser is driven token by token here and stops at the first
 * token that opens level MAX_DEPTH + 1 (also bounding the parser's own cost, which grows
 * faster than the text when nesting is deep).
 */
import { Composer, Lexer, Parser, type CST, type Document } from 'yaml';

/** Nested mappings and lists a build file may hold; a real one needs fewer than ten. */
export const MAX_DEPTH = 200;

/**
 * `stringKeys`: every mapping key is the string written (`1.10` stays "1.10", `0x10` stays
 * "0x10"); a key that is a list, a mapping, an alias or a tagged value is an error.
 * `uniqueKeys: false`: yaml-check.ts finds duplicate keys in linear time.
 */
export const PARSE_OPTIONS = { uniqueKeys: false, prettyErrors: false, merge: true, stringKeys: true } as const;

export type Parsed = { readonly docs: Document.Parsed[] } | { readonly tooDeepAt: number };

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Open collections: the parser's stack holds the document, the collections and at most one node being read. */
function depth(stack: readonly CST.Token[]): number {
  if (stack.length - 1 <= MAX_DEPTH) return 0;
  let n = 0;
  for (const token of stack) if (COLLECTIONS.has(token.type)) n++;
  return n;
}

export function parseYaml(text: string): Parsed {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  for (const lexeme of new Lexer().lex(text)) {
    const at = parser.offset;
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (depth(parser.stack) > MAX_DEPTH) return { tooDeepAt: at };
  }
  for (const token of parser.end()) tokens.push(token);
  return { docs: [...new Composer(PARSE_OPTIONS).compose(tokens)] };
}
