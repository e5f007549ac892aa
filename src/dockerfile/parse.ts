/**
 * Dockerfile syntax, after BuildKit's frontend/dockerfile/parser: parser directives, comments,
 * line continuations with the escape character, heredoc bodies (kept opaque), flags and JSON
 * form. Produces instructions with 1-based line ranges; problems are values, never thrown.
 */
import { goTrimLeft } from '../core/gopath.js';
import { extractFlags, splitWordsRaw, expandWord, type Flag } from './words.js';

export interface Directive {
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

export interface Heredoc {
  readonly name: string;
  /** `<<-`: leading tabs are stripped from the terminator (and, by the builder, the body). */
  readonly chomp: boolean;
  /** False when the name was quoted: the builder does not expand variables in the body. */
  readonly expand: boolean;
  readonly content: string;
}

export interface Instruction {
  /** Upper-case keyword, e.g. `RUN`. */
  readonly keyword: string;
  readonly startLine: number;
  /** Last line, including continuation lines, interleaved comments and heredoc bodies. */
  readonly endLine: number;
  /** The source lines `startLine..endLine`, verbatim. */
  readonly original: string;
  /** The logical line: continuations joined, comments dropped, e.g. `RUN echo   hi`. */
  readonly line: string;
  readonly flags: readonly Flag[];
  /** Arguments after the keyword and flags. */
  readonly args: string;
  /** The exec (JSON) form's strings, or null for shell form. */
  readonly json: readonly string[] | null;
  readonly heredocs: readonly Heredoc[];
}

export interface DockerfileProblem {
  readonly line: number;
  readonly endLine?: number;
  readonly message: string;
}

export interface ParsedDockerfile {
  readonly directives: readonly Directive[];
  readonly escape: '\\' | '`';
  readonly instructions: readonly Instruction[];
  readonly errors: readonly DockerfileProblem[];
  readonly warnings: readonly DockerfileProblem[];
}

export const KEYWORDS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);
const DIRECTIVE_RE = /^#[ \t]*([a-z0-9]+)[ \t]*=[ \t]*(.+?)[ \t]*$/i;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);
const HEREDOC_RE = /^(\d*)<<(-?)([^<]*)$/;

/** Lines come from a split at `\n`: only a carriage return can end one (most end in neither). */
const trimNewline = (s: string): string => (s.endsWith('\r') || s.endsWith('\n') ? s.replace(/[\r\n]+$/, '') : s);
/** Shared by every instruction without flags or heredocs (most): kept through the load, one per image would add up (issue 22). */
const NO_FLAGS: readonly Flag[] = Object.freeze([]);
const NO_HEREDOCS: readonly Heredoc[] = Object.freeze([]);
const isComment = (s: string): boolean => goTrimLeft(s).startsWith('#');
const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/** Exec form: the arguments parse as a JSON array of strings. */
function parseJsonForm(args: string): string[] | null {
  if (!args.trimStart().startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null;
  } catch {
    return null;
  }
}

/** Heredoc markers among the line's words (`<<EOF`, `<<-"EOF"`, `3<<EOF`). */
function heredocMarkers(line: string): { name: string; chomp: boolean; expand: boolean }[] {
  const out: { name: string; chomp: boolean; expand: boolean }[] = [];
  for (const word of splitWordsRaw(line)) {
    const m = HEREDOC_RE.exec(word);
    if (!m || m[3] === '') continue;
    const rest = m[3]!;
    const name = expandWord(rest, () => undefined);
    if ('error' in name || name.value === '' || /\s/.test(name.value)) continue;
    out.push({ name: name.value, chomp: m[2] === '-', expand: !/['"\\]/.test(rest) });
  }
  return out;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  if (lines[0]?.startsWith('\uFEFF')) lines[0] = lines[0].slice(1);

  const directives: Directive[] = [];
  const errors: DockerfileProblem[] = [];
  const warnings: DockerfileProblem[] = [];
  const instructions: Instruction[] = [];
  let escape: '\\' | '`' = '\\';
  let continuation = /([^\\])\\[ \t]*$|^\\[ \t]*$/;
  let directivesDone = false;

  const directive = (token: string, line: number): void => {
    if (directivesDone) return;
    const m = DIRECTIVE_RE.exec(token);
    const name = m?.[1]?.toLowerCase();
    if (!m || !name || !KNOWN_DIRECTIVES.has(name)) {
      directivesDone = true;
      return;
    }
    if (directives.some((d) => d.name === name)) {
      errors.push({ line, message: `only one ${name} parser directive can be used` });
      return;
    }
    const value = m[2]!;
    directives.push({ name, value, line });
    if (name !== 'escape') return;
    if (value !== '`' && value !== '\\') {
      errors.push({ line, message: `invalid escape token '${value}' does not match \` or \\` });
      return;
    }
    escape = value;
    const e = escapeRe(value);
    continuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  };
  /** Removes a trailing escape character; returns [line, isEndOfLine]. */
  // A line without the escape character continues nothing (most lines): no pattern run over it.
  const trimContinuation = (s: string): [string, boolean] => (s.includes(escape) && continuation.test(s) ? [s.replace(continuation, '$1'), false] : [s, true]);

  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    const first = goTrimLeft(trimNewline(lines[i]!));
    directive(first, startLine);
    i++;
    let [line, eol] = trimContinuation(isComment(first) ? '' : first);
    if (eol && line === '') continue;

    let emptyContinuation = false;
    while (!eol && i < lines.length) {
      const raw = trimNewline(lines[i]!);
      directive(raw, i + 1);
      i++;
      if (isComment(raw)) continue;
      if (goTrimLeft(raw) === '') {
        emptyContinuation = true;
        continue;
      }
      const [part, end] = trimContinuation(raw);
      line += part;
      eol = end;
    }
    if (emptyContinuation) warnings.push({ line: startLine, endLine: i, message: `empty continuation line found in: ${line}` });
    if (!eol) warnings.push({ line: startLine, endLine: i, message: 'line continuation at the end of the file' });

    const m = /^(\S+)(?:[\t\v\f\r ]+([\s\S]*))?$/.exec(line.trim());
    const keyword = (m?.[1] ?? '').toUpperCase();
    const { flags, rest } = extractFlags(m?.[2] ?? '');
    if (!KEYWORDS.has(keyword)) errors.push({ line: startLine, endLine: i, message: `unknown instruction: ${m?.[1] ?? line}` });

    let heredocs: readonly Heredoc[] = NO_HEREDOCS;
    if ((keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') && line.includes('<<')) {
      const found: Heredoc[] = [];
      heredocs = found;
      for (const marker of heredocMarkers(line)) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const raw = lines[i]!;
          i++;
          let candidate = trimNewline(raw);
          if (marker.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === marker.name) {
            terminated = true;
            break;
          }
          content += raw + '\n';
        }
        if (!terminated) {
          errors.push({ line: startLine, endLine: i, message: `unterminated heredoc ${marker.name}` });
          break;
        }
        found.push({ ...marker, content });
      }
    }

    instructions.push({
      keyword,
      startLine,
      endLine: i,
      original: i === startLine ? lines[i - 1]! : lines.slice(startLine - 1, i).join('\n'),
      line,
      flags: flags.length === 0 ? NO_FLAGS : flags,
      args: rest.trim(),
      json: parseJsonForm(rest),
      heredocs,
    });
  }
  if (instructions.length === 0) errors.push({ line: Math.max(1, lines.length), message: 'file with no instructions' });
  return { directives, escape, instructions, errors, warnings };
}
