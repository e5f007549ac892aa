/**
 * Step 3 of an image's build: the build on the engine. Its stream goes to the image's log
 * (`.mbuild/logs/<image>.log`, build-log.ts) and, as BuildEvents, to the reporters
 * (build-events.ts). A context that could not be sent whole fails the image with its own
 * reason, whatever the daemon made of the cut stream. Resolves to the new image ID.
 */
import type { Failure } from '../core/events.js';
import { err, ok, type Result } from '../core/result.js';
import type { BuildOutcome, BuildRequest, BuildStreamEvent } from '../docker/engine.js';
import { LABEL_STEP, userStepName } from '../dockerfile/label-line.js';
import { classicStepLabel } from '../dockerfile/step.js';
import { buildEvents } from './build-events.js';
import { BuildLog } from './build-log.js';
import { messageOf } from '../core/result.js';
import { failureOf, guarded } from './failure.js';
import { warn, type ImageJob } from './job.js';
import { buildArgs } from './pins.js';
import type { PreparedContext } from './job.js';

export async function runBuild(job: ImageJob, ctx: PreparedContext): Promise<Result<string, Failure>> {
  const { opts, image } = job;
  const log = BuildLog.open({ dir: opts.logDir, image: image.name, root: opts.file.root, onError: (message) => warn(job, message) });
  let result: Result<string, Failure>;
  try {
    result = await logged(job, ctx, log);
  } finally {
    ctx.packed.stream.destroy();
    await log.close();
  }
  // A log that could not be written was removed: the failure report points at none.
  return !result.ok && result.error.reason === 'build-failed' && log.lost ? err({ ...result.error, logLost: true }) : result;
}

async function logged(job: ImageJob, ctx: PreparedContext, log: BuildLog): Promise<Result<string, Failure>> {
  const redact = job.opts.sessions?.redact.bind(job.opts.sessions) ?? ((text: string) => text);
  const onEvent = redacted(buildEvents(job.opts.emit, job.image.name, log, ctx.labelSteps), redact);
  const session = await sessionOf(job);
  if (!session.ok) return session;
  const built = await guarded('engine', async () => ok(await job.opts.engine.build(await request(job, ctx, session.value), { signal: job.signal, onEvent })));
  if (!built.ok) return built;
  const outcome = built.value.kind === 'failed' ? { ...built.value, message: redact(built.value.message) } : built.value;
  // If the context could not be read whole, that is the real failure, not the daemon's complaint.
  const unsent = await ctx.packed.done.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (unsent !== undefined && outcome.kind !== 'cancelled' && !/closed before it was fully read/.test(messageOf(unsent))) {
    log.line(`ERROR: ${messageOf(unsent)}`);
    return err(failureOf(unsent, 'sending'));
  }
  switch (outcome.kind) {
    case 'cancelled':
      return err({ reason: 'cancelled' });
    case 'failed':
      return err(await buildFailure(job, ctx, outcome, log));
    case 'succeeded':
      return ok(outcome.imageId);
  }
}

/** The BuildKit session the build names, if any; a build that needs one and cannot have it fails here. */
async function sessionOf(job: ImageJob): Promise<Result<string | undefined, Failure>> {
  const sessions = job.opts.builder === 'buildkit' ? job.opts.sessions : undefined;
  if (sessions === undefined) return ok(undefined);
  // Ctrl-C does not wait for a daemon that is slow to open the session (the run's end closes it).
  const cancelled = new Promise<undefined>((resolve) => job.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
  const s = job.signal.aborted ? undefined : await Promise.race([sessions.sessionFor(job.image), cancelled]);
  if (s === undefined || job.signal.aborted) return err({ reason: 'cancelled' });
  return s.ok ? s : err({ reason: 'engine-error', message: s.error });
}

/** Build output with every secret value served so far masked, before it reaches the log, the events or an error. */
function redacted(onEvent: (e: BuildStreamEvent) => void, redact: (text: string) => string): (e: BuildStreamEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'log':
      case 'warning':
        return onEvent({ ...e, text: redact(e.text) });
      case 'step-completed':
        return onEvent(e.error === undefined ? e : { ...e, error: redact(e.error) });
      case 'step-started':
        return onEvent(e);
    }
  };
}

/** The build's request; the classic builder gets the docker CLI's credentials for its `FROM` pulls (BuildKit asks through a session). */
async function request(job: ImageJob, ctx: PreparedContext, session: string | undefined): Promise<BuildRequest> {
  const { opts, image } = job;
  const registryConfig = opts.builder === 'classic' ? await opts.registryConfig?.() : undefined;
  return {
    context: ctx.packed.stream,
    dockerfile: ctx.packed.dockerfileInTar,
    builder: opts.builder,
    buildId: `mbuild-${image.name}-${process.pid}-${Date.now()}`,
    ...(image.target !== undefined && { target: image.target }),
    buildArgs: buildArgs(opts.file, image, job.upstream, opts.builder),
    labels: ctx.labels,
    ...(image.network !== undefined && { network: image.network }),
    ...(image.platform !== undefined && { platform: image.platform }),
    pull: image.pull,
    noCache: opts.noCache || image.noCache,
    ...(registryConfig !== undefined && { registryConfig }),
    ...(session !== undefined && { session }),
  };
}

/** The failing step (as the user's Dockerfile counts it), its Dockerfile line, the log's last lines. */
async function buildFailure(job: ImageJob, ctx: PreparedContext, outcome: Extract<BuildOutcome, { kind: 'failed' }>, log: BuildLog): Promise<Failure> {
  const { opts, image } = job;
  const step = outcome.step === undefined ? undefined : (userStepName(outcome.step.name, ctx.labelSteps) ?? LABEL_STEP);
  const where =
    step !== undefined && step !== LABEL_STEP ? await opts.locateStep?.(image, opts.builder === 'classic' ? classicStepLabel(step) : step) : undefined;
  log.line(`ERROR: ${outcome.message}`);
  return { reason: 'build-failed', message: outcome.message, ...(step !== undefined && { step }), ...(where && { dockerfileLine: where }), logTail: log.tail };
}
