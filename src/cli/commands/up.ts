/** `mbuild up [NAMES...]`: plan, then build on the engine with progress; exit 0, 1 or 130. */
import { lstat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { ImageIndex } from '../../cache/image-index.js';
import { prefetch, type Prefetched } from '../../cache/prefetch.js';
import { findBuildFile } from '../../config/find.js';
import { logPath } from '../../core/layout.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import type { EmitEvent } from '../../core/events.js';
import { messageOf, ok } from '../../core/result.js';
import type { RunReport } from '../../execute/executor.js';
import { DEFAULT_GC } from '../../config/types.js';
import { reapTempContainers } from '../../mounts/temp-containers.js';
import { createReporter } from '../../report/create.js';
import { IdsReporter } from '../../report/ids.js';
import { MetadataCollector, metadataJson } from '../../report/metadata.js';
import { displayPath } from '../../report/diagnostic-printer.js';
import { connect, sessionCheck, startConnecting } from '../engine.js';
import type { CommandResult } from '../failure.js';
import { afterRun } from '../gc.js';
import { LiveGc } from '../gc-live.js';
import { ExitCode, type CliIo } from '../io.js';
import { planFor } from '../load.js';
import { registriesFor } from '../registries.js';
import { connectPool, homeOf, startPool } from '../pool.js';
import { openSession, sessionOptions, type UpOptions } from '../session.js';
import { abortOnSignals } from '../signals.js';

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

/**
 * A file the user named: a regular file (or none yet) is replaced atomically; a symlink or a
 * special file (`/dev/stdout`, a FIFO, `/dev/full`) is written through, never replaced.
 */
async function writeUserFile(path: string, data: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined || st.isFile()) return writeFileAtomic(path, data);
  await writeFile(path, data);
}

/** Writes the metadata document atomically; false (after saying why) when it cannot be written. */
async function writeMetadata(io: CliIo, path: string, metadata: MetadataCollector): Promise<boolean> {
  try {
    await writeUserFile(resolve(io.cwd, path), metadataJson(metadata.document()));
    return true;
  } catch (e) {
    io.stderr.write(`error: cannot write the metadata file ${path}: ${messageOf(e)}\n`);
    return false;
  }
}

export async function upCommand(io: CliIo, names: readonly string[], opts: UpOptions): Promise<CommandResult> {
  // The engine answers while the build file loads and plans.
  const pool = startPool(io, opts);
  if (!pool.ok) return pool;
  const connecting = pool.value !== undefined ? ok(homeOf(pool.value)) : startConnecting(io, opts);
  if (!connecting.ok) return connecting;
  // The session's image index, asked nothing before the engine is connected.
  const images = new ImageIndex(connecting.value.engine, connecting.value.info);
  const prefetched = prefetchFor(io, opts, names, images);
  // Two turns of the event loop: a connection completes in the turn after it was asked
  // for, and only then is its request written. The engine then answers on another core
  // while this one parses the build file, instead of after it.
  await setImmediate();
  await setImmediate();
  const planned = await planFor(io, opts, names);
  if (!planned.ok) return planned;
  const { file } = planned.value;
  const classic = sessionCheck(planned.value, opts.builder);
  if (!classic.ok) return classic;
  const registries = await registriesFor(
    io,
    file,
    planned.value.plan.images.map((i) => i.name),
    opts,
  );
  if (!registries.ok) return registries;
  const connected = pool.value !== undefined ? await connectPool(io, pool.value, opts) : await connect(io, opts, connecting);
  if (!connected.ok) return connected;
  const { engine, builder } = connected.value;
  const found = sessionCheck(planned.value, builder);
  if (!found.ok) return found;
  // Temporary containers of an mbuild that was killed before it could remove them (only
  // those of dead processes: this run's own are safe), removed while the run goes on.
  const reaping = reapTempContainers(engine);
  const out = { stdout: io.stdout, stderr: io.stderr, env: io.env, logPath: (image: string) => displayPath(logPath(file.root, image), io.cwd) };
  const reporter = opts.quiet ? new IdsReporter(out) : await createReporter(opts.progress, out);
  const signals = abortOnSignals();
  const metadata = opts.metadataFile === undefined ? undefined : new MetadataCollector();
  // The garbage policy starts with the first image done (cli/gc-live.ts); the pass after the run ends it.
  const policy = file.gc ?? DEFAULT_GC;
  const live = policy === false ? undefined : new LiveGc(engine, file.root, file.name, policy.keep, signals.signal, images.claims(file.name));
  const emit: EmitEvent = (e) => {
    metadata?.onEvent(e);
    reporter.onEvent(e);
    live?.onEvent(e);
  };
  try {
    const session = await openSession(
      io,
      file.root,
      sessionOptions(opts, connected.value, emit, signals.signal, { prefetched, images, registries: registries.value }),
    );
    const report = await session.executor(planned.value).run(builder);
    await session.close();
    await reporter.close();
    // The removal under way (after an interrupt, the last one) ends after the summary.
    const removed = await live?.finish();
    const written = metadata && opts.metadataFile !== undefined ? await writeMetadata(io, opts.metadataFile, metadata) : true;
    const code = exitCodeOf(report);
    // After the summary: never the run's outcome.
    await afterRun(io, engine, file, report, { quiet: opts.quiet ?? false, ...(removed && { live: removed }) });
    return ok(code === ExitCode.ok && !written ? ExitCode.failed : code);
  } finally {
    signals.dispose();
    await reaping;
  }
}
