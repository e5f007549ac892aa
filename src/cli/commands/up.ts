/** `mbuild up [NAMES...]`: plan, then build on the engine with progress; exit 0, 1 or 130. */
import { join, resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { ImageIndex } from '../../cache/image-index.js';
import { prefetch, type Prefetched } from '../../cache/prefetch.js';
import { findBuildFile } from '../../config/find.js';
import type { BuilderKind, Engine, EngineInfo } from '../../docker/engine.js';
import type { EmitEvent } from '../../core/events.js';
import type { RunReport } from '../../execute/executor.js';
import { openSession, type SessionOptions } from '../session.js';
import { reapTempContainers } from '../../mounts/temp-containers.js';
import { createReporter, type ProgressMode } from '../../report/reporter.js';
import { displayPath } from '../../report/diagnostic-printer.js';
import { engineOrReport, type EngineFlags } from '../engine.js';
import { ExitCode, type CliIo } from '../io.js';
import type { GlobalOptions } from '../load.js';
import { planOrReport } from '../plan-load.js';
import { abortOnSignals } from '../signals.js';

export interface UpOptions extends GlobalOptions {
  readonly jobs: number;
  readonly builder: 'auto' | BuilderKind;
  readonly progress: ProgressMode;
  readonly quiet?: boolean;
  readonly keepGoing?: boolean;
  readonly noCache?: boolean;
  /** `--no-outputs`: build, but do not copy `outputs` to the host. */
  readonly noOutputs?: boolean;
}

/** A connection under way: the engine and its negotiation, started before the build file loads. */
export interface Connecting {
  readonly engine: Engine;
  readonly info: Promise<EngineInfo>;
}

/** Starts connecting; an exit code when the endpoint cannot be resolved (engineOrReport said why). */
export function startConnecting(io: CliIo, opts: EngineFlags): Connecting | ExitCode {
  const engine = engineOrReport(io, opts);
  if (typeof engine === 'number') return engine;
  const info = engine.info();
  info.catch(() => undefined); // reported by `connect`, if the command gets that far
  return { engine, info };
}

/** Connects and picks the builder; prints why not and returns an exit code when it cannot. */
export async function connect(
  io: CliIo, opts: EngineFlags & { builder: 'auto' | BuilderKind }, started: Connecting | ExitCode = startConnecting(io, opts),
): Promise<{ engine: Engine; builder: BuilderKind } | ExitCode> {
  if (typeof started === 'number') return started;
  const { engine } = started;
  try {
    const info = await started.info;
    if (opts.builder === 'buildkit' && !info.buildkit) {
      io.stderr.write(`error: the engine at ${engine.endpoint.url} (Docker ${info.serverVersion}) does not support BuildKit; use --builder classic\n`);
      return ExitCode.failed;
    }
    return { engine, builder: opts.builder === 'auto' ? (info.buildkit ? 'buildkit' : 'classic') : opts.builder };
  } catch (e) {
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.failed;
  }
}

export const sessionOptions = (
  opts: UpOptions, c: { engine: Engine; builder: BuilderKind }, emit: EmitEvent, signal: AbortSignal, prefetched?: Prefetched, images?: ImageIndex,
): SessionOptions => ({
  engine: c.engine, builder: c.builder, emit, signal, jobs: opts.jobs, keepGoing: opts.keepGoing ?? false,
  noCache: opts.noCache ?? false, outputs: !opts.noOutputs, ...(prefetched && { prefetched }), ...(images && { images }),
});

/**
 * For a run of the whole file: the stat cache and the recorded images' inspects, started
 * before the build file is parsed (cache/prefetch.ts). Nothing when the file cannot be found
 * (loading reports it).
 */
function prefetchFor(io: CliIo, opts: UpOptions, names: readonly string[], images: ImageIndex): Prefetched | undefined {
  if (names.length > 0 || opts.noCache) return undefined;
  const found = findBuildFile(opts.file, io.cwd);
  return found.ok ? prefetch(resolve(found.value, '..'), images) : undefined;
}

export function exitCodeOf(report: RunReport): ExitCode {
  if (report.interrupted) return ExitCode.interrupted;
  return report.results.some((r) => r.outcome.kind === 'failed') ? ExitCode.failed : ExitCode.ok;
}

export async function upCommand(io: CliIo, names: readonly string[], opts: UpOptions): Promise<ExitCode> {
  // The engine answers while the build file loads and plans.
  const connecting = startConnecting(io, opts);
  if (typeof connecting === 'number') return connecting;
  // The session's image index, asked nothing before the engine is connected.
  const images = new ImageIndex(connecting.engine, connecting.info);
  const prefetched = prefetchFor(io, opts, names, images);
  // Two turns of the event loop: a connection completes in the turn after it was asked
  // for, and only then is its request written. The engine then answers on another core
  // while this one parses the build file, instead of after it.
  await setImmediate();
  await setImmediate();
  const planned = await planOrReport(io, opts, names);
  if (typeof planned === 'number') return planned;
  const { loaded: { file }, plan } = planned;
  const connected = await connect(io, opts, connecting);
  if (typeof connected === 'number') return connected;
  // Temporary containers of an mbuild that was killed before it could remove them (only
  // those of dead processes: this run's own are safe), removed while the run goes on.
  const reaping = reapTempContainers(connected.engine);
  const logDir = join(file.root, '.mbuild', 'logs');
  const reporter = await createReporter(opts.quiet ? 'quiet' : opts.progress, {
    stdout: io.stdout, stderr: io.stderr, env: io.env, logPath: (image) => displayPath(join(logDir, `${image}.log`), io.cwd),
  });
  const signals = abortOnSignals();
  try {
    const session = await openSession(io, file.root, sessionOptions(opts, connected, reporter.onEvent.bind(reporter), signals.signal, prefetched, images));
    const report = await session.executor(file, plan).run(connected.builder);
    await session.close();
    await reporter.close();
    return exitCodeOf(report);
  } finally {
    signals.dispose();
    await reaping;
  }
}
