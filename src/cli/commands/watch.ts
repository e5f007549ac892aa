/**
 * `mbuild watch [NAMES...]`: `up`, then rebuild exactly what changes affect until Ctrl-C
 * (exit 130: in-flight builds are cancelled on the daemon, hooks are killed). Build
 * progress is printed as plain lines (or NDJSON with `--progress json`), watch events too.
 */
import { join } from 'node:path';
import { reapTempContainers } from '../../mounts/temp-containers.js';
import { displayPath, formatReport } from '../../report/diagnostic-printer.js';
import { createReporter } from '../../report/reporter.js';
import { watchLog } from '../../report/watch-log.js';
import { Watcher, type ReloadFailure } from '../../watch/watcher.js';
import { loadPlan, type Planned } from '../../load/load-plan.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadOptions } from '../load.js';
import { planOrReport } from '../plan-load.js';
import { abortOnSignals } from '../signals.js';
import { openSession } from '../session.js';
import { connect, sessionOptions, type UpOptions } from './up.js';

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
    logPath: (image) => displayPath(join(planned.loaded.file.root, '.mbuild', 'logs', `${image}.log`), io.cwd),
  });
  const signals = abortOnSignals();
  try {
    // One image index for every run of the session (cache/image-index.ts).
    const session = await openSession(io, planned.loaded.file.root, sessionOptions(opts, connected, reporter.onEvent.bind(reporter), signals.signal));
    const watcher = new Watcher({
      initial: planned,
      builder: connected.builder,
      signal: signals.signal,
      poll: opts.poll ?? false,
      ...(opts.onRebuild !== undefined && { onRebuild: opts.onRebuild }),
      emit: watchLog(io.stdout, json),
      // The same build file, never one found in a parent folder once it is deleted or renamed.
      reload: () => reload(io, { ...opts, file: opts.file ?? planned.loaded.file.root }, names),
      executor: (file, plan, known) => session.executor(file, plan, known),
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
async function reload(io: CliIo, opts: WatchOptions, names: readonly string[]): Promise<Planned | ReloadFailure> {
  const options = loadOptions(io, opts);
  if (typeof options === 'string') return { message: options, files: [] };
  const planned = await loadPlan(options, names);
  if (planned.ok) return planned.value;
  const { diagnostics } = planned.error;
  const files = diagnostics.flatMap((d) => (d.severity === 'error' && d.location !== undefined ? [d.location.file.path] : []));
  return { message: formatReport(diagnostics, { cwd: io.cwd, color: false }), files: [...new Set(files)] };
}
