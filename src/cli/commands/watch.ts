/**
 * `mbuild watch [NAMES...]`: `up`, then rebuild exactly what changes affect until Ctrl-C
 * (exit 130: in-flight builds are cancelled on the daemon, hooks are killed). Build
 * progress is printed as plain lines (or NDJSON with `--progress json`), watch events too.
 */
import { logPath } from '../../core/layout.js';
import { reapTempContainers } from '../../mounts/temp-containers.js';
import { displayPath, formatReport } from '../../report/diagnostic-printer.js';
import { createReporter } from '../../report/create.js';
import { watchLog } from '../../report/watch-log.js';
import { withCachedImageList } from '../../watch/engine-cache.js';
import { Watcher, type ReloadFailure } from '../../watch/watcher.js';
import { loadPlan, type LoadedPlan } from '../../load/load-plan.js';
import { connect } from '../engine.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadOptions, planOrReport } from '../load.js';
import { abortOnSignals } from '../signals.js';
import { openSession, sessionOptions, type UpOptions } from '../session.js';

export interface WatchOptions extends UpOptions {
  readonly poll?: boolean;
  readonly onRebuild?: string;
}

export async function watchCommand(io: CliIo, names: readonly string[], opts: WatchOptions): Promise<ExitCode> {
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  const connected = await connect(io, opts);
  if (typeof connected === 'number') return connected;
  await reapTempContainers(connected.engine);
  const json = opts.progress === 'json';
  const reporter = await createReporter(opts.quiet ? 'quiet' : json ? 'json' : 'plain', {
    stdout: io.stdout, stderr: io.stderr, env: io.env,
    logPath: (image) => displayPath(logPath(planned.file.root, image), io.cwd),
  });
  const signals = abortOnSignals();
  try {
    // The key index is read at every run: served from memory during the session (engine-cache.ts).
    const engine = { ...connected, engine: withCachedImageList(connected.engine) };
    const session = await openSession(io, planned.file.root, sessionOptions(opts, engine, reporter.onEvent.bind(reporter), signals.signal));
    const watcher = new Watcher({
      initial: planned,
      builder: connected.builder,
      signal: signals.signal,
      poll: opts.poll ?? false,
      ...(opts.onRebuild !== undefined && { onRebuild: opts.onRebuild }),
      emit: watchLog(io.stdout, json),
      // The same build file, never one found in a parent folder once it is deleted or renamed.
      reload: () => reload(io, { ...opts, file: opts.file ?? planned.file.root }, names),
      executor: (p, part, known) => session.executor(p, part, known),
    });
    await watcher.run();
    await session.close();
    await reporter.close();
    return signals.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
  } finally {
    signals.dispose();
  }
}

/** Reload for watch mode: the new file and plan (the same checks as at the start), or the diagnostics and their files. */
async function reload(io: CliIo, opts: WatchOptions, names: readonly string[]): Promise<LoadedPlan | ReloadFailure> {
  const options = loadOptions(io, opts);
  if (typeof options === 'string') return { message: options, files: [] };
  const planned = await loadPlan(options, names);
  if (planned.ok) return planned.value;
  const { diagnostics } = planned.error;
  const files = diagnostics.flatMap((d) => (d.severity === 'error' && d.location !== undefined ? [d.location.file.path] : []));
  return { message: formatReport(diagnostics, { cwd: io.cwd, color: false }), files: [...new Set(files)] };
}
