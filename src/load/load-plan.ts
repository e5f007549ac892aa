/**
 * Every static check, written once, for every command (validate, plan, up, watch and its
 * reloads): the build file (config/ phases 0-5); then each image's Dockerfile, ignore file
 * and image references (5b); then the plan (6): cycles that Dockerfile lines close, over all
 * images, and the requested selection. A phase runs when the ones before it found no error,
 * and reports every problem it finds. Nothing here talks to Docker or writes a file (besides
 * config/'s cache of the parsed build file).
 */
import type { Diagnostic } from '../core/diagnostic.js';
import { hasErrors } from '../core/diagnostic.js';
import { byText } from '../core/order.js';
import { err, ok, type Result } from '../core/result.js';
import { loadBuildFile, type LoadFailure, type LoadOptions } from '../config/load.js';
import { didYouMean } from '../core/suggest.js';
import type { BuildFile } from '../config/types.js';
import { readDockerfiles, type ImageDockerfile } from '../dockerfile/images.js';
import { edgesOf } from '../plan/graph.js';
import { createPlan, type PlanError } from '../plan/plan.js';
import type { Planned } from '../plan/types.js';
import { contextProblems, ignoreFiles } from './contexts.js';
import { dockerfileCycles } from './cycles.js';
import { reservedFolderReads, withDiffSides } from './dockerfile-diffs.js';
import { lastRunTags } from './last-run.js';
import { inputProblems } from './inputs.js';
import { nameNotes, referenceProblems } from './references.js';
import { sessionMountProblems } from './sessions.js';

/** The plan and its build file, with every warning of every phase. */
export interface LoadedPlan extends Planned {
  readonly diagnostics: readonly Diagnostic[];
  /** Each image's Dockerfile as read and parsed here (cache/'s `KnownDockerfiles`: `plan` does not read them again). */
  readonly dockerfiles: ReadonlyMap<string, ImageDockerfile>;
}

/** Stable output: problems of the build file first, then by file, each file's in text order. */
function byLocation(file: BuildFile, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const where = (d: Diagnostic): string =>
    d.location === undefined ? '' : d.location.file.path === file.source.path ? '\u0001' : `\u0002${d.location.file.path}`;
  const offset = (d: Diagnostic): number => d.location?.range.offset ?? 0;
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => byText(where(a.d), where(b.d)) || offset(a.d) - offset(b.d) || a.i - b.i)
    .map(({ d }) => d);
}

function planProblem(file: BuildFile, e: PlanError): Diagnostic {
  if (e.reason === 'cycle') return { severity: 'error', code: 'dependency-cycle', message: `dependency cycle: ${e.cycle.join(' -> ')}` };
  const candidates = [...file.images.keys(), ...file.groups.keys()];
  return { severity: 'error', code: 'unknown-name', message: `no image or group named '${e.name}'${didYouMean(e.name, candidates)}` };
}

export interface PlanChecks {
  /**
   * Also refuse references to a tag an image carried in its last build here (load/last-run.ts).
   * It reads every image's manifest, which can be large: `validate` and `plan` pay for it,
   * not every `up`.
   */
  readonly lastRun?: boolean;
  /** Also say how names are read (notes): `validate` and `plan` only. */
  readonly notes?: boolean;
}

/** `names`: images or groups (none: the default selection); `'all'`: every image of the file. */
export async function loadPlan(options: LoadOptions, names: readonly string[] | 'all', checks: PlanChecks = {}): Promise<Result<LoadedPlan, LoadFailure>> {
  const loaded = await loadBuildFile(options);
  if (!loaded.ok) return loaded;
  const { file } = loaded.value;
  const fail = (found: readonly Diagnostic[]) => err({ diagnostics: [...loaded.value.diagnostics, ...found], path: file.source.path });

  const read = await readDockerfiles(file);
  const { dockerfiles, problems: diffProblems } = withDiffSides(file, read.dockerfiles);
  const lastRun = checks.lastRun === true ? await lastRunTags(file) : new Map<string, string>();
  const probe = loaded.value.probe;
  const ignores = ignoreFiles(file, probe);
  const checked = byLocation(file, [
    ...read.problems,
    ...diffProblems,
    ...reservedFolderReads(file, dockerfiles),
    ...contextProblems(file, ignores, probe),
    ...referenceProblems(file, dockerfiles, lastRun),
    ...(checks.notes === true ? nameNotes(file, dockerfiles) : []),
    ...inputProblems(file, dockerfiles, ignores, probe),
    ...sessionMountProblems(file, dockerfiles),
  ]);
  if (hasErrors(checked)) return fail(checked);
  // The graph's edges, made once for the cycle check and the plan.
  const refs = new Map([...dockerfiles].map(([name, df]) => [name, df.refs]));
  const edges = edgesOf(file, refs);
  const cycles = dockerfileCycles(file, dockerfiles, edges);
  if (cycles.length > 0) return fail(cycles);

  const plan = createPlan(file, refs, names === 'all' ? [...file.images.keys()] : names, edges);
  if (!plan.ok) return fail([planProblem(file, plan.error)]);
  return ok({ file, plan: plan.value, diagnostics: [...loaded.value.diagnostics, ...checked], dockerfiles });
}
