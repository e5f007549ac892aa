/**
 * The Dockerfile mbuild sends when a reference must name something else than it says: an
 * in-file image written by its name (`FROM base`) becomes the exact image just built (its ID
 * for the classic builder, its pin for BuildKit). Only the words of the references change:
 * every line keeps its number, so the builder's messages still point at the user's lines.
 * Pure: the user's file is never touched; execute/sent-dockerfile.ts decides the edits.
 */
import { err, ok, type Result } from '../core/result.js';
import type { Instruction, ParsedDockerfile } from './parse.js';
import type { ReferenceKind } from './stages.js';

/** One reference to rewrite: where it is (its instruction's first line, its kind, as written) and what it becomes. */
export interface ReferenceEdit {
  readonly line: number;
  readonly kind: ReferenceKind;
  /** The reference as written (before ARG substitution), e.g. `base` or `${BASE}`. */
  readonly written: string;
  readonly replacement: string;
}

export interface RewriteProblem {
  readonly line: number;
  readonly message: string;
}

interface Token {
  readonly start: number;
  readonly text: string;
}

/** Words of an instruction's source: whitespace and escaped line breaks separate them. */
function tokens(original: string, escape: string): Token[] {
  const out: Token[] = [];
  const separator = new RegExp(`(?:\\s|${escape === '`' ? '`' : '\\\\'}\\r?\\n)+`, 'g');
  let last = 0;
  for (const m of original.matchAll(separator)) {
    if (m.index > last) out.push({ start: last, text: original.slice(last, m.index) });
    last = m.index + m[0].length;
  }
  if (last < original.length) out.push({ start: last, text: original.slice(last) });
  return out;
}

/** Offset and length of the reference inside the instruction's source, or undefined. */
function locate(ins: Instruction, edit: ReferenceEdit, escape: string): { at: number; length: number } | undefined {
  const words = tokens(ins.original, escape);
  if (edit.kind === 'from') {
    const base = words.slice(1).find((w) => !w.text.startsWith('--'));
    return base?.text === edit.written ? { at: base.start, length: base.text.length } : undefined;
  }
  const prefix = edit.kind === 'copy-from' ? '--from=' : '--mount=';
  for (const w of words.slice(1)) {
    if (!w.text.startsWith('--')) break;
    if (!w.text.toLowerCase().startsWith(prefix)) continue;
    if (edit.kind === 'copy-from') {
      if (w.text.slice(prefix.length) === edit.written) return { at: w.start + prefix.length, length: edit.written.length };
      continue;
    }
    const field = new RegExp(`(^|,|")from=(${escapeRegExp(edit.written)})(?=$|,|")`).exec(w.text.slice(prefix.length));
    if (field) return { at: w.start + prefix.length + field.index + field[1]!.length + 'from='.length, length: edit.written.length };
  }
  return undefined;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Offsets of the start of every line (0-based index = line - 1). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** `text` with every edit applied; a reference that cannot be found as written is a problem at its line. */
export function rewriteReferences(text: string, parsed: ParsedDockerfile, edits: readonly ReferenceEdit[]): Result<string, RewriteProblem[]> {
  const starts = lineStarts(text);
  const spans: { at: number; length: number; replacement: string }[] = [];
  const problems: RewriteProblem[] = [];
  for (const edit of edits) {
    const ins = parsed.instructions.find((i) => i.startLine === edit.line);
    const found = ins === undefined ? undefined : locate(ins, edit, parsed.escape);
    if (found === undefined) {
      problems.push({
        line: edit.line,
        message: `mbuild cannot rewrite '${edit.written}' on this line (write the reference on the instruction's first line, unquoted)`,
      });
      continue;
    }
    spans.push({ at: starts[edit.line - 1]! + found.at, length: found.length, replacement: edit.replacement });
  }
  if (problems.length > 0) return err(problems);
  let out = text;
  for (const s of spans.sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.replacement + out.slice(s.at + s.length);
  return ok(out);
}
