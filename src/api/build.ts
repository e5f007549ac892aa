/**
 * `build`: `mbuild up` as a call. The run's events go to `onEvent`, an abort of `signal`
 * cancels it (the CLI's Ctrl-C), and its report is the value; nothing is printed.
 */
import { afterRun } from '../cli/gc.js';
import { connect } from '../cli/engine.js';
import { registriesFor } from '../cli/registries.js';
import { openSession, sessionOptions } from '../cli/session.js';
import { sessionCheck } from '../cli/engine.js';
import { err, ok } from '../core/result.js';
import type { EmitEvent } from '../core/events.js';
import { reapTempContainers } from '../mounts/temp-containers.js';
import { loadOf } from './project.js';
import { silentIo } from './silent.js';
import type { BuildOptions, BuildResult, Project } from './types.js';

/** `-j`'s default (cli/main.ts). */
const DEFAULT_JOBS = 4;

export async function build(project: Project, options: BuildOptions = {}): Promise<BuildResult> {
  const loaded = loadOf(project);
  if (loaded === undefined) return err({ reason: 'invalid-input', message: 'build() takes a project that load() returned' });
  const { planned } = loaded;
  const silent = silentIo(loaded.options.cwd, loaded.options.env);
  const io = silent.io;
  const builderAsked = options.builder ?? 'auto';
  const asked = sessionCheck(planned, builderAsked);
  if (!asked.ok) return asked;
  const flags = {
    ...(options.push !== undefined && { push: options.push }),
    ...(options.cacheTo !== undefined && { cacheTo: options.cacheTo }),
    ...(options.cacheFrom !== undefined && { cacheFrom: options.cacheFrom }),
  };
  const registries = await registriesFor(
    io,
    planned.file,
    planned.plan.images.map((i) => i.name),
    flags,
  );
  if (!registries.ok) return registries;
  const connected = await connect(io, { ...(options.host !== undefined && { host: options.host }), builder: builderAsked });
  if (!connected.ok) return connected;
  const { engine, builder } = connected.value;
  const found = sessionCheck(planned, builder);
  if (!found.ok) return found;
  const reaping = reapTempContainers(engine).catch(() => 0);
  const emit: EmitEvent = (e) => options.onEvent?.(e);
  const signal = options.signal ?? new AbortController().signal;
  const upOptions = {
    jobs: options.jobs ?? DEFAULT_JOBS,
    builder: builderAsked,
    progress: 'plain' as const,
    ...(options.keepGoing !== undefined && { keepGoing: options.keepGoing }),
    ...(options.noCache !== undefined && { noCache: options.noCache }),
    ...(options.outputs === false && { noOutputs: true }),
  };
  try {
    const session = await openSession(io, planned.file.root, sessionOptions(upOptions, connected.value, emit, signal, { registries: registries.value }));
    const report = await session.executor(planned).run(builder);
    await session.close();
    if (options.gc !== false) await afterRun(io, engine, planned.file, report, { quiet: false });
    const succeeded = !report.interrupted && report.results.every((r) => r.outcome.kind !== 'failed');
    return ok({ results: report.results, interrupted: report.interrupted, durationMs: report.durationMs, ok: succeeded, warnings: silent.lines() });
  } finally {
    await reaping;
  }
}
