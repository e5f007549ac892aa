/**
 * Phase 2's env files, like docker compose's: `--env-file PATH` (relative to the current
 * folder; repeatable, later files over earlier ones), else `.env` beside the build file when
 * there is one. Their variables rank below `--var` and the environment and above `vars`.
 * A value is interpolated (dotenv.ts says which) from `--var`, the environment, then what
 * earlier lines and earlier files set. Every problem of every file is reported at its own
 * `file:line:col`; their text is marked secret, so no diagnostic prints a line of it.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { unreachable } from '../core/result.js';
import { parseDotenv, type DotenvEntry } from './dotenv.js';
import { interpolateString, type InterpolationProblem, type Lookup } from './interpolate.js';
import { decodeText } from './text.js';

/** Larger env files are refused before parsing. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

export const DEFAULT_ENV_FILE = '.env';

export interface EnvFileOptions {
  /** The folder of the build file: where the default `.env` is. */
  readonly root: string;
  readonly cwd: string;
  /** `--env-file` paths as given; absent or empty: the default `.env`. */
  readonly given?: readonly string[];
  /** What outranks the env files: `--var`, then the environment. */
  readonly outside: Lookup;
}

export interface EnvFiles {
  /** Every variable the files set, later files and lines over earlier ones. */
  readonly values: ReadonlyMap<string, string>;
  /** The files in use: the `--env-file`s, else the default `.env` whether or not it exists (watch mode reloads when one changes). */
  readonly paths: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

export function readEnvFiles(o: EnvFileOptions): EnvFiles {
  const explicit = o.given !== undefined && o.given.length > 0;
  const files = explicit ? o.given.map((given) => ({ given, path: resolve(o.cwd, given) })) : [{ given: undefined, path: join(o.root, DEFAULT_ENV_FILE) }];
  const values = new Map<string, string>();
  /** Variables of bad lines: they read as empty, so one mistake is reported once. */
  const failed = new Set<string>();
  const lookup: Lookup = (name) => o.outside(name) ?? values.get(name) ?? (failed.has(name) ? '' : undefined);
  const diagnostics: Diagnostic[] = [];
  for (const { given, path } of files) {
    const source = readEnvFile(path, given);
    if ('diagnostic' in source) diagnostics.push(source.diagnostic);
    else if (source.file !== undefined) diagnostics.push(...applyFile(source.file, values, failed, lookup));
  }
  return { values, paths: files.map((f) => f.path), diagnostics };
}

/** The file's text; nothing for a default `.env` that does not exist; or why it cannot be used. */
function readEnvFile(path: string, given: string | undefined): { file?: SourceFile } | { diagnostic: Diagnostic } {
  const fail = (code: string, message: string) => ({ diagnostic: { severity: 'error' as const, code, message } });
  const named = given === undefined ? `${DEFAULT_ENV_FILE} beside the build file (${path})` : `--env-file ${given}${given === path ? '' : ` (${path})`}`;
  let info: Stats;
  try {
    info = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return fail('env-file-unreadable', `cannot read ${named}: ${(e as Error).message}`);
    return given === undefined ? {} : fail('env-file-missing', `env file not found: ${named}; a relative --env-file path is relative to the current folder`);
  }
  if (info.isDirectory()) return fail('env-file-unreadable', `${named} is a folder; an env file must be a file`);
  // A FIFO would wait for a writer, a device could be endless: only a regular file is read.
  if (!info.isFile()) return fail('env-file-unreadable', `${named} is not a regular file (a device, a FIFO or a socket); an env file must be a file`);
  if (info.size > MAX_ENV_FILE_BYTES) return fail('env-file-unreadable', `${named} is too large (${info.size} bytes; the limit is ${MAX_ENV_FILE_BYTES})`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return fail('env-file-unreadable', `cannot read ${named}: ${(e as Error).message}`);
  }
  const { text, problem } = decodeText(bytes);
  const file: SourceFile = { path, text, secret: true };
  if (problem === undefined) return { file };
  const message =
    problem.kind === 'binary' ? 'not a text file: it holds NUL bytes (an env file is UTF-8 text)' : 'invalid UTF-8 here; save the env file as UTF-8';
  return { diagnostic: { severity: 'error', code: 'env-file-not-text', message, location: { file, range: { offset: problem.offset, length: 1 } } } };
}

/** Parses one file and adds its variables to `values`, in order: each line sees the ones above it. */
function applyFile(file: SourceFile, values: Map<string, string>, failed: Set<string>, lookup: Lookup): Diagnostic[] {
  const located = (code: string, message: string, offset: number, length: number): Diagnostic => ({
    severity: 'error',
    code,
    message,
    location: { file, range: { offset, length } },
  });
  const parsed = parseDotenv(file.text);
  const diagnostics = parsed.problems.map((p) => located(p.code, p.message, p.offset, p.length));
  for (const p of parsed.problems) if (p.key !== undefined) failed.add(p.key);
  // Entries and problems are each in text order; a bad line defines nothing, so the order between them does not matter.
  for (const entry of parsed.entries) {
    const value = entryValue(entry, lookup);
    if (value.ok) {
      values.set(entry.key, value.value);
      failed.delete(entry.key);
      continue;
    }
    failed.add(entry.key);
    values.delete(entry.key);
    const at = file.text.slice(entry.start, entry.end).indexOf(value.expression);
    const range = at === -1 ? { offset: entry.start, length: entry.end - entry.start } : { offset: entry.start + at, length: value.expression.length };
    diagnostics.push(located('env-interpolation', envFileMessage(value.problem, value.expression), range.offset, range.length));
  }
  return diagnostics.sort((a, b) => a.location!.range.offset - b.location!.range.offset);
}

function entryValue(entry: DotenvEntry, lookup: Lookup) {
  if (!entry.interpolate) return { ok: true as const, value: entry.value };
  const r = interpolateString(entry.value, lookup);
  return r.ok ? r : { ok: false as const, problem: r.error.problem, expression: r.error.expression };
}

/** A problem as an env file's diagnostics say it: never quoting its text, which may hold a secret. */
function envFileMessage(p: InterpolationProblem, expression: string): string {
  switch (p.kind) {
    case 'unclosed':
      return "invalid interpolation format: unclosed '${' (write $$ for a literal $, or single-quote the value)";
    case 'invalid':
      return 'invalid interpolation format (write $$ for a literal $, or single-quote the value)';
    case 'unset':
      return (
        `variable '${p.name}' is not set; a value in an env file may use --var, the environment, earlier env files and the lines above it. ` +
        `Give a default (\${${p.name}:-value}), or write $$ for a literal $, or single-quote the value`
      );
    case 'required':
      // The detail is the word after `?`: shown only when it is plain text, not interpolated from a value.
      return p.detail !== undefined && !expression.slice(1).includes('$')
        ? `variable '${p.name}' is required: ${p.detail}`
        : `variable '${p.name}' is required`;
    default:
      return unreachable(p);
  }
}
