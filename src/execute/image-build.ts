/**
 * Builds one image on the engine: packs its context (our own tar, streamed), resolves
 * `{image: NAME}` args to upstream image IDs, runs the build, keeps the full log in
 * .mbuild/logs/<image>.log, and applies the tags only after success.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { BuildFile, ImageSpec } from '../config/types.js';
import { packContext, type PackedContext } from '../context/tar.js';
import type { ContextPlanError } from '../context/source.js';
import type { EmitEvent, Failure, ImageOutcome } from '../core/events.js';
import { EngineError, type BuilderKind, type BuildOutcome, type Engine } from '../docker/engine.js';
import type { BuildOne } from './executor.js';

export const LOG_TAIL_LINES = 30;

export interface ImageBuildOptions {
  readonly file: BuildFile;
  readonly engine: Engine;
  readonly builder: BuilderKind;
  readonly emit: EmitEvent;
  readonly logDir: string;
  /** `--no-cache`: for every image. */
  readonly noCache: boolean;
  /** Maps a failing step (`[2/3] RUN make`) to its Dockerfile line, when it can. */
  readonly locateStep?: (image: ImageSpec, step: string) => Promise<{ path: string; line: number; text: string } | undefined>;
  /** Why this image is built, shown on its row. */
  readonly why?: (image: string) => string;
}

export function contextErrorText(e: ContextPlanError): string {
  switch (e.kind) {
    case 'ignore-invalid': return `${e.path}:${e.line}: ${e.message}`;
    default: return `${e.path}: ${e.message}`;
  }
}

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

export const mbuildLabels = (file: BuildFile, image: ImageSpec): Record<string, string> => ({
  ...image.labels,
  'io.mbuild.project': file.name,
  'io.mbuild.image': image.name,
});

const fail = (failure: Failure, started: number): ImageOutcome => ({ kind: 'failed', failure, durationMs: performance.now() - started });

export function createBuildOne(opts: ImageBuildOptions): BuildOne {
  mkdirSync(opts.logDir, { recursive: true });
  return async (name, upstream, signal) => {
    const image = opts.file.images.get(name);
    if (image === undefined) throw new Error(`Internal error: unknown image ${name}`);
    const started = performance.now();
    opts.emit({ type: 'image-started', image: name, why: opts.why?.(name) ?? 'first build' });
    const packed = await packContext({
      contextDir: image.context,
      dockerfile: image.dockerfile.kind === 'file' ? { path: image.dockerfile.path } : { text: image.dockerfile.text },
    });
    if (!packed.ok) return fail({ reason: 'context-error', message: contextErrorText(packed.error) }, started);
    const log = createWriteStream(join(opts.logDir, `${name}.log`));
    try {
      return await runBuild(opts, image, packed.value, upstream, signal, log, started);
    } finally {
      packed.value.stream.destroy();
      await new Promise<void>((resolve) => log.end(resolve));
    }
  };
}

async function runBuild(
  opts: ImageBuildOptions, image: ImageSpec, packed: PackedContext, upstream: ReadonlyMap<string, string>,
  signal: AbortSignal, log: WriteStream, started: number,
): Promise<ImageOutcome> {
  const name = image.name;
  const tail: string[] = [];
  const steps = new Map<string, string>();
  const line = (text: string) => {
    log.write(`${text}\n`);
    tail.push(text);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
  };
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
        labels: mbuildLabels(opts.file, image),
        ...(image.network !== undefined && { network: image.network }),
        ...(image.platform !== undefined && { platform: image.platform }),
        pull: image.pull,
        noCache: opts.noCache || image.noCache,
      },
      {
        signal,
        onEvent: (e) => {
          switch (e.type) {
            case 'step-started':
              steps.set(e.stepId, e.name);
              line(`#${e.name}`);
              opts.emit({ type: 'image-step', image: name, step: e.name, cached: false });
              break;
            case 'step-completed':
              if (e.cached) opts.emit({ type: 'image-step', image: name, step: e.name, cached: true });
              if (e.error) line(`ERROR ${e.name}: ${e.error}`);
              break;
            case 'log':
              for (const l of e.text.replace(/\n$/, '').split('\n')) {
                line(l);
                opts.emit({ type: 'image-log', image: name, line: l });
              }
              break;
            case 'warning':
              line(`WARNING ${e.text}`);
              opts.emit({ type: 'image-warning', image: name, message: e.text });
              break;
          }
        },
      },
    );
  } catch (e) {
    if (e instanceof EngineError) return fail({ reason: 'engine-error', message: e.message }, started);
    throw e;
  }
  // If the context could not be read whole, that is the real failure, not the daemon's complaint.
  const sent = await packed.done.then(() => undefined, (e: unknown) => (e instanceof Error ? e.message : String(e)));
  if (sent !== undefined && outcome.kind !== 'cancelled' && !/closed before it was fully read/.test(sent)) {
    return fail({ reason: 'context-error', message: sent }, started);
  }
  switch (outcome.kind) {
    case 'cancelled':
      return fail({ reason: 'cancelled' }, started);
    case 'failed': {
      const step = outcome.step?.name;
      const where = step !== undefined ? await opts.locateStep?.(image, step) : undefined;
      line(`ERROR: ${outcome.message}`);
      return fail({ reason: 'build-failed', message: outcome.message, ...(step !== undefined && { step }), ...(where && { dockerfileLine: where }), logTail: [...tail] }, started);
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
