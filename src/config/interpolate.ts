/**
 * Phase 2: `${NAME}` interpolation in every string value, compose-style:
 * `${NAME}`, `$NAME`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`,
 * `${NAME?message}`, `${NAME:+alt}`, `${NAME+alt}`, and `$$` for a literal `$`.
 * An unset `${NAME}` with no default is an error, never an empty string.
 * Keys and the `vars` section itself are not interpolated.
 */
import { err, ok, type Result } from '../core/result.js';
import type { YamlPath } from './types.js';

export type Lookup = (name: string) => string | undefined;

export interface InterpolationError {
  readonly path: YamlPath;
  readonly message: string;
  /** The offending expression, e.g. `${TAG}`, to underline it inside the scalar. */
  readonly expression: string;
}

/** Interpolates one string. */
export function interpolateString(input: string, lookup: Lookup): Result<string, { message: string; expression: string }> {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    if (dollar === -1) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '{') {
      const end = matchingBrace(input, dollar + 2);
      if (end === -1) return err({ message: `invalid interpolation format: unclosed '\${' (write $$ for a literal $)`, expression: input.slice(dollar) });
      const expression = input.slice(dollar, end + 1);
      const value = evaluate(input.slice(dollar + 2, end), lookup);
      if (!value.ok) return err({ message: value.error, expression });
      out += value.value;
      i = end + 1;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(dollar + 1));
    if (bare) {
      const expression = `$${bare[0]}`;
      const value = lookup(bare[0]);
      if (value === undefined) return err({ message: unsetMessage(bare[0]), expression });
      out += value;
      i = dollar + 1 + bare[0].length;
      continue;
    }
    // A lone `$` before something that is not a name stays as it is (compose does the same).
    out += '$';
    i = dollar + 1;
  }
  return ok(out);
}

function matchingBrace(input: string, from: number): number {
  let depth = 1;
  for (let i = from; i < input.length; i++) {
    if (input[i] === '{') depth++;
    else if (input[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

const unsetMessage = (name: string): string =>
  `variable '${name}' is not set; define it under vars, in the environment or with --var ${name}=VALUE, or give a default: \${${name}:-value}`;

function evaluate(body: string, lookup: Lookup): Result<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) return err(`invalid interpolation format: '\${${body}}' (write $$ for a literal $)`);
  const [, name = '', operator, rest = ''] = m;
  const value = lookup(name);
  const emptyCounts = operator?.startsWith(':') ?? false;
  const missing = value === undefined || (emptyCounts && value === '');
  const nested = (): Result<string, string> => {
    const r = interpolateString(rest, lookup);
    return r.ok ? r : err(r.error.message);
  };
  switch (operator) {
    case undefined:
      return value === undefined ? err(unsetMessage(name)) : ok(value);
    case '-':
    case ':-':
      return missing ? nested() : ok(value as string);
    case '?':
    case ':?': {
      if (!missing) return ok(value as string);
      const detail = nested();
      return err(`variable '${name}' is required: ${detail.ok && detail.value !== '' ? detail.value : 'not set'}`);
    }
    case '+':
    case ':+':
      return missing ? ok('') : nested();
    default:
      return err(`invalid interpolation format: '\${${body}}'`);
  }
}

/** Interpolates every string in `value` (except under `skip` top-level keys), collecting every error. */
export function interpolateTree(value: unknown, lookup: Lookup, skip: ReadonlySet<string>): { value: unknown; errors: InterpolationError[] } {
  const errors: InterpolationError[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      const r = interpolateString(node, lookup);
      if (r.ok) return r.value;
      errors.push({ path: [...path], message: r.error.message, expression: r.error.expression });
      return node;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = path.length === 0 && skip.has(k) ? v : walk(v, [...path, k]);
      }
      return out;
    }
    return node;
  };
  return { value: walk(value, []), errors };
}
