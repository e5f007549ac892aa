/**
 * Prints diagnostics like a compiler: `path:line:col: error: message`, then the source
 * line with the offending node underlined (`^~~~`), then related notes the same way.
 */
import { relative, isAbsolute } from 'node:path';
import type { Diagnostic, Location, SourceFile } from '../core/diagnostic.js';

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

function frame(location: Location, opts: PrintOptions): string[] {
  const { file, range } = location;
  const { line, column } = position(file, range.offset);
  const start = range.offset - (column - 1);
  const end = file.text.indexOf('\n', start);
  const text = file.text.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
  const width = Math.max(1, Math.min(range.length, text.length - (column - 1)));
  const gutter = String(line).length;
  const pad = text.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return [
    `${String(line).padStart(gutter + 1)} | ${text}`,
    `${' '.repeat(gutter + 1)} | ${pad}${paint(opts.color, '32', `^${'~'.repeat(width - 1)}`)}`,
  ];
}

function heading(severity: string, message: string, location: Location | undefined, opts: PrintOptions): string {
  const colorCode = severity === 'error' ? '31' : severity === 'warning' ? '33' : '36';
  const label = paint(opts.color, `1;${colorCode}`, `${severity}:`);
  if (!location) return `${label} ${message}`;
  const { line, column } = position(location.file, location.range.offset);
  return `${paint(opts.color, '1', `${displayPath(location.file.path, opts.cwd)}:${line}:${column}:`)} ${label} ${message}`;
}

export function formatDiagnostic(d: Diagnostic, opts: PrintOptions): string {
  const lines = [heading(d.severity, d.message, d.location, opts)];
  if (d.location) lines.push(...frame(d.location, opts));
  for (const r of d.related ?? []) {
    lines.push(heading('note', r.message, r.location, opts), ...frame(r.location, opts));
  }
  return lines.join('\n');
}

export function formatDiagnostics(diagnostics: readonly Diagnostic[], opts: PrintOptions): string {
  return diagnostics.map((d) => formatDiagnostic(d, opts)).join('\n');
}

/** The diagnostics, then how many there are when more than one (a single problem says it all). */
export function formatReport(diagnostics: readonly Diagnostic[], opts: PrintOptions): string {
  const text = formatDiagnostics(diagnostics, opts);
  return diagnostics.length > 1 ? `${text}\n${countLine(diagnostics)}` : text;
}

export function countLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [errors > 0 && plural(errors, 'error'), warnings > 0 && plural(warnings, 'warning')].filter(Boolean).join(', ');
}
