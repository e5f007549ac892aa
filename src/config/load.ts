/**
 * The loading pipeline, the only public entry of config/ (phases in docs/architecture.md):
 *   0 find -> 1 read + parse YAML -> 2 interpolate -> 3 schema -> 4 normalise -> 5 rules.
 * Each phase reports every problem it finds; a phase runs only when the ones before it
 * found no error, so that later phases can trust their input.
 */
import { dirname } from 'node:path';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { hasErrors } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { composeModel, isComposeDocument } from './compose.js';
import { readEnvFiles } from './env-files.js';
import { findBuildFile } from './find.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { createLocator, locateWithin as within } from './locate.js';
import { normalize } from './normalize.js';
import { FsProbe } from './fs-probe.js';
import { rules } from './rules/index.js';
import { validateSchema } from './schema.js';
import { readSource } from './source.js';
import type { BuildFile, Locator, WrittenBuildFile } from './types.js';
import { resolveVars } from './vars.js';

export interface LoadOptions {
  /** `-f/--file`: a file or a folder. */
  readonly file?: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--var NAME=VALUE`, overriding the environment, the env files and `vars`. */
  readonly vars?: Readonly<Record<string, string>>;
  /** `--env-file PATH` (relative to `cwd`), later over earlier; absent: `.env` beside the build file, if there is one. */
  readonly envFiles?: readonly string[];
}

export interface Loaded {
  readonly file: BuildFile;
  readonly written: WrittenBuildFile;
  /** Warnings only (errors make the load fail). */
  readonly diagnostics: readonly Diagnostic[];
  /** The file was a compose file, converted (config/compose.ts). */
  readonly compose?: ComposeOrigin;
  /** What the rules asked of the file system, for load/'s checks to ask no second time. */
  readonly probe?: FsProbe;
}

export interface ComposeOrigin {
  /** Services without a `build:` section: not converted. */
  readonly skipped: readonly string[];
}

export interface LoadFailure {
  readonly diagnostics: readonly Diagnostic[];
  /** The build file's path when one was found: watch mode keeps watching it. */
  readonly path?: string;
}

export async function loadBuildFile(options: LoadOptions): Promise<Result<Loaded, LoadFailure>> {
  const model = await buildModel(options);
  if (!model.ok) return model;
  const { file, written } = model.value;
  const diagnostics = [...model.value.diagnostics];
  const probe = new FsProbe();
  for (const rule of rules) for (const d of rule({ written, file, probe })) diagnostics.push(d);
  const sorted = sortByPosition(diagnostics);
  return hasErrors(sorted) ? err({ diagnostics: sorted, path: file.source.path }) : ok({ ...model.value, diagnostics: sorted, probe });
}

/** Phases 0-4 without the rules: the model the rules check (exported for rule tests). */
export async function buildModel(options: LoadOptions): Promise<Result<Loaded, LoadFailure>> {
  const found = findBuildFile(options.file, options.cwd);
  if (!found.ok) return err({ diagnostics: [found.error] });
  const path = found.value;
  const parsed = await readSource(path);
  if (!parsed.ok) return err({ diagnostics: parsed.error, path });
  const { file: source, document, value: raw } = parsed.value;
  const locate = createLocator(source, document);

  // Phase 2: the env files, then the build file's own strings.
  const overrides = (name: string): string | undefined => own(options.vars, name) ?? own(options.env, name);
  const env = readEnvFiles({ root: dirname(path), cwd: options.cwd, outside: overrides, ...(options.envFiles !== undefined && { given: options.envFiles }) });
  if (env.diagnostics.length > 0) return err({ diagnostics: env.diagnostics, path });
  const outside = (name: string): string | undefined => overrides(name) ?? env.values.get(name);
  const model = isComposeDocument(raw) ? fromCompose(raw as Record<string, unknown>, outside, source, locate) : ownFile(raw, outside, source, locate);
  const { diagnostics } = model;
  if (hasErrors(diagnostics)) return err({ diagnostics: sortByPosition(diagnostics), path });

  const file: BuildFile = {
    ...normalize(model.written, model.vars, source, model.locate, own(options.env, 'HOME')),
    envFiles: env.paths,
    environment: environment(env.values, options.env),
  };
  return ok({ file, written: model.written, diagnostics, ...(model.compose !== undefined && { compose: model.compose }) });
}

interface Model {
  readonly written: WrittenBuildFile;
  readonly vars: Record<string, string>;
  readonly locate: Locator;
  readonly diagnostics: Diagnostic[];
  readonly compose?: ComposeOrigin;
}

/** Phases 2-3 of an mbuild build file. */
function ownFile(raw: unknown, outside: Lookup, source: SourceFile, locate: Locator): Model {
  const { value, vars, diagnostics } = interpolate(raw, outside, source, locate);
  for (const d of validateSchema(value, locate, source.text)) diagnostics.push(d);
  return { written: value as WrittenBuildFile, vars, locate, diagnostics };
}

/** Phases 2-3 of a compose file (config/compose.ts): its build sections converted, located in it. */
function fromCompose(raw: Record<string, unknown>, outside: Lookup, source: SourceFile, locate: Locator): Model {
  const converted = composeModel(raw, outside, source, locate);
  return { written: converted.written, vars: {}, locate: converted.locate, diagnostics: converted.diagnostics, compose: { skipped: converted.skipped } };
}

/**
 * What `{env: VAR}` secrets read: the environment over the env files, as `${VAR}` ranks them
 * (`--var` and `vars` are the build file's own values, not the environment). Own strings only.
 */
function environment(files: ReadonlyMap<string, string>, env: LoadOptions['env']): Readonly<Record<string, string>> {
  const out = new Map(files);
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') out.set(name, value);
  return Object.fromEntries(out);
}

/** Own strings only: `${constructor}` is not Object.prototype.constructor. */
function own(from: Readonly<Record<string, string | undefined>> | undefined, name: string): string | undefined {
  const value = from !== undefined && Object.hasOwn(from, name) ? from[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Phase 2: `vars` first (in dependency order), then every other string with them.
 * `outside`: what overrides `vars` (`--var`, the environment, the env files).
 */
function interpolate(raw: unknown, outside: Lookup, source: SourceFile, locate: Locator) {
  const writtenVars = readVars(raw);
  const resolved = resolveVars(writtenVars, outside);
  const lookup = (name: string): string | undefined => outside(name) ?? resolved.values.get(name) ?? (resolved.failed.has(name) ? '' : undefined);
  const interpolated = interpolateTree(raw, lookup, new Set(['vars']));
  const errors = [...resolved.errors.map((e) => ({ ...e, path: ['vars', e.name] })), ...interpolated.errors];
  const diagnostics: Diagnostic[] = errors.map((e) => ({
    severity: 'error',
    code: 'interpolation',
    message: e.message,
    location: within(source, locate, e.path, [e.expression]),
  }));
  for (const cycle of resolved.cycles) diagnostics.push(varCycle(cycle, source, locate));
  const vars = Object.fromEntries(Object.keys(writtenVars).map((k) => [k, lookup(k) ?? '']));
  const value = interpolated.value as { vars?: unknown } | null;
  if (value !== null && typeof value === 'object' && Object.keys(vars).length > 0) value.vars = { ...(value.vars as object), ...vars };
  return { value, vars, diagnostics };
}

function varCycle(cycle: readonly string[], source: SourceFile, locate: Locator): Diagnostic {
  const steps = cycle.slice(1).map((to, i) => ({ from: cycle[i]!, to }));
  const self = cycle.length === 2 ? ' (the environment, an env file and --var already override a var: it need not name itself)' : '';
  return {
    severity: 'error',
    code: 'vars-cycle',
    message: `variable cycle: ${cycle.join(' -> ')}: a var's value may use other vars, but not the var itself, directly or through others${self}`,
    location: locate.key(['vars', cycle[0]!]),
    related: steps.map(({ from, to }) => ({
      message: `'${from}' uses '${to}'`,
      location: within(source, locate, ['vars', from], [`\${${to}`, `$${to}`]),
    })),
  };
}

function readVars(raw: unknown): Record<string, string> {
  const vars = (raw as { vars?: unknown } | null)?.vars;
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) return {};
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Stable output: by position in the file, duplicates dropped. */
function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics
    .filter((d) => {
      // Settings inherited through `extends` or `defaults` are checked once per image but written once.
      const key = `${d.code}\0${d.location?.range.offset ?? ''}\0${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (a.d.location?.range.offset ?? -1) - (b.d.location?.range.offset ?? -1) || a.i - b.i)
    .map(({ d }) => d);
}
