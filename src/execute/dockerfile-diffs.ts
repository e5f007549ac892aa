/**
 * Step 2, for a Dockerfile with diffs `a..b` (dockerfile/diff-refs.ts): each pair of sides
 * resolved to image IDs, and the diff spliced into the context as a mount would be
 * (`mounts/`: the fast path over the head's extra layers, else both archives compared;
 * deletions are warned about) under `.mbuild-diff/<slot>/`, which the rewritten Dockerfile
 * reads (dockerfile/diff-rewrite.ts). A side is an in-file image (its ID from this run), a
 * local image (it must exist: mbuild never pulls it), or a stage of the same Dockerfile, built
 * first as an internal target with the same context, Dockerfile and args. Internal images
 * carry a unique label (so no other build shares their ID) and are removed, never forced,
 * when the temporary containers of the build are (after the build, a failure or Ctrl-C).
 */
import { randomUUID } from 'node:crypto';
import type { Decision } from '../cache/freshness.js';
import type { MountSpec } from '../config/types.js';
import { ReadSet } from '../context/read-set.js';
import { packContext } from '../context/tar.js';
import type { Failure } from '../core/events.js';
import { INTERNAL_LABEL } from '../core/labels.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import { dockerfileDiffs, type DiffSide, type DiffUse } from '../dockerfile/diff-refs.js';
import { contextFolder, contextFolderUses, type ContextFolderUse } from '../dockerfile/context-folders.js';
import { diffFolder, diffUses, rewriteFolders, type RewrittenDockerfile } from '../dockerfile/diff-rewrite.js';
import { planningArgs } from '../dockerfile/images.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { resolveStages } from '../dockerfile/stages.js';
import type { ResolvedImage, ResolvedMount } from '../mounts/sources.js';
import type { TempContainers } from '../mounts/temp-containers.js';
import { contextFailure, guarded } from './failure.js';
import { warn, type ImageJob } from './job.js';
import { buildArgs } from './pins.js';
import { sentDockerfile } from './sent-dockerfile.js';
import { referenceTarget } from '../plan/graph.js';

export interface PreparedDiffs {
  /** The diffs as mounts of the context (`.mbuild-diff/<slot>`), spliced after the image's own. */
  readonly mounts: readonly ResolvedMount[];
  /** The Dockerfile to send instead of the user's (undefined: it has no diff). */
  readonly sent: RewrittenDockerfile | undefined;
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** The diffs of the image's Dockerfile, ready to splice; `containers.close()` removes the internal images. */
export async function prepareDiffs(job: ImageJob, decision: Decision, containers: TempContainers): Promise<Result<PreparedDiffs, Failure>> {
  const text = decision.inputs.dockerfile;
  const folders = new Set([...job.image.contexts].flatMap(([name, c]) => (c.kind === 'image' && c.path !== undefined ? [name] : [])));
  if (!text.includes('..') && folders.size === 0) return ok({ mounts: [], sent: undefined });
  const parsed = parseDockerfile(text);
  const args = planningArgs(job.opts.file, job.image);
  const { uses } = dockerfileDiffs(parsed, args);
  const named = contextFolderUses(parsed, args, folders);
  const sent = rewriteFolders(text, parsed, [...diffUses(uses), ...named]);
  if (sent === undefined) return ok({ mounts: [], sent: undefined });
  const folderMounts = namedFolderMounts(job, named);
  if (!folderMounts.ok) return folderMounts;
  const stages = resolveStages(parsed, args).stages;
  const built = new Map<number, Promise<Result<ResolvedImage, Failure>>>();
  const removals: string[] = [];
  containers.onClose(() => removeInternal(job, removals));
  // The side stages read the text as sent: in-file names rewritten too (sent-dockerfile.ts).
  let stageText: Promise<Result<string | undefined, Failure>> | undefined;
  const buildSide = async (s: DiffSide & { kind: 'stage' }): Promise<Result<ResolvedImage, Failure>> => {
    const named = await (stageText ??= sentDockerfile(job, sent.text));
    if (!named.ok) return named;
    return buildStage(job, decision, named.value ?? sent.text, stages[s.index]?.name ?? s.text, removals);
  };
  const side = (s: DiffSide): Promise<Result<ResolvedImage, Failure>> => {
    if (s.kind === 'ref') return imageSide(job, s.ref);
    let b = built.get(s.index);
    if (b === undefined) built.set(s.index, (b = buildSide(s)));
    return b;
  };
  const mounts: ResolvedMount[] = [];
  for (const u of firstOfEachSlot(uses)) {
    const base = await side(u.base);
    if (!base.ok) return base;
    const head = await side(u.head);
    if (!head.ok) return head;
    mounts.push({ spec: diffSpec(u), source: { kind: 'diff', base: base.value, head: head.value } });
  }
  return ok({ mounts: [...mounts, ...folderMounts.value], sent });
}

/** Each `contexts:` folder the Dockerfile reads, as a mount of its image's folder at `.mbuild-context/<name>`. */
function namedFolderMounts(job: ImageJob, uses: readonly ContextFolderUse[]): Result<ResolvedMount[], Failure> {
  const out: ResolvedMount[] = [];
  for (const name of new Set(uses.map((u) => u.name))) {
    const c = job.image.contexts.get(name);
    if (c?.kind !== 'image' || c.path === undefined) continue;
    const id = job.upstream.get(c.image);
    if (id === undefined) return err({ reason: 'mount-failed', message: `contexts.${name}: image ${c.image} was not built in this run` });
    const spec: MountSpec = { from: c.image, source: { kind: 'image', image: c.image }, path: c.path, to: contextFolder(name), origin: c.origin };
    out.push({ spec, source: { kind: 'image', image: { ref: id, name: `${c.image} (${short(id)})` } } });
  }
  return ok(out);
}

const firstOfEachSlot = (uses: readonly DiffUse[]): DiffUse[] => uses.filter((u, i) => uses.findIndex((o) => o.slot === u.slot) === i);

/** The diff as the mount machinery sees it: the whole of `a..b` placed at `.mbuild-diff/<slot>`. */
function diffSpec(u: DiffUse): MountSpec {
  const side = (s: DiffSide) => (s.kind === 'stage' ? { kind: 'external' as const, ref: `stage ${s.text}` } : { kind: 'external' as const, ref: s.ref });
  return { from: u.value, source: { kind: 'diff', base: side(u.base), head: side(u.head) }, path: '/', to: diffFolder(u.slot), origin: [] };
}

/** An in-file image (a `contexts:` entry, its name, a tag: plan/graph.ts referenceTarget): its ID in this run; else a local image, which must exist. */
async function imageSide(job: ImageJob, written: string): Promise<Result<ResolvedImage, Failure>> {
  const { file, engine } = job.opts;
  const target = referenceTarget(file, job.image, written);
  if (target.kind === 'in-file') {
    const inFile = target.image;
    const id = job.upstream.get(inFile);
    if (id === undefined) return err({ reason: 'mount-failed', message: `diff side ${written}: image ${inFile} was not built in this run` });
    return ok({ ref: id, name: `${inFile} (${short(id)})` });
  }
  const ref = target.ref;
  return guarded('engine', async () => {
    const info = await engine.inspectImage(ref);
    if (info === undefined)
      return err({
        reason: 'mount-failed',
        message: `diff side ${ref}: image ${ref} does not exist locally (mbuild never pulls a diff side; pull or build it first)`,
      });
    return ok({ ref: info.id, name: ref });
  });
}

/** A side stage built as an internal target: same context, Dockerfile (as sent: its other diffs rewritten) and args. */
async function buildStage(job: ImageJob, decision: Decision, dockerfile: string, stage: string, removals: string[]): Promise<Result<ResolvedImage, Failure>> {
  const { opts, image } = job;
  if (image.context === undefined)
    return err({ reason: 'context-error', message: `image '${image.name}': a diff side stage needs a context folder on the host` });
  const select = decision.inputs.reads === null ? undefined : new ReadSet(decision.inputs.reads);
  const packed = await packContext({ contextDir: image.context, dockerfile: { text: dockerfile }, builder: opts.builder, ...(select && { select }) });
  if (!packed.ok) return err(contextFailure(packed.error));
  const what = `stage '${stage}' (a diff side)`;
  try {
    const built = await guarded('engine', async () =>
      ok(
        await opts.engine.build(
          {
            context: packed.value.stream,
            dockerfile: packed.value.dockerfileInTar,
            builder: opts.builder,
            buildId: `mbuild-${image.name}-${stage}-${process.pid}-${Date.now()}`,
            target: stage,
            buildArgs: buildArgs(opts.file, image, job.upstream, opts.builder),
            // Unique (never a cache hit on another run's side stage), and naming its project: whose it is when one is left.
            labels: { [INTERNAL_LABEL]: `${opts.file.name}/${image.name}/${stage} ${randomUUID()}` },
            ...(image.network !== undefined && { network: image.network }),
            ...(image.platform !== undefined && { platform: image.platform }),
            pull: image.pull,
            noCache: opts.noCache || image.noCache,
          },
          { signal: job.signal, onEvent: () => undefined },
        ),
      ),
    );
    if (!built.ok) return built;
    const outcome = built.value;
    if (outcome.kind === 'cancelled') return err({ reason: 'cancelled' });
    if (outcome.kind === 'failed')
      return err({ reason: 'build-failed', message: `${what}: ${outcome.message}`, ...(outcome.step && { step: outcome.step.name }), logTail: [] });
    removals.push(outcome.imageId);
    return ok({ ref: outcome.imageId, name: `${what} (${short(outcome.imageId)})` });
  } finally {
    packed.value.stream.destroy();
  }
}

/** Never forced: an image the engine still needs stays (and says so in a warning). */
async function removeInternal(job: ImageJob, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await job.opts.engine.removeImage(id).catch((e: unknown) => warn(job, `internal image ${short(id)} of a diff side could not be removed: ${messageOf(e)}`));
  }
}
