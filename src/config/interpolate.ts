/**
 * Phase 2: `${NAME}` interpolation in every string value, compose-style:
 * `${NAME}`, `$NAME`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`,
 * `${NAME?message}`, `${NAME:+alt}`, `${NAME+alt}`, and `$$` for a literal `$`.
 * An unset `${NAME}` with no default is an error, never an empty string.
 * Keys and the `vars` section itself are not interpolated.
 */
import { excerpt } from '../core/excerpt.js';
import { err, ok, unreachable, type Result } from '../core/result.js';
import type { YamlPath } from './types.js';

export type Lookup = (name: string) => string | undefined;

/** What went wrong, so that each caller words it (an env file never quotes its own text: its values are secrets). */
export type InterpolationProblem =
  | { readonly kind: 'unclosed' }
  | { readonly kind: 'invalid'; readonly expression: string }
  | { readonly kind: 'unset'; readonly name: string }
  /** `${NAME:?detail}` or `${NAME?detail}` with NAME missing; no detail: the word was empty. */
  | { readonly kind: 'required'; readonly name: string; readonly detail?: string };

export interface StringError {
  /** The problem worded for the build file. */
  readonly message: string;
  readonly expression: string;
  readonly problem: InterpolationProblem;
}

export interface InterpolationError {
  readonly path: YamlPath;
  readonly message: string;
  /** The offending expression, e.g. `${TAG}`, to underline it inside the scalar. */
  readonly expression: string;
}

/** An expression whose word (`default`, `message` or `alt` after the operator) is being interpolated. */
interface Pending {
  readonly name: string;
  readonly operator: string;
  /** The index of the expression's closing brace. */
  readonly close: number;
}

/** A stretch of the input being interpolated: the whole string, or the word of a pending expression. */
interface Frame {
  pos: number;
  readonly end: number;
  out: string;
  /** Set while the word of the expression at `pos` is being interpolated by the frame above. */
  pending?: Pending;
}

type Step =
  | { readonly kind: 'text'; readonly text: string; readonly next: number }
  | { readonly kind: 'word'; readonly pending: Pending; readonly from: number }
  | { readonly kind: 'error'; readonly problem: InterpolationProblem; readonly expression: string };

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

function nameAt(input: string, at: number): string | undefined {
  NAME.lastIndex = at;
  return NAME.exec(input)?.[0];
}

/**
 * Interpolates one string. Nested words (`${A:-${B:-x}}`) are interpolated with an explicit
 * stack of frames, in one pass over the input: 100,000 levels cost neither call stack nor
 * quadratic time. An error is reported with the outermost expression it is in.
 */
export function interpolateString(input: string, lookup: Lookup): Result<string, StringError> {
  if (!input.includes('$')) return ok(input);
  const close = matchBraces(input);
  const frames: Frame[] = [{ pos: 0, end: input.length, out: '' }];
  let outer = '';
  for (;;) {
    const frame = frames[frames.length - 1]!;
    const dollar = input.indexOf('$', frame.pos);
    if (dollar === -1 || dollar >= frame.end) {
      const word = frame.out + input.slice(frame.pos, frame.end);
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent === undefined) return ok(word);
      const done = finish(parent.pending!, word);
      if (!done.ok) return failure(unwind(frames, frames.length - 1, done.error), outer);
      parent.out += done.value;
      parent.pos = parent.pending!.close + 1;
      delete parent.pending;
      continue;
    }
    frame.out += input.slice(frame.pos, dollar);
    const step = expressionAt(input, dollar, frame.end, close, lookup);
    if (frames.length === 1) outer = step.kind === 'error' ? step.expression : input.slice(dollar, step.kind === 'word' ? step.pending.close + 1 : step.next);
    if (step.kind === 'error') return failure(unwind(frames, frames.length, step.problem), outer);
    if (step.kind === 'text') {
      frame.out += step.text;
      frame.pos = step.next;
    } else {
      frame.pending = step.pending;
      frames.push({ pos: step.from, end: step.pending.close, out: '' });
    }
  }
}

const failure = (problem: InterpolationProblem, expression: string): Result<never, StringError> =>
  err({ message: buildFileMessage(problem), expression, problem });

/** What the `$` at `dollar` stands for: text, a word to interpolate first, or an error. */
function expressionAt(input: string, dollar: number, end: number, close: Int32Array, lookup: Lookup): Step {
  const next = dollar + 1 < end ? input[dollar + 1] : undefined;
  if (next === '$') return { kind: 'text', text: '$', next: dollar + 2 };
  if (next === '{') {
    const brace = close[dollar + 1]!;
    if (brace === -1 || brace >= end) {
      return { kind: 'error', problem: { kind: 'unclosed' }, expression: input.slice(dollar, end) };
    }
    return braced(input, dollar, brace, lookup);
  }
  const bare = nameAt(input, dollar + 1);
  if (bare === undefined) return { kind: 'text', text: '$', next: dollar + 1 }; // a lone `$` stays (compose does the same)
  const value = lookup(bare);
  if (value === undefined) return { kind: 'error', problem: { kind: 'unset', name: bare }, expression: `$${bare}` };
  return { kind: 'text', text: value, next: dollar + 1 + bare.length };
}

/** `${NAME}`, `${NAME-word}`, `${NAME:-word}`, `${NAME?word}`, ... from `dollar` to the brace `brace`. */
function braced(input: string, dollar: number, brace: number, lookup: Lookup): Step {
  const expression = input.slice(dollar, brace + 1);
  const name = nameAt(input, dollar + 2);
  const after = dollar + 2 + (name?.length ?? 0);
  const operator = input[after] === ':' ? input.slice(after, after + 2) : (input[after] ?? '');
  if (name === undefined || (after < brace && !OPERATORS.has(operator))) {
    return { kind: 'error', problem: { kind: 'invalid', expression }, expression };
  }
  const value = lookup(name);
  if (after === brace) {
    return value === undefined ? { kind: 'error', problem: { kind: 'unset', name }, expression } : { kind: 'text', text: value, next: brace + 1 };
  }
  const missing = value === undefined || (operator.startsWith(':') && value === '');
  const wordNeeded = operator.endsWith('+') ? !missing : missing;
  if (!wordNeeded) return { kind: 'text', text: operator.endsWith('+') ? '' : value!, next: brace + 1 };
  return { kind: 'word', pending: { name, operator, close: brace }, from: after + operator.length };
}

const OPERATORS = new Set(['-', ':-', '?', ':?', '+', ':+']);

/** The value of a pending expression once its word is interpolated. */
function finish(pending: Pending, word: string): Result<string, InterpolationProblem> {
  if (pending.operator.endsWith('?')) return err({ kind: 'required', name: pending.name, ...(word !== '' && { detail: word }) });
  return ok(word);
}

/** An error inside the words of `frames[0..count)`: each enclosing `?` expression says its variable is required. */
function unwind(frames: readonly Frame[], count: number, problem: InterpolationProblem): InterpolationProblem {
  let out = problem;
  for (let i = count - 1; i >= 0; i--) {
    const pending = frames[i]!.pending;
    if (pending?.operator.endsWith('?')) out = { kind: 'required', name: pending.name };
  }
  return out;
}

/** For each `{`, the index of the `}` that closes it (braces nest), or -1. */
function matchBraces(input: string): Int32Array {
  const close = new Int32Array(input.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x7b) open.push(i);
    else if (c === 0x7d && open.length > 0) close[open.pop()!] = i;
  }
  return close;
}

/** A problem as the build file's diagnostics say it. */
function buildFileMessage(p: InterpolationProblem): string {
  switch (p.kind) {
    case 'unclosed':
      return "invalid interpolation format: unclosed '${' (write $$ for a literal $)";
    case 'invalid':
      return `invalid interpolation format: '${excerpt(p.expression)}' (write $$ for a literal $)`;
    case 'unset':
      return `variable '${p.name}' is not set; define it under vars, in an env file (.env), in the environment or with --var ${p.name}=VALUE, or give a default: \${${p.name}:-value}`;
    case 'required':
      return `variable '${p.name}' is required: ${p.detail ?? 'not set'}`;
    default:
      return unreachable(p);
  }
}

/**
 * Interpolates every string in `value` (except under `skip` top-level keys), collecting every
 * error. A list or mapping in which nothing changed is the one given (most are: no `$`), so a
 * large file is not copied whole (issue 22); the top-level mapping is always a new object.
 */
export function interpolateTree(value: unknown, lookup: Lookup, skip: ReadonlySet<string>): { value: unknown; errors: InterpolationError[] } {
  const errors: InterpolationError[] = [];
  // One path, grown and shrunk as the walk goes (copied only for an error): no array per value.
  const path: (string | number)[] = [];
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('$')) return node;
      const r = interpolateString(node, lookup);
      if (r.ok) return r.value;
      errors.push({ path: [...path], message: r.error.message, expression: r.error.expression });
      return node;
    }
    if (Array.isArray(node)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        const v = walk(node[i]);
        path.pop();
        if (out === undefined && v !== node[i]) out = node.slice(0, i) as unknown[];
        out?.push(v);
      }
      return out ?? node;
    }
    if (node !== null && typeof node === 'object') {
      const top = path.length === 0;
      const keys = Object.keys(node);
      const given = node as Record<string, unknown>;
      let out: Record<string, unknown> | undefined = top ? {} : undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = given[k];
        let w = v;
        if (!(top && skip.has(k))) {
          path.push(k);
          w = walk(v);
          path.pop();
        }
        if (out === undefined && w !== v) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]!] = given[keys[j]!];
        }
        if (out !== undefined) out[k] = w;
      }
      return out ?? node;
    }
    return node;
  };
  return { value: walk(value), errors };
}
