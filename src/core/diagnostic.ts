/**
 * A problem found in a file, located by byte range like a compiler's.
 * Line and column are computed only when printing (report/diagnostic-printer.ts).
 */
export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  readonly text: string;
}

export interface Range {
  readonly offset: number;
  readonly length: number;
}

export interface Location {
  readonly file: SourceFile;
  readonly range: Range;
}

export type Severity = 'error' | 'warning';

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

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');
