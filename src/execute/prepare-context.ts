/**
 * Step 2 of an image's build: the context as it will be sent. The mounts' sources are
 * resolved (upstream IDs, external images that exist locally) and their entries spliced
 * into the tar; mbuild's labels are added (classic: its marks are a tag, core/labels.ts markTag, and
 * labels, when the image has some of its own, go as one LABEL instruction closing the
 * built stage of the Dockerfile sent, dockerfile/label-line.ts); every context entry is
 * checked, as it is sent, against what the key was computed from.
 */
import type { Decision } from '../cache/freshness.js';
import type { FileInput, ImageInputs } from '../cache/inputs.js';
import { ReadSet } from '../context/read-set.js';
import { ContextChangedError, packContext, type SentEntry } from '../context/tar.js';
import type { Failure } from '../core/events.js';
import { buildLabels } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import { labelSteps, withLabelInstruction } from '../dockerfile/label-line.js';
import { buildResolver, resolveMounts, type ResolvedMount } from '../mounts/sources.js';
import { allMountEntries } from '../mounts/splice.js';
import type { SharedReads } from '../mounts/shared-reads.js';
import type { TempContainers } from '../mounts/temp-containers.js';
import { prepareDiffs } from './dockerfile-diffs.js';
import { contextFailure, guarded } from './failure.js';
import { bareClassic, spliceOptions, type ImageJob, type PreparedContext } from './job.js';
import { prepareImageContext } from './prepare-image-context.js';
import { sentDockerfile } from './sent-dockerfile.js';

export async function prepareContext(
  job: ImageJob,
  decision: Decision,
  containers: TempContainers,
  shared?: SharedReads,
): Promise<Result<PreparedContext, Failure>> {
  const { opts, image } = job;
  if (image.contextImage !== undefined) return prepareImageContext(job, image, decision, containers, shared);
  const own = await mountsOf(job);
  if (!own.ok) return own;
  const diffs = await prepareDiffs(job, decision, containers);
  if (!diffs.ok) return diffs;
  const mounts = [...own.value, ...diffs.value.mounts];
  const extra = mounts.length === 0 ? undefined : allMountEntries(mounts, spliceOptions(job, containers, shared));
  // Only what the build reads, as the key was computed from it (followed links included).
  const select = decision.inputs.reads === null ? undefined : new ReadSet(decision.inputs.reads);
  const labels = buildLabels(opts.file.name, image.name, decision.key, image.labels, bareClassic(job));
  const withDiffs = diffs.value.sent?.text ?? decision.inputs.dockerfile;
  const rewritten = await sentDockerfile(job, withDiffs);
  if (!rewritten.ok) return rewritten;
  const text = rewritten.value ?? withDiffs;
  const replaced = rewritten.value !== undefined || diffs.value.sent !== undefined;
  // Classic: all labels as one LABEL instruction rather than one step per label.
  const labelled = opts.builder === 'classic' ? withLabelInstruction(text, image.target, labels) : undefined;
  const packed = await packContext({
    contextDir: image.context,
    dockerfile: image.dockerfile.kind === 'file' ? { path: image.dockerfile.path } : { text: labelled ?? text },
    ...(image.dockerfile.kind === 'file' && replaced && { replaceDockerfile: labelled ?? text }),
    ...(labelled !== undefined && image.dockerfile.kind === 'file' && !replaced && { sendDockerfile: labelled }),
    builder: opts.builder,
    ...(select && { select }),
    onEntry: verifier(decision.inputs),
    ...(extra && { extra }),
  });
  if (!packed.ok) return err(contextFailure(packed.error));
  const inDockerfile = labelled !== undefined && (image.dockerfile.kind === 'inline' || diffs.value.sent !== undefined || packed.value.plan.dockerfileReplaced);
  const sent = inDockerfile ? {} : labels;
  // Classic: mbuild's labels are the build's last steps, one LABEL line or a step per label parameter.
  return ok({ packed: packed.value, labels: sent, labelSteps: labelSteps(opts.builder === 'classic', labels, sent) });
}

/** The image's mounts with their sources resolved (upstream IDs, local external images). */
function mountsOf(job: ImageJob): Promise<Result<ResolvedMount[], Failure>> {
  return guarded('engine', async () => {
    const r = await resolveMounts(job.image, buildResolver(job.opts.engine, job.upstream));
    return r.ok ? r : err({ reason: 'mount-failed', message: r.error });
  });
}

/**
 * Fails the context stream when what is sent differs from what the key was computed
 * from (a file changed in between): an image must never carry a key it was not built from.
 * A folder only on the way to a read (`on-way`) is sent without being an input.
 */
function verifier(inputs: ImageInputs): (e: SentEntry) => void {
  const expected = new Map<string, FileInput>(inputs.files.map((f) => [f[0], f]));
  return (e) => {
    if (e.source !== 'context') return;
    const f = expected.get(e.path);
    const same =
      f !== undefined && f[1] === e.type && f[2] === e.mode && (e.type === 'file' ? f[3] === e.sha256 : e.type === 'symlink' ? f[3] === e.linkTarget : true);
    if (!same) throw new ContextChangedError(e.path, 'changed after its hash was taken');
  };
}
