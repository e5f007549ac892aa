/**
 * The key of an image built from `context: {image, path}`: as for any image (Dockerfile
 * text, args, bases, mounts, ...), but of its context only the source image's ID and the
 * path: the ID fixes every file there, so no file is hashed and no host folder is walked.
 * A host Dockerfile's `<Dockerfile>.dockerignore` is the only host ignore file. A Dockerfile
 * inside the source image (`<path>/Dockerfile`) is fixed by the ID too: the key holds its
 * path, and what it reads is known only when it is read (the build sends what it reads).
 */
import { readFileSync } from 'node:fs';
import type { ImageContextSpec } from '../config/types.js';
import type { ContextPlanError } from '../context/source.js';
import { byText } from '../core/order.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { dockerfileText, imageReads } from './image-reads.js';
import { baseFacts, buildSettings, KEY_VERSION, readInputs, sessionInputs, type CollectOptions, type ImageInputs } from './inputs.js';

/** The tar name of the Dockerfile of a context image (always injected: the host has no context folder). */
export const CONTEXT_IMAGE_DOCKERFILE = '.mbuild.Dockerfile';

/** `<Dockerfile>.dockerignore` beside a host Dockerfile, if it is a file; its text. */
export function hostIgnoreOf(image: ImageContextSpec): Result<{ path: string; text: string } | null, ContextPlanError> {
  if (image.dockerfile.kind !== 'file') return ok(null);
  const path = `${image.dockerfile.path}.dockerignore`;
  try {
    return ok({ path, text: readFileSync(path, 'utf8') });
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? ok(null) : err({ kind: 'ignore-unreadable', path, message: messageOf(e) });
  }
}

/** The source image's ID: an in-file image's build of this run (`unbuilt` before it), else the local image's (`missing`). */
async function sourceId(o: CollectOptions, image: ImageContextSpec): Promise<string> {
  const s = image.contextImage.source;
  if (s.kind === 'image') return o.upstream.get(s.image) ?? 'unbuilt';
  return (await o.engine.inspectImage(s.ref))?.id ?? 'missing';
}

export async function collectContextImageInputs(o: CollectOptions, image: ImageContextSpec): Promise<Result<ImageInputs, ContextPlanError>> {
  const inImage = image.dockerfile.kind === 'in-image';
  const text = inImage ? ok('') : dockerfileText(image, o.file.root);
  if (!text.ok) return text;
  const parsed = parseDockerfile(text.value);
  const read = await readInputs(o, parsed);
  const ignore = hostIgnoreOf(image);
  if (!ignore.ok) return ignore;
  const reads = inImage
    ? ({ kind: 'whole', reason: `its Dockerfile is ${image.dockerfile.path} inside the context image` } as const)
    : await imageReads(o.file, image, parsed, (ref) => baseFacts(o, ref, read.bases), o.builder, undefined, read.refs);
  const session = sessionInputs(o.file, image);
  if (!session.ok) return session;
  const source = image.contextImage.source;
  return ok({
    version: KEY_VERSION,
    builder: o.builder,
    dockerfile: text.value,
    dockerfileInTar: CONTEXT_IMAGE_DOCKERFILE,
    ignore: ignore.value?.text ?? null,
    ...buildSettings(image, read),
    // The context image is read: an in-file one is an upstream input as a mount's is.
    upstream: Object.fromEntries(
      [...o.upstream].filter(([name]) => read.images.has(name) || (source.kind === 'image' && source.image === name)).sort(([x], [y]) => byText(x, y)),
    ),
    mounts: read.mounts,
    reads: reads.kind === 'paths' ? [...new Set(reads.reads.map((r) => r.path))].sort(byText) : null,
    whole: reads.kind === 'whole' ? reads.reason : null,
    files: [],
    ...session.value,
    context: { image: await sourceId(o, image), path: image.contextImage.path },
  });
}
