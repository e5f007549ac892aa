/**
 * `load`: the build file, its Dockerfiles and the plan, through the pipeline every command
 * runs (load/load-plan.ts). The `Project` handed out is plain data; what `plan` and `build`
 * need of the load (the `BuildFile`) is kept beside it, out of the public types.
 */
import { err, ok } from '../core/result.js';
import { loadPlan } from '../load/load-plan.js';
import type { Planned } from '../plan/types.js';
import type { LoadOptions as CliLoadOptions } from '../config/load.js';
import type { LoadOptions, LoadResult, Project } from './types.js';

/** The names `--var` accepts (cli/load.ts). */
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const loads = new WeakMap<Project, { planned: Planned; options: CliLoadOptions }>();

/** What a `Project` was loaded from; undefined for an object `load` did not make. */
export const loadOf = (project: Project) => loads.get(project);

export async function load(options: LoadOptions = {}): Promise<LoadResult> {
  const bad = Object.keys(options.vars ?? {}).filter((name) => !VAR_NAME.test(name));
  if (bad.length > 0) return err({ reason: 'invalid-input', message: `invalid var name${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}` });
  const cli: CliLoadOptions = {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    vars: { ...options.vars },
    ...(options.file !== undefined && { file: options.file }),
    ...(options.envFiles !== undefined && { envFiles: options.envFiles }),
  };
  const loaded = await loadPlan(cli, options.names ?? []);
  if (!loaded.ok) return err({ reason: 'invalid-build-file', diagnostics: loaded.error.diagnostics });
  const { file, plan, diagnostics } = loaded.value;
  const project: Project = Object.freeze({
    path: file.source.path,
    root: file.root,
    name: file.name,
    images: [...file.images.keys()],
    plan,
    diagnostics,
  });
  loads.set(project, { planned: { file, plan }, options: cli });
  return ok(project);
}
