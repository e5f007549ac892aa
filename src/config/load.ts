/**
 * The loading pipeline, the only public entry of config/ (phases in docs/architecture.md):
 *   0 find -> 1 read + parse YAML -> 2 interpolate -> 3 schema -> 4 normalise -> 5 rules.
 * Each phase reports every problem it finds; a phase runs only when the ones before it
 * found no error, so that later phases can trust their input.
 */
import type { Diagnostic } from '../core/diagnostic.js';
import { hasErrors } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { findBuildFile } from './find.js';
import { interpolateTree } from './interpolate.js';
import { createLocator } from './locate.js';
import { normalize } from './normalize.js';
import { rules } from './rules/index.js';
import { validateSchema } from './schema.js';
import { readSource } from './source.js';
import type { BuildFile, WrittenBuildFile } from './types.js';

export interface LoadOptions {
  /** `-f/--file`: a file or a folder. */
  readonly file?: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--var NAME=VALUE`, overriding the environment and `vars`. */
  readonly vars?: Readonly<Record<string, string>>;
}

export interface Loaded {
  readonly file: BuildFile;
  readonly written: WrittenBuildFile;
  /** Warnings only (errors make the load fail). */
  readonly diagnostics: readonly Diagnostic[];
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
  for (const rule of rules) diagnostics.push(...rule({ written, file }));
  const sorted = sortByPosition(diagnostics);
  return hasErrors(sorted) ? err({ diagnostics: sorted, path: file.source.path }) : ok({ file, written, diagnostics: sorted });
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

  const writtenVars = readVars(raw);
  const lookup = (name: string): string | undefined => options.vars?.[name] ?? options.env[name] ?? writtenVars[name];
  const interpolated = interpolateTree(raw, lookup, new Set(['vars']));
  const diagnostics: Diagnostic[] = interpolated.errors.map((e) => {
    const node = locate.value(e.path);
    const inside = source.text.slice(node.range.offset, node.range.offset + node.range.length).indexOf(e.expression);
    const range = inside === -1 ? node.range : { offset: node.range.offset + inside, length: e.expression.length };
    return { severity: 'error', code: 'interpolation', message: e.message, location: { file: source, range } };
  });
  diagnostics.push(...validateSchema(interpolated.value, locate, source.text));
  if (hasErrors(diagnostics)) return err({ diagnostics: sortByPosition(diagnostics), path });

  const written = interpolated.value as WrittenBuildFile;
  const vars = Object.fromEntries(Object.keys(writtenVars).map((k) => [k, lookup(k) ?? '']));
  const file = normalize(written, vars, source, locate);
  return ok({ file, written, diagnostics });
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
      return !seen.has(key) && seen.add(key) !== undefined;
    })
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (a.d.location?.range.offset ?? -1) - (b.d.location?.range.offset ?? -1) || a.i - b.i)
    .map(({ d }) => d);
}
