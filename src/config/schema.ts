/**
 * Phase 3: structural validation against schema/mbuild.schema.json, the single source
 * of truth for the file's shape. ajv compiles the schema ahead of time
 * (scripts/gen-schema-validator.mjs → schema-validator.generated.ts, checked by a unit
 * test). Its raw errors are reduced to the most specific one per location and worded for people.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { excerpt } from '../core/excerpt.js';
import { closest, didYouMean } from '../core/suggest.js';
import { formatPath } from './locate.js';
import type { Locator, YamlPath } from './types.js';

import validateGenerated from './schema-validator.generated.js';

interface ValidateFunction {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
}
const validator = (): ValidateFunction => validateGenerated as ValidateFunction;

/** `describe`: a path as the message names it (a converted compose file names the compose key it came from). */
export function validateSchema(value: unknown, locate: Locator, sourceText: string, describe: (path: YamlPath) => string = formatPath): Diagnostic[] {
  const validate = validator();
  if (validate(value)) return [];
  const errors = reduce(validate.errors ?? []);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of errors) {
    const d = toDiagnostic(e, locate, sourceText, describe);
    const key = `${d.location?.range.offset ?? ''}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out.sort((a, b) => (a.location?.range.offset ?? 0) - (b.location?.range.offset ?? 0));
}

const pathOf = (e: ErrorObject): (string | number)[] =>
  e.instancePath === ''
    ? []
    : e.instancePath
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** JSON.stringify as it behaves: undefined for undefined, a function or a symbol (its declaration says string). */
const stringify: (v: unknown) => string | undefined = JSON.stringify;

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'number' ? 'number' : typeof v;
}

/** The branch of an `anyOf` error that matches its value's type, or -1. */
function chosenBranch(any: ErrorObject): number {
  const branches = (any.schema as { type?: string }[]).map((b) => b.type);
  return branches.indexOf(jsonType(any.data));
}

/**
 * The `anyOf` errors an error is under (same value or inside it, schema path below the
 * `anyOf`), each with the branch the error belongs to. Looked up by path prefixes, so
 * 30,000 bad args cost 30,000 lookups, not 30,000 squared comparisons.
 */
function ownersOf(e: ErrorObject, anyOfs: ReadonlyMap<string, ErrorObject>): { any: ErrorObject; branch: number }[] {
  const out: { any: ErrorObject; branch: number }[] = [];
  for (let cut = e.schemaPath.indexOf('/anyOf/'); cut !== -1; cut = e.schemaPath.indexOf('/anyOf/', cut + 1)) {
    const schemaPath = e.schemaPath.slice(0, cut + '/anyOf'.length);
    const branch = Number.parseInt(e.schemaPath.slice(cut + '/anyOf/'.length), 10);
    for (let at = e.instancePath.length; at >= 0; at = e.instancePath.lastIndexOf('/', at - 1)) {
      const any = anyOfs.get(`${e.instancePath.slice(0, at)}\0${schemaPath}`);
      if (any !== undefined) out.push({ any, branch });
      if (at === 0) break;
    }
  }
  return out;
}

/** Keeps, for each `anyOf`, only the branch whose type matches the value; drops noise. */
function reduce(errors: readonly ErrorObject[]): ErrorObject[] {
  const anyOfs = new Map(errors.filter((e) => e.keyword === 'anyOf').map((e) => [`${e.instancePath}\0${e.schemaPath}`, e]));
  let kept = errors.filter((e) => {
    if (e.keyword === 'anyOf') return chosenBranch(e) === -1;
    return ownersOf(e, anyOfs).every(({ any, branch }) => chosenBranch(any) === branch);
  });
  // `{imag: x}` is reported as "unknown key 'imag'; did you mean 'image'?": the missing 'image' is the same mistake.
  const unknownKeys = new Map<string, string[]>();
  for (const o of kept) {
    if (o.keyword === 'additionalProperties')
      unknownKeys.set(o.instancePath, [...(unknownKeys.get(o.instancePath) ?? []), String(o.params['additionalProperty'])]);
  }
  kept = kept.filter(
    (e) =>
      e.keyword !== 'required' || !(unknownKeys.get(e.instancePath) ?? []).some((key) => closest(key, [String(e.params['missingProperty'])]) !== undefined),
  );
  // A propertyNames failure also reports the inner pattern error; keep the outer one.
  kept = kept.filter((e) => !(e.keyword !== 'propertyNames' && e.propertyName !== undefined));
  return kept;
}

function toDiagnostic(e: ErrorObject, locate: Locator, sourceText: string, describe: (path: YamlPath) => string): Diagnostic {
  const path = pathOf(e);
  const where = describe(path);
  const error = (message: string, at: YamlPath, onKey = false): Diagnostic => ({
    severity: 'error',
    code: `schema-${e.keyword}`,
    message,
    location: onKey ? locate.key(at) : locate.value(at),
  });
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p['additionalProperty']);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const scope = path.length === 0 ? 'the build file' : parentOf(describe([...path, key]), key, where);
      return error(`unknown key '${excerpt(key)}' in ${scope}${didYouMean(key, allowed)}`, [...path, key], true);
    }
    case 'required':
      return error(`${path.length === 0 ? 'the build file' : where} is missing the required key '${String(p['missingProperty'])}'`, path, path.length > 0);
    case 'propertyNames': {
      const name = String(p['propertyName']);
      const last = path.at(-1);
      const what =
        last === 'secrets' || last === 'ssh'
          ? `${last === 'ssh' ? 'ssh' : 'secret'} id`
          : path[0] === 'images'
            ? 'image'
            : path[0] === 'groups'
              ? 'group'
              : path[0] === 'vars'
                ? 'variable'
                : 'key';
      const rule =
        what === 'variable' || last === 'args'
          ? 'use letters, digits and _, not starting with a digit'
          : what.endsWith(' id')
            ? "use letters, digits, '.', '_' and '-'"
            : "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";
      return error(`invalid ${what}${what.endsWith(' id') ? '' : ' name'} '${excerpt(name)}' in ${where}: ${rule}`, [...path, name], true);
    }
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return error(`unsupported version ${excerpt(stringify(e.data) ?? String(e.data))}; the only version is 1`, path);
      }
      return error(`${where} must be ${JSON.stringify(p['allowedValue'])}`, path);
    case 'enum':
      return error(`${where} must be one of: ${(p['allowedValues'] as unknown[]).join(', ')}`, path);
    case 'type':
      return error(`${where} must be ${humanType(String(p['type']))}${quoteHint(e.data, p['type'], locate, path, sourceText)}`, path);
    case 'anyOf':
      if (path.at(-1) === 'ssh') return error(`${where} must be a list ([default, ID=PATH]) or a mapping ({ID: PATH})`, path);
      if (path.at(-2) === 'ssh') return error(`${where} must be a path, a list of paths, or empty (the agent at $SSH_AUTH_SOCK)`, path);
      return error(`${where} must be a string or {image: NAME}${quoteHint(e.data, 'string', locate, path, sourceText)}`, path);
    case 'pattern':
      return error(patternMessage(where, path, e.data), path);
    case 'minProperties':
    case 'maxProperties':
      if (path.at(-2) === 'secrets') return error(`${where} must be either {env: VARIABLE} or {file: PATH}`, path);
      return error(path[0] === 'images' && path.length === 1 ? 'images must declare at least one image' : `${where} must not be empty`, path);
    case 'minItems':
      return error(`${where} must not be empty`, path);
    case 'minLength':
      return error(`${where} must not be empty`, path);
    default:
      return error(`${where} ${e.message ?? 'is invalid'}`, path);
  }
}

/** `a.b` of `a.b.key` as `describe` words it (a key converted from compose may sit elsewhere than its siblings); else `fallback`. */
function parentOf(described: string, key: string, fallback: string): string {
  const tail = `.${excerpt(key)}`;
  return described.endsWith(tail) ? described.slice(0, -tail.length) : fallback;
}

function humanType(type: string): string {
  switch (type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'integer':
    case 'number':
      return 'a number';
    default:
      return `of type ${type}`;
  }
}

/** `VERSION: 1.10` silently becomes 1.1 in YAML; tell people to quote what they wrote. */
function quoteHint(data: unknown, expected: unknown, locate: Locator, path: YamlPath, sourceText: string): string {
  if (expected !== 'string' || (typeof data !== 'number' && typeof data !== 'boolean')) return '';
  const { offset, length } = locate.value(path).range;
  const written = sourceText.slice(offset, offset + length);
  return `; quote it to keep it as written: "${excerpt(written)}"`;
}

function patternMessage(where: string, path: YamlPath, data: unknown): string {
  const last = path.at(-1);
  const value = excerpt(stringify(data) ?? String(data));
  if (last === 'path') return `${where} must be an absolute path (starting with /), not ${value}`;
  if (last === 'platform') return `${where} must look like os/arch[/variant], e.g. linux/amd64, not ${value}`;
  if (path.at(-2) === 'ssh' && typeof last === 'number')
    return `${where} must be ID or ID=PATH[,PATH] (an id of letters, digits, '.', '_' and '-'), not ${value}`;
  if (last === 'env' && path.at(-3) === 'secrets')
    return `${where} must be an environment variable name (letters, digits and _, not starting with a digit), not ${value}`;
  if (last === 'name' && path.length === 1) return `invalid project name ${value}: use lowercase letters, digits, '.', '_' and '-'`;
  return `${where} has an invalid value ${value}`;
}
