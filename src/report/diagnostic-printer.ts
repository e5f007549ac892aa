/**
 * Prints diagnostics like a compiler: `path:line:col: error: message`, then the source
 * line with the offending node underlined (`^~~~`; not for a file that holds secrets, an
 * env file), then related notes the same way.
 * A long line is shown as a window around the column (`…` where it is cut), control
 * characters as `?`, a long word in a message (a path, a huge number) is cut in its middle
 * and a message is never longer than MAX_MESSAGE characters.
 */
import { relative, isAbsolute } from 'node:path';
import type { Diagnostic, Location, SourceFile } from '../core/diagnostic.js';
import { clipMessage, inward, printable } from '../core/excerpt.js';

/** Characters of a source line shown at most; a longer line is cut around the column. */
export const FRAME_WIDTH = 100;
/** Characters of the line shown before the column when the line is cut. */
const FRAME_LEAD = 30;
/** Characters of a message printed at most, after each long word in it is cut. */
export const MAX_MESSAGE = 10_000;

export interface PrintOptions {
  /** Paths are shown relative to this folder when inside it. */
  readonly cwd: string;
  readonly color: boolean;
}

const lineStarts = new WeakMap<SourceFile, number[]>();

/** 1-based line and column of a byte offset (computed only when printing). */
export function position(file: SourceFile, offset: number): { line: number; column: number } {
  let starts = lineStarts.get(file);
  if (!starts) {
    starts = [0];
    for (let i = 0; i < file.text.length; i++) if (file.text[i] === '\n') starts.push(i + 1);
    lineStarts.set(file, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function paint(color: boolean, code: string, text: string): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** The part of `line` shown, and where `column` (0-based) falls in it. */
function window(line: string, column: number): { shown: string; at: number; room: number } {
  if (line.length <= FRAME_WIDTH) return { shown: printable(line), at: column, room: line.length - column };
  const wanted = Math.max(0, Math.min(column - FRAME_LEAD, line.length - FRAME_WIDTH));
  const [from, to] = inward(line, wanted, wanted + FRAME_WIDTH);
  const lead = from > 0 ? '…' : '';
  const shown = `${lead}${printable(line.slice(from, to))}${to < line.length ? '…' : ''}`;
  return { shown, at: column - from + lead.length, room: to - column };
}

function frame(location: Location, opts: PrintOptions): string[] {
  const { file, range } = location;
  if (file.secret === true) return []; // an env file: its values are never shown
  const { line, column } = position(file, range.offset);
  const start = range.offset - (column - 1);
  const end = file.text.indexOf('\n', start);
  const text = file.text.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
  if (text.includes('\0')) return []; // not text (a binary given as a build file): nothing worth showing
  const { shown, at, room } = window(text, column - 1);
  const width = Math.max(1, Math.min(range.length, room));
  const gutter = String(line).length;
  const pad = shown.slice(0, at).replace(/[^\t]/g, ' ');
  return [`${String(line).padStart(gutter + 1)} | ${shown}`, `${' '.repeat(gutter + 1)} | ${pad}${paint(opts.color, '32', `^${'~'.repeat(width - 1)}`)}`];
}

function heading(severity: string, text: string, location: Location | undefined, opts: PrintOptions): string {
  const message = clipMessage(text, 200, MAX_MESSAGE);
  const colorCode = severity === 'error' ? '31' : severity === 'warning' ? '33' : '36';
  const label = paint(opts.color, `1;${colorCode}`, `${severity}:`);
  if (!location) return `${label} ${message}`;
  const { line, column } = position(location.file, location.range.offset);
  return `${paint(opts.color, '1', `${printable(displayPath(location.file.path, opts.cwd))}:${line}:${column}:`)} ${label} ${message}`;
}

export function formatDiagnostic(d: Diagnostic, opts: PrintOptions): string {
  const lines = [heading(d.severity, d.message, d.location, opts)];
  if (d.location) lines.push(...frame(d.location, opts));
  for (const r of d.related ?? []) {
    lines.push(heading('note', r.message, r.location, opts), ...frame(r.location, opts));
  }
  return lines.join('\n');
}

/** Diagnostics printed at most: a generated file with 300,000 bad entries would print 60 MB. */
export const MAX_PRINTED = 1000;

export function formatDiagnostics(diagnostics: readonly Diagnostic[], opts: PrintOptions): string {
  const shown = diagnostics.slice(0, MAX_PRINTED).map((d) => formatDiagnostic(d, opts));
  if (diagnostics.length > MAX_PRINTED) shown.push(`... and ${diagnostics.length - MAX_PRINTED} more (the first ${MAX_PRINTED} are shown)`);
  return shown.join('\n');
}

/** The diagnostics, then how many there are when more than one (a single problem says it all). */
export function formatReport(diagnostics: readonly Diagnostic[], opts: PrintOptions): string {
  const text = formatDiagnostics(diagnostics, opts);
  return diagnostics.length > 1 ? `${text}\n${countLine(diagnostics)}` : text;
}

export function countLine(diagnostics: readonly Diagnostic[]): string {
  const count = (severity: string): number => diagnostics.filter((d) => d.severity === severity).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (['error', 'warning', 'note'] as const)
    .map((s) => count(s) > 0 && plural(count(s), s))
    .filter(Boolean)
    .join(', ');
}
