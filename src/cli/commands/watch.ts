/**
 * `mbuild watch [NAMES...]`: `up`, then rebuild exactly what changes affect until Ctrl-C
 * (exit 130: in-flight builds are cancelled on the daemon, hooks are killed). Each run is
 * shown as `up` shows it (the terminal view on a terminal, plain lines, or NDJSON with
 * `--progress json`), watch events between them (report/watch-view.ts).
 */
import { logPath } from '../../core/layout.js';
import { ok } from '../../core/result.js';
import { loadPlan, type LoadedPlan } from '../../load/load-plan.js';
import { reapTempContainers } from '../../mounts/temp-containers.js';
import { displayPath, formatReport } from '../../report/diagnostic-printer.js';
import { createWatchView } from '../../report/watch-view.js';
import { Watcher, type ReloadFailure } from '../../watch/watcher.js';
import type { BuilderKind } from '../../docker/engine.js';
import { connect, needBuildKit, sessionCheck } from '../engine.js';
import type { CommandResult } from '../failure.js';
import { afterRun } from '../gc.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadOptions, planFor } from '../load.js';
import { openSession, sessionOptions, type UpOptions } from '../session.js';
import { abortOnSignals } from '../signals.js';
import { connectPool, startPool } from '../pool.js';

export interface WatchOptions extends UpOptions {
  readonly poll?: boolean;
  readonly onRebuild?: string;
}

export async function watchCommand(io: CliIo, names: readonly string[], opts: WatchOptions): Promise<CommandResult> {
  const loaded = await planFor(io, opts, names);
  if (!loaded.ok) return loaded;
  const classic = sessionCheck(loaded.value, opts.builder);
  if (!classic.ok) return classic;
  const pool = startPool(io, opts);
  if (!pool.ok) return pool;
  const connected = pool.value !== undefined ? await connectPool(io, pool.value, opts) : await connect(io, opts);
  if (!connected.ok) return connected;
  const found = sessionCheck(loaded.value, connected.value.builder);
  if (!found.ok) return found;
  const planned = loaded.value;
  const { root } = planned.file;
  await reapTempContainers(connected.value.engine);
  const out = { stdout: io.stdout, stderr: io.stderr, env: io.env, logPath: (image: string) => displayPath(logPath(root, image), io.cwd) };
  const { reporter, watch } = await createWatchView(opts.progress, out, opts.quiet ?? false);
  const signals = abortOnSignals();
  try {
    // One image index for every run of the session (cache/image-index.ts).
    // What each image read at its last decision: watch watches exactly that (watch/paths.ts).
    const decided = new Map<string, readonly string[] | null>();
    const onDecided = (image: string, reads: readonly string[] | null) => void decided.set(image, reads);
    const session = await openSession(io, root, sessionOptions(opts, connected.value, reporter.onEvent.bind(reporter), signals.signal, { onDecided }));
    const watcher = new Watcher({
      initial: planned,
      builder: connected.value.builder,
      signal: signals.signal,
      poll: opts.poll ?? false,
      ...(opts.onRebuild !== undefined && { onRebuild: opts.onRebuild }),
      emit: watch,
      // The same build file, never one found in a parent folder once it is deleted or renamed.
      reload: () => reload(io, { ...opts, file: opts.file ?? root }, names, connected.value.builder),
      executor: (p, part, known) => session.executor(p, part, known),
      decided,
      afterRun: (p, report) =>
        afterRun(io, connected.value.engine, p.file, report, { quiet: opts.quiet ?? false, forget: (ids) => session.forget(p.file.name, ids) }),
    });
    await watcher.run();
    await session.close();
    await reporter.close();
    return ok(signals.signal.aborted ? ExitCode.interrupted : ExitCode.ok);
  } finally {
    signals.dispose();
  }
}

/** Reload for watch mode: the new file and plan (the same checks as at the start), or the diagnostics and their files. */
async function reload(io: CliIo, opts: WatchOptions, names: readonly string[], builder: BuilderKind): Promise<LoadedPlan | ReloadFailure> {
  const options = loadOptions(io, opts);
  if (!options.ok) return { message: options.error, files: [] };
  const planned = await loadPlan(options.value, names);
  const diagnostics = planned.ok ? needBuildKit(planned.value, builder) : planned.error.diagnostics;
  if (planned.ok && diagnostics.length === 0) return planned.value;
  const files = diagnostics.flatMap((d) => (d.severity === 'error' && d.location !== undefined ? [d.location.file.path] : []));
  return { message: formatReport(diagnostics, { cwd: io.cwd, color: false }), files: [...new Set(files)] };
}
