/**
 * Phase 1 of the loading pipeline (docs/architecture.md): read the build file and
 * parse it as exactly one YAML document. Syntax errors, duplicate keys, extra
 * documents and alias bombs become located diagnostics; nothing is thrown. The value of
 * text that parsed cleanly before comes from yaml-cache.ts; its document is then parsed
 * only when a diagnostic asks where something is.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { cachedValue, storeValue, yamlCacheKey } from './yaml-cache.js';

/** Larger build files are refused before parsing. */
export const MAX_BUILD_FILE_BYTES = 1024 * 1024;
/** Aliases expanded at most this many times (billion-laughs guard). */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedSource {
  readonly file: SourceFile;
  /** The YAML document (parsed on first use when the value came from the cache). */
  readonly document: () => Document.Parsed;
  /** Plain JS value of the document (aliases expanded, merge keys applied). */
  readonly value: unknown;
}

/** Reads and parses the build file; a small file, read synchronously (a thread-pool round trip costs more). */
export async function readSource(path: string): Promise<Result<ParsedSource, Diagnostic[]>> {
  let text: string;
  let info: Stats;
  try {
    info = statSync(path);
    if (info.size > MAX_BUILD_FILE_BYTES) {
      return err([fileError(path, `build file is too large (${info.size} bytes; the limit is ${MAX_BUILD_FILE_BYTES})`)]);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return err([fileError(path, `cannot read build file ${path}: ${(e as Error).message}`)]);
  }
  const file = { path, text };
  const key = yamlCacheKey(text, PARSE_IDENTITY, info);
  const hit = cachedValue(dirname(path), key);
  if (hit !== undefined) {
    let document: Document.Parsed | undefined;
    return ok({ file, value: hit.value, document: () => (document ??= parseDocuments(text)[0]!) });
  }
  const parsed = parseSource(file);
  if (parsed.ok) storeValue(dirname(path), key, parsed.value.value);
  return parsed;
}

const PARSE_OPTIONS = { uniqueKeys: true, prettyErrors: false, merge: true } as const;
/** Everything besides the text that the parsed value depends on (part of the cache key). */
const PARSE_IDENTITY = JSON.stringify({ ...PARSE_OPTIONS, maxAliasCount: MAX_ALIAS_COUNT });
const parseDocuments = (text: string) => parseAllDocuments(text, PARSE_OPTIONS);

export function parseSource(file: SourceFile): Result<ParsedSource, Diagnostic[]> {
  const docs = parseDocuments(file.text);
  if (!Array.isArray(docs) || docs.length === 0 || docs[0] === undefined) {
    return err([located(file, 'empty-file', 'build file is empty', 0, 0)]);
  }
  const diagnostics: Diagnostic[] = [];
  for (const [i, doc] of docs.entries()) {
    if (i > 0) {
      const start = doc.range[0];
      diagnostics.push(located(file, 'multiple-documents', 'build file must hold exactly one YAML document; found another here', start, 3));
      break;
    }
    for (const e of doc.errors) {
      diagnostics.push(located(file, yamlCode(e.code), yamlMessage(e.code, e.message), e.pos[0], e.pos[1] - e.pos[0]));
    }
  }
  const document = docs[0];
  if (diagnostics.length > 0) return err(diagnostics);
  if (document.contents === null) {
    return err([located(file, 'empty-file', 'build file is empty', 0, 0)]);
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const message = /alias/i.test((e as Error).message)
      ? `too many alias expansions (more than ${MAX_ALIAS_COUNT}); refusing a possible alias bomb`
      : `cannot read YAML: ${(e as Error).message}`;
    return err([located(file, 'alias-limit', message, 0, 0)]);
  }
  return ok({ file, document: () => document, value });
}

function yamlCode(code: string): string {
  return code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax';
}

function yamlMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear only once in a mapping';
  // The yaml package ends some messages with a position we print ourselves.
  return message.replace(/ at line \d+, column \d+.*$/s, '').replace(/\s+$/, '');
}

function located(file: SourceFile, code: string, message: string, offset: number, length: number): Diagnostic {
  return { severity: 'error', code, message, location: { file, range: { offset, length } } };
}

function fileError(path: string, message: string): Diagnostic {
  void path;
  return { severity: 'error', code: 'cannot-read', message };
}
