/**
 * Builds one image on the engine: packs its context (our own tar, streamed) with its mounts
 * spliced in, resolves `{image: NAME}` args and in-file mount sources to upstream image IDs,
 * runs the build, keeps the full log in .mbuild/logs/<image>.log, applies the tags only after
 * success, then copies the outputs to the host. The temporary containers of mounts and
 * outputs are removed before the image's outcome is returned, whatever it is.
 */
import type { BuildFile, ImageSpec } from '../config/types.js';
import { CollisionError, packContext, type PackedContext } from '../context/tar.js';
import { contextErrorText } from '../context/source.js';
import type { EmitEvent, Failure, ImageOutcome } from '../core/events.js';
import { err, type Result } from '../core/result.js';
import { EngineError, type BuilderKind, type BuildOutcome, type BuildStreamEvent, type Engine, type ImageInfo } from '../docker/engine.js';
import { TransferError } from '../mounts/errors.js';
import { buildResolver, resolveMounts, type ResolvedMount } from '../mounts/sources.js';
import { allMountEntries } from '../mounts/splice.js';
import { TempContainers, tempLabels } from '../mounts/temp-containers.js';
import { copyOutputs } from '../outputs/copy.js';
import { refreshOutputs } from '../outputs/due.js';
import { decide, KEY_LABEL, KeyIndex } from '../cache/freshness.js';
import type { FileInput, ImageInputs } from '../cache/inputs.js';
import { writeManifest } from '../cache/manifest.js';
import type { StatCache } from '../cache/stat-cache.js';
import { ContextChangedError } from '../context/walk.js';
import { LABEL_STEP, userStepName, withLabelInstruction } from '../dockerfile/label-line.js';
import { classicStepLabel } from '../dockerfile/step.js';
import type { SentEntry } from '../context/tar.js';
import type { BuildOne } from './executor.js';
import { BuildLog } from './build-log.js';

/** The cache for a run; the key index is read from the engine once per BuildOne. */
export interface BuildCache {
  readonly statCache: StatCache;
}

export interface ImageBuildOptions {
  readonly file: BuildFile;
  readonly engine: Engine;
  readonly builder: BuilderKind;
  readonly emit: EmitEvent;
  readonly logDir: string;
  /** `--no-cache`: build every image (keys are still computed and recorded), without the engine's layer cache. */
  readonly noCache: boolean;
  /** Maps a failing step (`[2/3] RUN make`) to its Dockerfile line, when it can. */
  readonly locateStep?: (image: ImageSpec, step: string) => Promise<{ path: string; line: number; text: string } | undefined>;
  /** The cache: skip images whose key the engine already has. */
  readonly cache: BuildCache;
  /** Copy `outputs` to the host after a successful build (default true; `--no-outputs`). */
  readonly outputs?: boolean;
  /** Labels every temporary container with this run (default: a random ID). */
  readonly runId?: string;
  /** Inspects of recorded images started ahead of this run (cache/prefetch.ts). */
  readonly ahead?: (imageId: string) => Promise<ImageInfo | undefined> | undefined;
}

export { contextErrorText };

/**
 * A tag that names exactly one image ID. BuildKit behind `POST /build` resolves `FROM`
 * only by name (a bare `sha256:…` is taken for a Docker Hub repository), so for BuildKit
 * an `{image: NAME}` arg becomes this pin; the classic builder gets the ID itself.
 */
export const pinnedRef = (project: string, image: string, imageId: string): string =>
  `mbuild-pin/${project}-${image}:${imageId.replace(/^sha256:/, '')}`;

export function buildArgs(file: BuildFile, image: ImageSpec, upstream: ReadonlyMap<string, string>, builder: BuilderKind): Record<string, string> {
  const resolve = (name: string): string => {
    const id = upstream.get(name);
    if (id === undefined) throw new Error(`Internal error: ${image.name} needs ${name}, which was not built`);
    return builder === 'classic' ? id : pinnedRef(file.name, name, id);
  };
  return Object.fromEntries(Object.entries(image.args).map(([k, v]) => [k, v.kind === 'literal' ? v.value : resolve(v.image)]));
}

/** The user's tags, plus the pin that `{image:}` args of dependents resolve to under BuildKit. */
export function tagsToApply(file: BuildFile, image: ImageSpec, imageId: string, builder: BuilderKind): string[] {
  const referencedByArg = [...file.images.values()].some((other) => Object.values(other.args).some((a) => a.kind === 'image' && a.image === image.name));
  return builder === 'buildkit' && referencedByArg ? [...image.tags, pinnedRef(file.name, image.name, imageId)] : [...image.tags];
}

/** `name` as the engine lists it in RepoTags: with `:latest` when it names no tag or digest. */
const withTag = (ref: string): string => (/:[^/]+$/.test(ref) || ref.includes('@') ? ref : `${ref}:latest`);

export const mbuildLabels = (file: BuildFile, image: ImageSpec, key: string): Record<string, string> => ({
  ...image.labels,
  'io.mbuild.project': file.name,
  'io.mbuild.image': image.name,
  [KEY_LABEL]: key,
});

/**
 * Fails the context stream when what is sent differs from what the key was computed
 * from (a file changed in between): an image must never carry a key it was not built from.
 */
function verifier(inputs: ImageInputs): (e: SentEntry) => void {
  const expected = new Map<string, FileInput>(inputs.files.map((f) => [f[0], f]));
  return (e) => {
    if (e.source !== 'context') return;
    const f = expected.get(e.path);
    const same = f !== undefined && f[1] === e.type && f[2] === e.mode && (e.type === 'file' ? f[3] === e.sha256 : e.type === 'symlink' ? f[3] === e.linkTarget : true);
    if (!same) throw new ContextChangedError(e.path, 'changed after its hash was taken');
  };
}

const fail = (failure: Failure, started: number): ImageOutcome => ({ kind: 'failed', failure, durationMs: performance.now() - started });

/** The image's mounts with their sources resolved (upstream IDs, local external images). */
async function mountsOf(engine: Engine, image: ImageSpec, upstream: ReadonlyMap<string, string>): Promise<Result<ResolvedMount[], Failure>> {
  try {
    const r = await resolveMounts(image, buildResolver(engine, upstream));
    return r.ok ? r : err({ reason: 'mount-failed', message: r.error });
  } catch (e) {
    if (e instanceof EngineError) return err({ reason: 'engine-error', message: e.message });
    throw e;
  }
}

export function createBuildOne(opts: ImageBuildOptions): BuildOne {
  const labels = tempLabels(opts.runId);
  const index = new KeyIndex(opts.engine, opts.file.name, opts.file.root, opts.ahead);
  return async (name, upstream, signal) => {
    const image = opts.file.images.get(name);
    if (image === undefined) throw new Error(`Internal error: unknown image ${name}`);
    const started = performance.now();
    let decision;
    try {
      decision = await decide({
        file: opts.file, image, builder: opts.builder, upstream, engine: opts.engine, statCache: opts.cache.statCache,
        index, noCache: opts.noCache,
      });
    } catch (e) {
      if (e instanceof EngineError) return fail({ reason: 'engine-error', message: e.message }, started);
      throw e;
    }
    if (!decision.ok) return fail({ reason: 'context-error', message: contextErrorText(decision.error) }, started);
    const { key, inputs, verdict } = decision.value;
    if (verdict.fresh) {
      // An older image reused (a change reverted): it is now the one `why` compares against.
      if (!verdict.inUse) await writeManifest(opts.file.root, { image: name, key, imageId: verdict.imageId, tags: image.tags, inputs });
      return upToDate(opts, image, verdict.imageId, verdict.info, signal);
    }
    opts.emit({ type: 'image-started', image: name, why: verdict.reasons.join('; ') });
    const containers = new TempContainers(opts.engine, labels);
    try {
      const mounts = await mountsOf(opts.engine, image, upstream);
      if (!mounts.ok) return fail(mounts.error, started);
      const extra = mounts.value.length === 0 ? undefined : allMountEntries(mounts.value, {
        engine: opts.engine, signal, labels, containers, onWarning: (message) => opts.emit({ type: 'image-warning', image: name, message }),
      });
      // Classic: all labels as one LABEL instruction rather than one step per label.
      const imageLabels = mbuildLabels(opts.file, image, key);
      const labelled = opts.builder === 'classic' ? withLabelInstruction(inputs.dockerfile, image.target, imageLabels) : undefined;
      const packed = await packContext({
        contextDir: image.context,
        dockerfile: image.dockerfile.kind === 'file' ? { path: image.dockerfile.path } : { text: labelled ?? inputs.dockerfile },
        ...(labelled !== undefined && image.dockerfile.kind === 'file' && { sendDockerfile: labelled }),
        builder: opts.builder,
        onEntry: verifier(inputs),
        ...(extra && { extra }),
      });
      if (!packed.ok) return fail({ reason: 'context-error', message: contextErrorText(packed.error) }, started);
      const log = BuildLog.open({ dir: opts.logDir, image: name, root: opts.file.root, onError: (message) => opts.emit({ type: 'image-warning', image: name, message }) });
      let outcome: ImageOutcome;
      try {
        const inDockerfile = labelled !== undefined && (image.dockerfile.kind === 'inline' || packed.value.plan.dockerfileReplaced);
        outcome = await runBuild(opts, image, packed.value, upstream, signal, log, started, inDockerfile ? {} : imageLabels);
      } finally {
        packed.value.stream.destroy();
        await log.close();
      }
      if (outcome.kind === 'built') {
        index.set(key, outcome.imageId);
        await writeManifest(opts.file.root, { image: name, key, imageId: outcome.imageId, tags: image.tags, inputs });
      }
      if (outcome.kind !== 'built' || opts.outputs === false || image.outputs.length === 0) return outcome;
      const copied = await copyOutputs(image, outcome.imageId, image.outputs, { engine: opts.engine, signal, containers, root: opts.file.root, emit: opts.emit });
      if (copied.ok) return outcome;
      return fail(signal.aborted ? { reason: 'cancelled' } : { reason: 'output-failed', message: copied.error }, started);
    } finally {
      await containers.close();
    }
  };
}

/** An image whose key the engine has: no context is sent and no build runs; the tags move to it. */
async function upToDate(opts: ImageBuildOptions, image: ImageSpec, imageId: string, known: ImageInfo | undefined, signal: AbortSignal): Promise<ImageOutcome> {
  const started = performance.now();
  try {
    const info = known ?? (await opts.engine.inspectImage(imageId));
    // A no-op moves no tag that already names this image.
    const tags = tagsToApply(opts.file, image, imageId, opts.builder).filter((t) => !info?.repoTags.includes(withTag(t)));
    await Promise.all(tags.map((tag) => opts.engine.tagImage(imageId, tag)));
    const size = info?.size ?? 0;
    if (opts.outputs !== false && image.outputs.length > 0) {
      const copied = await refreshOutputs(image, imageId, { engine: opts.engine, signal, labels: tempLabels(opts.runId), root: opts.file.root, emit: opts.emit });
      if (!copied.ok) return fail(signal.aborted ? { reason: 'cancelled' } : { reason: 'output-failed', message: copied.error }, started);
    }
    return { kind: 'up-to-date', imageId, size };
  } catch (e) {
    if (e instanceof EngineError) return fail({ reason: 'engine-error', message: e.message }, started);
    throw e;
  }
}

async function runBuild(
  opts: ImageBuildOptions, image: ImageSpec, packed: PackedContext, upstream: ReadonlyMap<string, string>,
  signal: AbortSignal, log: BuildLog, started: number, labels: Readonly<Record<string, string>>,
): Promise<ImageOutcome> {
  const name = image.name;
  // Classic: mbuild's labels are the build's last steps, one LABEL line or a step per label parameter.
  const labelSteps = opts.builder === 'classic' ? Math.max(1, Object.keys(labels).length) : 0;
  let outcome: BuildOutcome;
  try {
    outcome = await opts.engine.build(
      {
        context: packed.stream,
        dockerfile: packed.dockerfileInTar,
        builder: opts.builder,
        buildId: `mbuild-${name}-${process.pid}-${Date.now()}`,
        ...(image.target !== undefined && { target: image.target }),
        buildArgs: buildArgs(opts.file, image, upstream, opts.builder),
        labels,
        ...(image.network !== undefined && { network: image.network }),
        ...(image.platform !== undefined && { platform: image.platform }),
        pull: image.pull,
        noCache: opts.noCache || image.noCache,
      },
      {
        signal,
        onEvent: buildEvents(opts.emit, name, log, labelSteps),
      },
    );
  } catch (e) {
    if (e instanceof EngineError) return fail({ reason: 'engine-error', message: e.message }, started);
    throw e;
  }
  // If the context could not be read whole, that is the real failure, not the daemon's complaint.
  const sentError = await packed.done.then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (sentError !== undefined && outcome.kind !== 'cancelled' && !/closed before it was fully read/.test(sentError.message)) {
    log.line(`ERROR: ${sentError.message}`);
    const mount = sentError instanceof TransferError || sentError instanceof CollisionError;
    return fail({ reason: mount ? 'mount-failed' : 'context-error', message: sentError.message }, started);
  }
  switch (outcome.kind) {
    case 'cancelled':
      return fail({ reason: 'cancelled' }, started);
    case 'failed': {
      const step = outcome.step === undefined ? undefined : userStepName(outcome.step.name, labelSteps) ?? LABEL_STEP;
      const where = step !== undefined && step !== LABEL_STEP ? await opts.locateStep?.(image, opts.builder === 'classic' ? classicStepLabel(step) : step) : undefined;
      log.line(`ERROR: ${outcome.message}`);
      return fail({ reason: 'build-failed', message: outcome.message, ...(step !== undefined && { step }), ...(where && { dockerfileLine: where }), logTail: log.tail }, started);
    }
    case 'succeeded': {
      try {
        for (const tag of tagsToApply(opts.file, image, outcome.imageId, opts.builder)) await opts.engine.tagImage(outcome.imageId, tag);
        const info = await opts.engine.inspectImage(outcome.imageId);
        return { kind: 'built', imageId: outcome.imageId, durationMs: performance.now() - started, size: info?.size ?? 0 };
      } catch (e) {
        return fail({ reason: 'engine-error', message: e instanceof Error ? e.message : String(e) }, started);
      }
    }
  }
}

/**
 * Maps the engine's step events to BuildEvents and log lines. Classic step names are counted
 * over the Dockerfile's own steps; mbuild's label steps go to the log file only.
 */
function buildEvents(emit: EmitEvent, image: string, log: BuildLog, labelSteps: number): (e: BuildStreamEvent) => void {
  const hidden = new Set<string>();
  return (e) => {
    switch (e.type) {
      case 'step-started': {
        const step = userStepName(e.name, labelSteps);
        if (step === undefined) {
          hidden.add(e.stepId);
          log.note(`# ${LABEL_STEP} (${e.name.replace(/^\[\d+\/\d+\] /, '')})`);
          return;
        }
        log.step(step);
        emit({ type: 'image-step', image, step, cached: false });
        return;
      }
      case 'step-completed': {
        const step = userStepName(e.name, labelSteps) ?? LABEL_STEP;
        if (e.cached && !hidden.has(e.stepId)) emit({ type: 'image-step', image, step, cached: true });
        if (e.error) log.line(`ERROR ${step}: ${e.error}`);
        return;
      }
      case 'log':
        for (const l of e.text.replace(/\n$/, '').split('\n')) {
          log.line(l);
          emit({ type: 'image-log', image, line: l });
        }
        return;
      case 'warning':
        log.line(`WARNING ${e.text}`);
        emit({ type: 'image-warning', image, message: e.text });
        return;
    }
  };
}
