/**
 * The pool a command uses (issue 21): the `--engine` flags, else the engines file, else
 * none (undefined: one engine, exactly as without a pool). The first engine is home. The
 * build file never names engines: where a project builds is the user's, not the project's.
 */
import { join } from 'node:path';
import type { Diagnostic } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { parseEngineFlag } from './engine-spec.js';
import { loadEnginesFile } from './engines-file.js';
import type { EngineEntry } from './types.js';

export { parseEngineFlag } from './engine-spec.js';
export { loadEnginesFile } from './engines-file.js';

export type Env = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined);

/** `$MBUILD_ENGINES_FILE`, else `$XDG_CONFIG_HOME/mbuild/engines.yaml`, else `$HOME/.config/mbuild/engines.yaml`; undefined without any of them. */
export function enginesFile(env: Env): string | undefined {
  const named = set(env['MBUILD_ENGINES_FILE']);
  if (named !== undefined) return named;
  const xdg = set(env['XDG_CONFIG_HOME']);
  if (xdg !== undefined) return join(xdg, 'mbuild', 'engines.yaml');
  const home = set(env['HOME']);
  return home === undefined ? undefined : join(home, '.config', 'mbuild', 'engines.yaml');
}

/**
 * The pool's entries in order (the first is home): from `flags` when any is given (the file
 * is then not read), else from the engines file; undefined when neither names an engine.
 * Every problem at once: each bad flag, each name used twice, each problem of the file.
 */
export function resolvePool(flags: readonly string[], env: Env): Result<EngineEntry[] | undefined, Diagnostic[]> {
  if (flags.length === 0) {
    const path = enginesFile(env);
    return path === undefined ? ok(undefined) : loadEnginesFile(path);
  }
  const problems: Diagnostic[] = [];
  const entries: EngineEntry[] = [];
  const seen = new Map<string, string>();
  for (const flag of flags) {
    const parsed = parseEngineFlag(flag);
    if (!parsed.ok) {
      problems.push({ severity: 'error', code: 'engine-flag', message: parsed.error });
      continue;
    }
    const first = seen.get(parsed.value.name);
    if (first !== undefined) {
      problems.push({
        severity: 'error',
        code: 'engine-name-duplicate',
        message: `--engine '${flag}': the name '${parsed.value.name}' is taken by --engine '${first}'; add ,name=NAME to one of them`,
      });
      continue;
    }
    seen.set(parsed.value.name, flag);
    entries.push(parsed.value);
  }
  return problems.length > 0 ? err(problems) : ok(entries);
}
