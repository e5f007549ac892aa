/**
 * A problem found in a file, located by byte range like a compiler's.
 * Line and column are computed only when printing (report/diagnostic-printer.ts).
 */
export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  readonly text: string;
  /**
   * The text holds secrets (an env file's values): a diagnostic in it shows its path, line
   * and column, never a line of it.
   */
  readonly secret?: boolean;
}

export interface Range {
  readonly offset: number;
  readonly length: number;
}

export interface Location {
  readonly file: SourceFile;
  readonly range: Range;
}

/** `note`: how mbuild reads something, said by `validate` and `plan` only. */
export type Severity = 'error' | 'warning' | 'note';

export interface RelatedInformation {
  readonly message: string;
  readonly location: Location;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable kebab-case identifier of the rule or check that produced it, e.g. `unknown-image`. */
  readonly code: string;
  readonly message: string;
  /** Absent for problems that belong to no file (e.g. "no build file found"). */
  readonly location?: Location;
  readonly related?: readonly RelatedInformation[];
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean => diagnostics.some((d) => d.severity === 'error');

/**
 * Line `line` (1-based) of `text` counted from `start`, without the blanks around it; `end`
 * bounds the search (a value inside a larger file). Undefined when there is no such line.
 */
export function lineRange(text: string, line: number, start = 0, end = text.length): Range | undefined {
  let offset = start;
  for (let i = 1; i < line; i++) {
    const nl = text.indexOf('\n', offset);
    if (nl === -1 || nl + 1 >= end) return undefined;
    offset = nl + 1;
  }
  const nl = text.indexOf('\n', offset);
  const raw = text.slice(offset, Math.min(nl === -1 ? text.length : nl, end));
  const lead = raw.length - raw.trimStart().length;
  return { offset: offset + lead, length: raw.trim().length };
}
