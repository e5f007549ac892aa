/**
 * Phase 1 of the loading pipeline (docs/architecture.md): read the build file and
 * parse it as exactly one YAML document. Bytes that are not UTF-8 text, syntax errors,
 * duplicate or non-string keys, extra documents, nesting deeper than MAX_DEPTH, unknown
 * anchors and alias bombs become located diagnostics; nothing is thrown. The value of
 * text that parsed cleanly before comes from yaml-cache.ts, that of text in the plain block
 * style from yaml-plain.ts; its document is then parsed only when a diagnostic asks where
 * something is.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Document } from 'yaml';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { excerpt } from '../core/excerpt.js';
import { err, ok, type Result } from '../core/result.js';
import { decodeText, type TextProblem } from './text.js';
import { checkDocument, MAX_ALIASES, MAX_EXPANDED } from './yaml-check.js';
import { cachedValue, storeValue, yamlCacheKey } from './yaml-cache.js';
import { MAX_DEPTH, PARSE_OPTIONS, parseYaml } from './yaml-parse.js';
import { plainYamlValue } from './yaml-plain.js';

/** Larger build files are refused before parsing. */
export const MAX_BUILD_FILE_BYTES = 1024 * 1024;

export interface ParsedSource {
  readonly file: SourceFile;
  /** The YAML document (parsed on first use when the value came from the cache). */
  readonly document: () => Document.Parsed;
  /** Plain JS value of the document (aliases expanded, merge keys applied). */
  readonly value: unknown;
}

/** Reads and parses the build file; a small file, read synchronously (a thread-pool round trip costs more). */
export async function readSource(path: string): Promise<Result<ParsedSource, Diagnostic[]>> {
  let bytes: Buffer;
  let info: Stats;
  try {
    info = statSync(path);
    if (info.size > MAX_BUILD_FILE_BYTES) {
      return err([fileError(path, `build file is too large (${info.size} bytes; the limit is ${MAX_BUILD_FILE_BYTES})`)]);
    }
    bytes = readFileSync(path);
  } catch (e) {
    return err([fileError(path, `cannot read build file ${path}: ${(e as Error).message}`)]);
  }
  const { text, problem } = decodeText(bytes);
  const file = { path, text };
  if (problem) return err([textError(file, problem)]);
  const key = yamlCacheKey(text, PARSE_IDENTITY, info);
  const hit = cachedValue(dirname(path), key);
  if (hit !== undefined) {
    let document: Document.Parsed | undefined;
    return ok({ file, value: hit.value, document: () => (document ??= firstDocument(text)) });
  }
  // Text in the plain block style is read without the yaml library's document (yaml-plain.ts).
  const plain = plainYamlValue(text);
  if (plain !== undefined) {
    storeValue(dirname(path), key, plain.value);
    let document: Document.Parsed | undefined;
    return ok({ file, value: plain.value, document: () => (document ??= firstDocument(text)) });
  }
  const parsed = parseSource(file);
  if (parsed.ok) storeValue(dirname(path), key, parsed.value.value);
  return parsed;
}

/** Everything besides the text that the parsed value depends on (part of the cache key); bump `parser` when the pipeline changes. */
const PARSE_IDENTITY = JSON.stringify({ parser: 'mbuild-parse-2', ...PARSE_OPTIONS, maxDepth: MAX_DEPTH, maxAliases: MAX_ALIASES, maxExpanded: MAX_EXPANDED });

/** The document of text that parsed cleanly before (a cache hit) or that yaml-plain.ts read. */
function firstDocument(text: string): Document.Parsed {
  const parsed = parseYaml(text);
  if (!('docs' in parsed) || parsed.docs[0] === undefined) throw new Error('a cached build file no longer parses');
  return parsed.docs[0];
}

function textError(file: SourceFile, problem: TextProblem): Diagnostic {
  const message =
    problem.kind === 'binary'
      ? 'not a text file: it holds NUL bytes (a build file is UTF-8 YAML text)'
      : `invalid UTF-8: byte 0x${problem.byte.toString(16).padStart(2, '0')} starts no valid character here; save the build file as UTF-8`;
  return located(file, problem.kind === 'binary' ? 'not-text' : 'invalid-utf8', message, problem.offset, 1);
}

export function parseSource(file: SourceFile): Result<ParsedSource, Diagnostic[]> {
  const parsed = parseYaml(file.text);
  if ('tooDeepAt' in parsed) {
    return err([located(file, 'too-deep', `nested deeper than ${MAX_DEPTH} levels (mappings and lists); a build file needs a handful`, parsed.tooDeepAt, 1)]);
  }
  const docs = parsed.docs;
  if (docs.length === 0 || docs[0] === undefined) {
    return err([located(file, 'empty-file', 'build file is empty', 0, 0)]);
  }
  const document = docs[0];
  const diagnostics: Diagnostic[] = document.errors.map((e) => located(file, yamlCode(e.code), yamlMessage(e.code, e.message), e.pos[0], e.pos[1] - e.pos[0]));
  if (docs[1] !== undefined) {
    diagnostics.push(located(file, 'multiple-documents', 'build file must hold exactly one YAML document; found another here', docs[1].range[0], 3));
  }
  if (document.contents === null && diagnostics.length === 0) {
    return err([located(file, 'empty-file', 'build file is empty', 0, 0)]);
  }
  for (const p of checkDocument(document)) diagnostics.push(located(file, p.code, p.message, p.offset, p.length));
  if (diagnostics.length > 0) return err(diagnostics.sort((a, b) => a.location!.range.offset - b.location!.range.offset));
  let value: unknown;
  try {
    // The checks above bound what aliases expand to; the library's own count would refuse
    // a plain anchor used more than 100 times.
    value = document.toJS({ maxAliasCount: -1 });
  } catch (e) {
    return err([located(file, 'yaml-syntax', `cannot read YAML: ${excerpt((e as Error).message, 200)}`, 0, 0)]);
  }
  return ok({ file, document: () => document, value });
}

function yamlCode(code: string): string {
  return code === 'NON_STRING_KEY' ? 'non-string-key' : 'yaml-syntax';
}

function yamlMessage(code: string, message: string): string {
  if (code === 'NON_STRING_KEY') return 'a key must be a plain name, not a list, a mapping, an alias or a tagged value';
  // The yaml package ends some messages with a position we print ourselves.
  return message.replace(/ at line \d+, column \d+.*$/s, '').replace(/\s+$/, '');
}

function located(file: SourceFile, code: string, message: string, offset: number, length: number): Diagnostic {
  return { severity: 'error', code, message, location: { file, range: { offset, length } } };
}

function fileError(_path: string, message: string): Diagnostic {
  return { severity: 'error', code: 'cannot-read', message };
}
