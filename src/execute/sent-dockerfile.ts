/**
 * The Dockerfile a build sends, when it is not the user's text as it is: a reference that
 * names an image of this file by its name, or a `contexts:` entry, is rewritten to what the
 * engine must use (dockerfile/rewrite.ts): the classic builder gets the image ID just built,
 * BuildKit its pin tag (`core/labels.ts pinnedRef`, put on the image here if it lacks it:
 * BuildKit resolves a name, not an ID), a `contexts:` reference its reference. The key was
 * computed from the user's text and the upstream IDs, so the rewrite adds nothing to it.
 */
import type { ImageSpec } from '../config/types.js';
import type { Failure } from '../core/events.js';
import { pinnedRef } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import { planningArgs } from '../dockerfile/images.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { rewriteReferences, type ReferenceEdit } from '../dockerfile/rewrite.js';
import { referencedImages, type ImageReference } from '../dockerfile/stages.js';
import { referenceTarget } from '../plan/graph.js';
import { guarded } from './failure.js';
import type { ImageJob } from './job.js';

/** The text to send, or undefined: the user's Dockerfile goes as it is. */
export async function sentDockerfile(job: ImageJob, text: string): Promise<Result<string | undefined, Failure>> {
  const parsed = parseDockerfile(text);
  const edits: ReferenceEdit[] = [];
  for (const ref of referencedImages(parsed, planningArgs(job.opts.file, job.image))) {
    const edit = await editOf(job, ref);
    if (!edit.ok) return edit;
    if (edit.value !== undefined) edits.push(edit.value);
  }
  if (edits.length === 0) return ok(undefined);
  const rewritten = rewriteReferences(text, parsed, edits);
  if (!rewritten.ok) return err({ reason: 'context-error', message: rewritten.error.map((p) => `${where(job.image)}:${p.line}: ${p.message}`).join('\n') });
  return ok(rewritten.value);
}

const where = (image: ImageSpec): string => (image.dockerfile.kind === 'file' ? image.dockerfile.path : `images.${image.name}.dockerfile_inline`);

async function editOf(job: ImageJob, ref: ImageReference): Promise<Result<ReferenceEdit | undefined, Failure>> {
  const target = referenceTarget(job.opts.file, job.image, ref.ref);
  if (!target.rewrite) return ok(undefined);
  const at = { line: ref.line, kind: ref.kind, written: ref.text };
  if (target.kind === 'external') return ok({ ...at, replacement: target.ref });
  if (target.path !== undefined)
    return err({ reason: 'context-error', message: `${where(job.image)}:${ref.line}: contexts with a path are not supported yet` });
  const id = job.upstream.get(target.image);
  if (id === undefined) return err({ reason: 'unknown-error', message: `Internal error: ${job.image.name} needs ${target.image}, which was not built` });
  if (job.opts.builder === 'classic') return ok({ ...at, replacement: id });
  const pin = pinnedRef(job.opts.file.name, target.image, id);
  const tagged = await guarded('tagging', async () => {
    await job.opts.engine.tagImage(id, pin);
    return ok(undefined);
  });
  return tagged.ok ? ok({ ...at, replacement: pin }) : tagged;
}
