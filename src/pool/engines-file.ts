/**
 * The engines file (`engines.yaml`, pool/config.ts finds it): the pool when no `--engine`
 * is given. Every problem is a diagnostic at its line and column, all of them at once:
 *
 *     engines:
 *       - host: unix:///var/run/docker.sock   # or context: NAME (exactly one of them)
 *         slots: 2                             # optional: builds at once there
 *         name: home                           # optional: the context name, else the host
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { Diagnostic, Location, SourceFile } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { didYouMean } from '../core/suggest.js';
import { contextProblem, hostProblem, MAX_SLOTS, nameProblem } from './engine-spec.js';
import type { EngineEntry } from './types.js';

/** A larger engines file is refused unread: a real one is a few lines. */
export const MAX_ENGINES_FILE_BYTES = 64 * 1024;

const KEYS = ['host', 'context', 'slots', 'name'];

/** The entries; undefined when there is no file at `path`. */
export function loadEnginesFile(path: string): Result<EngineEntry[] | undefined, Diagnostic[]> {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_ENGINES_FILE_BYTES)
      return err([unlocated(`engines file ${path} is too large (${bytes.length} bytes; the limit is ${MAX_ENGINES_FILE_BYTES})`)]);
    text = bytes.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(undefined);
    return err([unlocated(`cannot read engines file ${path}: ${(e as Error).message}`)]);
  }
  return parseEnginesFile({ path, text });
}

/** The entries of the file's text. */
export function parseEnginesFile(file: SourceFile): Result<EngineEntry[], Diagnostic[]> {
  const lines = new LineCounter();
  const doc = parseDocument(file.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const out: Diagnostic[] = [];
  const at: Report = Object.assign(
    (node: Node | null | undefined, message: string): void => {
      out.push({ severity: 'error', code: 'engines-file', message, location: location(file, node) });
    },
    { count: () => out.length, file },
  );
  for (const e of doc.errors) {
    out.push({
      severity: 'error',
      code: 'yaml-syntax',
      message: e.message.replace(/ at line \d+, column \d+.*$/s, '').trim(),
      location: { file, range: { offset: e.pos[0], length: e.pos[1] - e.pos[0] } },
    });
  }
  if (out.length > 0) return err(out);
  const top = doc.contents;
  if (!isMap(top)) {
    at(top, top === null ? 'engines file is empty: write `engines:` and a list of engines' : 'engines file must be a mapping with one key, `engines:`');
    return err(out);
  }
  let list: Node | null | undefined;
  let listKey: Pair | undefined;
  for (const pair of top.items) {
    const key = keyOf(pair);
    if (key === 'engines') {
      list = pair.value;
      listKey = pair;
    } else at(pair.key, `unknown key '${key}' (the engines file has one key, \`engines:\`)${didYouMean(key, ['engines'])}`);
  }
  if (listKey === undefined) at(top, 'no `engines:` list: name at least one engine');
  const entries: EngineEntry[] = [];
  if (listKey !== undefined) {
    const seq = resolved(doc, list);
    if (!isSeq(seq))
      at(
        seq === null || seq === undefined || (isScalar(seq) && seq.value === null) ? (listKey.key as Node) : seq,
        '`engines:` must be a list of engines (`- host: …` or `- context: …`)',
      );
    else if (seq.items.length === 0) at(seq, '`engines:` is empty: name at least one engine, or remove the file');
    else {
      const named = new Map<string, Node>();
      for (const item of seq.items) {
        const entry = readEntry(doc, resolved(doc, item as Node), at, lines);
        if (entry === undefined) continue;
        const first = named.get(entry.entry.name);
        if (first !== undefined) {
          out.push({
            severity: 'error',
            code: 'engine-name-duplicate',
            message: `two engines are named '${entry.entry.name}': give one of them another \`name:\``,
            location: location(file, entry.nameNode),
            related: [{ message: `'${entry.entry.name}' is named here first`, location: location(file, first) }],
          });
        } else named.set(entry.entry.name, entry.nameNode);
        entries.push(entry.entry);
      }
    }
  }
  return out.length > 0 ? err(out) : ok(entries);
}

interface Report {
  (node: Node | null | undefined, message: string): void;
  /** Problems reported so far. */
  readonly count: () => number;
  readonly file: SourceFile;
}

/** One `- host: …` item, its problems reported; undefined when it has any. */
function readEntry(doc: Document, item: Node | null | undefined, at: Report, lines: LineCounter): { entry: EngineEntry; nameNode: Node } | undefined {
  if (!isMap(item)) {
    at(item, 'an engine must be a mapping: `- host: unix:///var/run/docker.sock` or `- context: NAME`');
    return undefined;
  }
  const before = at.count();
  const values = new Map<string, { key: Node; value: Node | null }>();
  for (const pair of item.items) {
    const key = keyOf(pair);
    if (KEYS.includes(key)) values.set(key, { key: pair.key as Node, value: resolved(doc, pair.value as Node | null) ?? null });
    else at(pair.key as Node, `unknown key '${key}' of an engine (the keys are host, context, slots and name)${didYouMean(key, KEYS)}`);
  }
  const text = (key: string): string | undefined => {
    const v = values.get(key);
    if (v === undefined) return undefined;
    if (isScalar(v.value) && typeof v.value.value === 'string' && v.value.value !== '') return v.value.value;
    at(v.value ?? v.key, `${key} must be a non-empty string`);
    return undefined;
  };
  const host = text('host');
  const context = text('context');
  if (values.has('host') && values.has('context')) at(values.get('context')!.key, 'give either host or context, not both');
  else if (!values.has('host') && !values.has('context')) at(item, 'an engine needs host (unix://, tcp://, ssh://) or context (a docker context name)');
  const where = host !== undefined ? hostProblem(host) : context !== undefined ? contextProblem(context) : undefined;
  if (where !== undefined) at(values.get(host !== undefined ? 'host' : 'context')!.value, where);
  let slots: number | undefined;
  const s = values.get('slots');
  if (s !== undefined) {
    const n = isScalar(s.value) ? s.value.value : undefined;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_SLOTS) slots = n;
    else
      at(
        s.value ?? s.key,
        `slots must be a whole number from 1 to ${MAX_SLOTS}, not ${isScalar(s.value) ? `'${String(s.value.source ?? s.value.value)}'` : 'this'}`,
      );
  }
  const name = text('name');
  const nameBad = name === undefined ? undefined : nameProblem(name);
  if (nameBad !== undefined) at(values.get('name')!.value, nameBad);
  if (at.count() > before || (host === undefined && context === undefined)) return undefined;
  const { line, col } = lines.linePos(item.range?.[0] ?? 0);
  const entry: EngineEntry = {
    name: name ?? context ?? host!,
    ...(host !== undefined ? { host } : { context: context! }),
    ...(slots !== undefined && { slots }),
    origin: { kind: 'file', path: at.file.path, line, column: col },
  };
  return { entry, nameNode: (values.get('name') ?? values.get('context') ?? values.get('host'))!.value ?? item };
}

const keyOf = (pair: Pair): string => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key));

/** An alias is read as what it names. */
function resolved(doc: Document, node: Node | null | undefined): Node | null | undefined {
  return node !== null && node !== undefined && 'resolve' in node && typeof node.resolve === 'function' ? node.resolve(doc) : node;
}

/** Where a node is; the file's start for a node that is not there (an empty value). */
function location(file: SourceFile, node: Node | null | undefined): Location {
  const range = node?.range;
  return { file, range: range ? { offset: range[0], length: Math.max(0, range[1] - range[0]) } : { offset: 0, length: 0 } };
}

const unlocated = (message: string): Diagnostic => ({ severity: 'error', code: 'engines-file', message });
