/**
 * Step 2 for an image built from `context: {image, path}`: the whole context is that folder
 * inside the source image (an upstream's fresh build, or a local image: never pulled), read
 * through a temporary container as a mount is, checked entry by entry, and cut to what the
 * build reads. The Dockerfile is injected: the host file or inline text the key holds, or
 * `<path>/Dockerfile` read out of the image. The ignore file: `<Dockerfile>.dockerignore`
 * beside a host Dockerfile, else `<path>/.dockerignore` in the image, else none. The
 * image's mounts follow the folder's entries. No host folder is walked.
 */
import type { Decision } from '../cache/freshness.js';
import { CONTEXT_IMAGE_DOCKERFILE } from '../cache/context-image-inputs.js';
import type { ImageContextSpec } from '../config/types.js';
import { entryFilter, packEntries } from '../context/entries-pack.js';
import { ReadSet } from '../context/read-set.js';
import type { ExtraEntry } from '../context/tar.js';
import type { InjectedFile } from '../context/source.js';
import type { Location } from '../core/diagnostic.js';
import type { Failure } from '../core/events.js';
import { buildLabels } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import { labelSteps, withLabelInstruction } from '../dockerfile/label-line.js';
import { planningArgs } from '../dockerfile/images.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { contextReads } from '../dockerfile/reads.js';
import { contextEntries, openContextFolder, readImageFile, type ContextImageRead } from '../mounts/context-image.js';
import { TransferError } from '../mounts/errors.js';
import { buildResolver, resolveMounts } from '../mounts/sources.js';
import { allMountEntries } from '../mounts/splice.js';
import type { SharedReads } from '../mounts/shared-reads.js';
import type { TempContainers } from '../mounts/temp-containers.js';
import { guarded } from './failure.js';
import { bareClassic, spliceOptions, type ImageJob } from './job.js';
import type { PreparedContext } from './job.js';
import { sentDockerfile } from './sent-dockerfile.js';

/** `mbuild.yaml:4:14`: where the `context:` of an image is written. */
export function writtenAt(loc: Location): string {
  const before = loc.file.text.slice(0, loc.range.offset);
  const line = before.split('\n').length;
  return `${loc.file.path}:${line}:${loc.range.offset - before.lastIndexOf('\n')}`;
}

/** `context img1:/src/build of image 'img2' (mbuild.yaml:4:14)`: how failures name the context. */
const contextName = (job: ImageJob, image: ImageContextSpec): string =>
  `context ${image.contextImage.from}:${image.contextImage.path} of image '${image.name}' (${writtenAt(job.opts.file.locate.value(image.contextImage.origin))})`;

export async function prepareImageContext(
  job: ImageJob,
  image: ImageContextSpec,
  decision: Decision,
  containers: TempContainers,
  shared?: SharedReads,
): Promise<Result<PreparedContext, Failure>> {
  const name = contextName(job, image);
  const failed = (message: string): Failure => ({ reason: 'context-error', message: `${name}: ${message}` });
  return guarded('engine', async () => {
    const source = await buildResolver(job.opts.engine, job.upstream)(image.contextImage.source);
    if (!source.ok) return err(failed(source.error));
    const read: ContextImageRead = {
      engine: job.opts.engine,
      signal: job.signal,
      labels: job.tempLabels,
      containers,
      label: { what: 'context', source: `${image.contextImage.from}:${image.contextImage.path}`, to: '.' },
      imageName: source.value.name,
    };
    try {
      return await packed(job, image, decision, source.value.ref, read, containers, shared);
    } catch (e) {
      if (e instanceof TransferError && !job.signal.aborted) return err(failed(e.message.replace(/^context [^ ]+ -> \.: /, '')));
      throw e;
    }
  });
}

async function packed(
  job: ImageJob,
  image: ImageContextSpec,
  decision: Decision,
  ref: string,
  read: ContextImageRead,
  containers: TempContainers,
  shared: SharedReads | undefined,
): Promise<Result<PreparedContext, Failure>> {
  const { opts } = job;
  const path = image.contextImage.path;
  const folder = await openContextFolder(ref, path, read);
  let text = decision.inputs.dockerfile;
  if (image.dockerfile.kind === 'in-image') {
    const found = await readImageFile(ref, image.dockerfile.path, read);
    if (found === undefined) {
      await folder.return(undefined);
      throw new TransferError(
        `it has no Dockerfile: ${image.dockerfile.path} does not exist in image ${read.imageName} (set 'dockerfile' or 'dockerfile_inline')`,
      );
    }
    text = found.toString('utf8');
  }
  const ignoreText = decision.inputs.ignore ?? (await readImageFile(ref, `${path}/.dockerignore`, read))?.toString('utf8');
  const select = selectOf(job, image, decision, text);
  const labels = buildLabels(opts.file.name, image.name, decision.key, image.labels, bareClassic(job));
  const classic = opts.builder === 'classic';
  // In-file image names in its FROM / COPY --from lines are sent as the images built (as for any image).
  const rewritten = await sentDockerfile(job, text);
  if (!rewritten.ok) {
    await folder.return(undefined);
    return rewritten;
  }
  text = rewritten.value ?? text;
  const labelled = classic ? withLabelInstruction(text, image.target, labels) : undefined;
  const sentText = labelled ?? text;
  const injected: InjectedFile[] = [{ name: CONTEXT_IMAGE_DOCKERFILE, content: Buffer.from(sentText, 'utf8'), mode: 0o644, mtime: new Date(0) }];
  // Classic: the daemon deletes what the tar's .dockerignore lists before COPY sees it (the injected Dockerfile).
  if (classic) injected.push({ name: '.dockerignore', content: Buffer.from(`.dockerignore\n${CONTEXT_IMAGE_DOCKERFILE}\n`), mode: 0o644, mtime: new Date(0) });
  const filter = entryFilter(select, ignoreText, new Set(['.dockerignore', CONTEXT_IMAGE_DOCKERFILE]));
  if (!filter.ok) {
    await folder.return(undefined);
    throw new TransferError(filter.error);
  }
  const keep = filter.value;
  const mounts = await resolveMounts(image, buildResolver(opts.engine, job.upstream));
  if (!mounts.ok) {
    await folder.return(undefined);
    return err({ reason: 'mount-failed', message: mounts.error });
  }
  async function* entries(): AsyncGenerator<ExtraEntry> {
    yield* contextEntries(folder, keep, `context ${image.contextImage.from}:${path}`);
    if (mounts.ok && mounts.value.length > 0) {
      yield* allMountEntries(mounts.value, spliceOptions(job, containers, shared));
    }
  }
  const pack = packEntries({ injected, dockerfileInTar: CONTEXT_IMAGE_DOCKERFILE, entries: entries() });
  // Classic: mbuild's labels are the Dockerfile's last LABEL line; BuildKit: build parameters.
  const sent = labelled !== undefined ? {} : labels;
  return ok({ packed: pack, labels: sent, labelSteps: labelSteps(classic, labels, sent) });
}

/** What the build reads: as the key found it, or (a Dockerfile inside the image) as its text says. */
function selectOf(job: ImageJob, image: ImageContextSpec, decision: Decision, text: string): ReadSet | undefined {
  if (image.dockerfile.kind !== 'in-image') return decision.inputs.reads === null ? undefined : new ReadSet(decision.inputs.reads);
  if (image.inputs === 'whole') return undefined;
  const reads = contextReads(parseDockerfile(text), planningArgs(job.opts.file, image), image.target ?? null, { builder: job.opts.builder });
  return reads.kind === 'whole' ? undefined : new ReadSet(reads.reads.map((r) => r.path));
}
