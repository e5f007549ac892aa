/**
 * `mbuild context IMAGE [--why PATH] [--format text|json]`: what the build of IMAGE would
 * send, without building anything. Mounts from images of this file are read from the
 * image's current tag when it exists locally (and say so), else listed as not built yet.
 */
import { relative, resolve, sep } from 'node:path';
import type { ImageContextSpec, ImageRef, ImageSpec, MountSpec } from '../../config/types.js';
import { planningArgs } from '../../dockerfile/images.js';
import { contextReads } from '../../dockerfile/reads.js';
import { didYouMean } from '../../core/suggest.js';
import { contextText, whyText } from '../../context/inspect-format.js';
import { dockerfileText, imageReads, type BaseFacts } from '../../cache/image-reads.js';
import type { BuildFile } from '../../config/types.js';
import { explainPath, inspectContext, type InspectMount, type InspectReads } from '../../context/inspect.js';
import { ReadSet } from '../../context/read-set.js';
import { parseDockerfile } from '../../dockerfile/parse.js';
import { contextErrorText, planContext, type ContextInput } from '../../context/source.js';
import { err, messageOf, ok, settled, type Result } from '../../core/result.js';
import type { Engine } from '../../docker/engine.js';
import type { ResolvedImage } from '../../mounts/sources.js';
import { mountEntries } from '../../mounts/splice.js';
import { TempContainers } from '../../mounts/temp-containers.js';
import { engineFor } from '../engine.js';
import type { CommandFailure, CommandResult } from '../failure.js';
import { ExitCode, type CliIo } from '../io.js';
import { loadFor, type GlobalOptions } from '../load.js';
import { abortOnSignals } from '../signals.js';

export interface ContextOptions extends GlobalOptions {
  readonly why?: string;
  readonly format: string;
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

function ago(created: string): string {
  const s = Math.round((Date.now() - Date.parse(created)) / 1000);
  if (!Number.isFinite(s)) return `at ${created}`;
  if (s < 90) return `${Math.max(s, 0)} seconds ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} minutes ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

type Side = { ok: true; image: ResolvedImage; note: string } | { ok: false; status: InspectMount['status']; note: string };

async function resolveSide(engine: Engine, image: ImageSpec | undefined, side: ImageRef): Promise<Side> {
  if (side.kind === 'external') {
    const info = await engine.inspectImage(side.ref);
    if (info === undefined) return { ok: false, status: 'missing', note: `image ${side.ref} does not exist locally` };
    return { ok: true, image: { ref: info.id, name: side.ref }, note: `${side.ref} (${short(info.id)})` };
  }
  for (const tag of image?.tags ?? []) {
    const info = await engine.inspectImage(tag);
    if (info) return { ok: true, image: { ref: info.id, name: `${side.image} (${tag})` }, note: `${tag} (${short(info.id)}, built ${ago(info.created)})` };
  }
  return { ok: false, status: 'not-built', note: `not built yet: no local image is tagged ${(image?.tags ?? []).join(', ') || side.image}` };
}

interface Reader {
  readonly engine: Engine;
  readonly containers: TempContainers;
  readonly signal: AbortSignal;
}

/** Mounts are read through `engine` when it answers; else the reason why not is shown with each. */
async function readerOf(engine: Engine, signal: AbortSignal): Promise<Result<Reader, string>> {
  const answered = await settled(engine.info());
  return answered.ok ? ok({ engine, containers: new TempContainers(engine), signal }) : err(messageOf(answered.error));
}

/** One mount as `mbuild context` shows it: its entries when its sources exist locally, else why not. */
async function inspectMount(spec: MountSpec, images: ReadonlyMap<string, ImageSpec>, readable: Result<Reader, string>): Promise<InspectMount> {
  const base = { source: `${spec.from}:${spec.path}`, to: spec.to };
  if (!readable.ok) return { ...base, status: 'unavailable', note: `cannot list its entries: ${readable.error}` };
  const reader = readable.value;
  const lookup = (side: ImageRef) => resolveSide(reader.engine, side.kind === 'image' ? images.get(side.image) : undefined, side);
  const opts = { engine: reader.engine, signal: reader.signal, labels: reader.containers.labels, containers: reader.containers };
  if (spec.source.kind === 'diff') {
    const a = await lookup(spec.source.base);
    const b = await lookup(spec.source.head);
    if (!a.ok) return { ...base, status: a.status, note: a.note };
    if (!b.ok) return { ...base, status: b.status, note: b.note };
    const entries = mountEntries({ spec, source: { kind: 'diff', base: a.image, head: b.image } }, opts);
    return { ...base, status: 'listed', note: `what ${b.note} adds to ${a.note}`, entries };
  }
  const one = await lookup(spec.source);
  if (!one.ok) return { ...base, status: one.status, note: one.note };
  const current = spec.source.kind === 'image' ? `, the current tag of '${spec.source.image}' (mbuild up may rebuild it)` : '';
  const entries = mountEntries({ spec, source: { kind: 'image', image: one.image } }, opts);
  return { ...base, status: 'listed', note: `read from ${one.note}${current}`, entries };
}

const unreadable = (image: ImageSpec, text: string): CommandResult =>
  err({ reason: 'context-unreadable', message: `the context of image '${image.name}' cannot be read: ${text}` });

/**
 * What the image's build reads, as `up` would find it (under either builder's rules); a
 * base image's ONBUILD triggers and ENV are asked of the engine when it answers, else noted
 * as not checked.
 */
async function readsOf(engine: () => Result<Engine, CommandFailure>, file: BuildFile, image: ImageSpec): Promise<Result<InspectReads, string>> {
  const text = dockerfileText(image, file.root);
  if (!text.ok) return err(contextErrorText(text.error));
  const notes: string[] = [];
  const base = async (ref: string): Promise<BaseFacts | undefined> => {
    const e = engine();
    const info = e.ok ? await settled(e.value.inspectImage(ref)) : err(new Error(e.error.reason === 'invalid-build-file' ? e.error.reason : e.error.message));
    if (info.ok) return info.value && { onBuild: info.value.onBuild.length > 0, env: info.value.env };
    notes.push(`ONBUILD triggers and ENV of base image ${ref} not checked: ${messageOf(info.error)}`);
    return undefined;
  };
  const reads = await imageReads(file, image, parseDockerfile(text.value), base);
  return ok(reads.kind === 'whole' ? { whole: reads.reason, reads: [], notes } : { whole: null, reads: reads.reads, notes });
}

/** `--why PATH`: needs the plan only, not the engine. */
async function why(io: CliIo, image: ImageSpec, input: ContextInput, path: string, format: string, reads: InspectReads): Promise<CommandResult> {
  const planned = await planContext({ ...input, ...(reads.whole === null && { select: new ReadSet(reads.reads.map((r) => r.path)) }) });
  if (!planned.ok) return unreadable(image, contextErrorText(planned.error));
  // `./x`, `../x` and `/x` are paths from here; anything else is relative to the context.
  let rel = path;
  if (/^(\.{1,2}(\/|$)|\/)/.test(path)) {
    rel = relative(planned.value.root, resolve(io.cwd, path)).split(sep).join('/');
    if (rel === '' || rel === '..' || rel.startsWith('../') || rel.startsWith('/')) {
      return err({
        reason: 'invalid-input',
        message: `${path} is not inside the context of image '${image.name}' (${relative(io.cwd, planned.value.root) || '.'})`,
      });
    }
  }
  const targets = image.mounts.map((m) => ({ source: `${m.from}:${m.path}`, to: m.to }));
  const w = await explainPath(planned.value, targets, rel, reads);
  io.stdout.write(format === 'json' ? `${JSON.stringify(w, null, 2)}\n` : whyText(w));
  return ok(ExitCode.ok);
}

/** `context: {image, path}`: nothing on the host to list; what is known before the build. */
function contextImageText(io: CliIo, file: BuildFile, image: ImageContextSpec, format: string): CommandResult {
  const c = image.contextImage;
  const df = image.dockerfile;
  const dockerfile = df.kind === 'file' ? df.path : df.kind === 'inline' ? 'dockerfile_inline' : `${df.path} inside the context image`;
  const text = df.kind === 'in-image' ? undefined : dockerfileText(image, file.root);
  const reads = text?.ok === true ? contextReads(parseDockerfile(text.value), planningArgs(file, image), image.target ?? null) : undefined;
  const report = {
    image: image.name,
    context: {
      image: c.from,
      path: c.path,
      source: c.source.kind === 'image' ? 'an image of this file (its build of the run)' : 'a local image (never pulled)',
    },
    dockerfile,
    reads:
      reads === undefined ? null : reads.kind === 'whole' ? { whole: reads.reason } : reads.reads.map((r) => ({ line: r.line, path: r.path, text: r.text })),
  };
  if (format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const lines = [
      `image ${image.name}: the context is ${c.path} inside image ${c.from} (${report.context.source}), read from the engine when the image is built; no host file is sent`,
      `Dockerfile: ${dockerfile}`,
      ...(reads === undefined
        ? ['reads: known once the Dockerfile is read from the image']
        : reads.kind === 'whole'
          ? [`reads: the whole folder (${reads.reason})`]
          : ['reads:', ...reads.reads.map((r) => `  line ${r.line}: ${r.text}  ->  ${r.path === '' ? '.' : r.path}`)]),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return ok(ExitCode.ok);
}

export async function contextCommand(io: CliIo, name: string, opts: ContextOptions): Promise<CommandResult> {
  const loaded = await loadFor(io, opts);
  if (!loaded.ok) return loaded;
  const { images } = loaded.value.file;
  const image = images.get(name);
  if (image === undefined) return err({ reason: 'invalid-input', message: `no image named '${name}'${didYouMean(name, [...images.keys()])}` });
  if (image.contextImage !== undefined) return contextImageText(io, loaded.value.file, image, opts.format);
  const input: ContextInput = {
    contextDir: image.context,
    dockerfile: image.dockerfile.kind === 'file' ? { path: image.dockerfile.path } : { text: image.dockerfile.text },
  };
  let connected: Result<Engine, CommandFailure> | undefined;
  const engine = () => (connected ??= engineFor(io, opts));
  const reads = await readsOf(engine, loaded.value.file, image);
  if (!reads.ok) return unreadable(image, reads.error);
  if (opts.why !== undefined) return why(io, image, input, opts.why, opts.format, reads.value);
  const signals = abortOnSignals();
  let readable: Result<Reader, string> = err('no engine needed');
  try {
    if (image.mounts.length > 0) {
      const e = engine();
      if (!e.ok) return e;
      readable = await readerOf(e.value, signals.signal);
    }
    const mounts: InspectMount[] = [];
    for (const spec of image.mounts) mounts.push(await inspectMount(spec, images, readable));
    const inspected = await inspectContext(image.name, input, mounts, reads.value);
    if (!inspected.ok) return unreadable(image, contextErrorText(inspected.error));
    const shown = (p: string): string => relative(io.cwd, p).split(sep).join('/') || '.';
    const { report } = inspected.value;
    io.stdout.write(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : contextText(report, shown));
    return ok(ExitCode.ok);
  } finally {
    if (readable.ok) await readable.value.containers.close();
    signals.dispose();
  }
}
