/**
 * What an image's build reads of its context: all of it with `inputs: whole`; else what
 * its Dockerfile reads (dockerfile/reads.ts), with the ENV of the images its stages are
 * built FROM when the engine knows them (a variable they set is then known); or all of it
 * when one of those images has ONBUILD triggers.
 */
import type { BuildFile, ImageSpec } from '../config/types.js';
import { ok, err, messageOf, type Result } from '../core/result.js';
import type { ContextPlanError } from '../context/source.js';
import type { BuilderKind } from '../docker/engine.js';
import { planningArgs } from '../dockerfile/images.js';
import { parseDockerfile, type ParsedDockerfile } from '../dockerfile/parse.js';
import { contextReads, type ContextReads, type VariableRules } from '../dockerfile/reads.js';
import { referencedImages, type ImageReference } from '../dockerfile/stages.js';
import { inFileImage } from '../plan/graph.js';
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

/** What the engine says of an image a stage is built FROM. */
export interface BaseFacts {
  readonly onBuild: boolean;
  /** `Config.Env` as `NAME=value` lines. */
  readonly env: readonly string[];
}

/**
 * Dockerfiles this process read and parsed moments ago (load/'s, for `plan`), by image name:
 * read and parsed again otherwise. Their text passed load/'s checks (no symlink out of the root).
 * `reads`: what load/ found the target reads under each builder's rules, no base image looked at.
 */
export type KnownDockerfiles = ReadonlyMap<
  string,
  { readonly source: { readonly text: string }; readonly parsed: ParsedDockerfile; readonly reads?: Readonly<Record<VariableRules, ContextReads>> }
>;

/**
 * `base(ref)`: the facts of an image named in FROM (an in-file one by its tag), or undefined when not known.
 * `refs`: `referencedImages(parsed, planningArgs(file, image))`, when the caller has it.
 */
export async function imageReads(
  file: BuildFile,
  image: ImageSpec,
  parsed: ParsedDockerfile,
  base: (ref: string) => Promise<BaseFacts | undefined>,
  builder?: BuilderKind,
  known?: KnownDockerfiles,
  refs?: readonly ImageReference[],
): Promise<ContextReads> {
  if (image.inputs === 'whole') return { kind: 'whole', reason: 'inputs: whole', line: null };
  const args = planningArgs(file, image);
  const facts = new Map<string, BaseFacts | undefined>();
  for (const r of refs ?? referencedImages(parsed, args)) if (r.kind === 'from' && !facts.has(r.ref)) facts.set(r.ref, await base(r.ref));
  const envs = new Map([...facts].flatMap(([ref, f]) => (f === undefined ? [] : [[ref, envMap(f.env)] as const])));
  const loaded = known?.get(image.name);
  const found = builder === undefined ? undefined : loaded?.reads?.[builder];
  // load/ found them with no base image looked at: the same here when no base's ENV is known, or no `$` can name a variable.
  const reads =
    found !== undefined && (envs.size === 0 || !loaded!.source.text.includes('$'))
      ? found
      : contextReads(parsed, args, image.target ?? null, { ...(builder && { builder }), baseEnv: (ref) => envs.get(ref) });
  if (reads.kind === 'whole') return reads;
  for (const b of reads.bases) {
    const upstream = inFileImage(file, image, b.ref);
    const spec = upstream === undefined ? undefined : file.images.get(upstream);
    // An in-file image not built yet: what its Dockerfile declares.
    const triggers = facts.get(b.ref)?.onBuild ?? (spec !== undefined && hasOnbuild(spec, file.root, known));
    if (triggers) return { kind: 'whole', reason: `base image ${b.ref} has ONBUILD triggers`, line: b.line };
  }
  return reads;
}

const isInside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
};

const envMap = (env: readonly string[]): Map<string, string> =>
  new Map(env.flatMap((e) => (e.indexOf('=') > 0 ? [[e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const] : [])));

/** An in-file image whose Dockerfile declares ONBUILD triggers (or cannot be read: then it may). */
function hasOnbuild(spec: ImageSpec, root: string, known: KnownDockerfiles | undefined): boolean {
  const read = known?.get(spec.name);
  if (read !== undefined) return read.parsed.instructions.some((i) => i.keyword === 'ONBUILD');
  const text = dockerfileText(spec, root);
  return !text.ok || parseDockerfile(text.value).instructions.some((i) => i.keyword === 'ONBUILD');
}

/**
 * The text of an image's Dockerfile. With `root` (the build file's folder), a Dockerfile that
 * leads outside it through a symlink (one swapped in since `validate` checked it) is refused,
 * never read: its content would be sent to the engine and could be printed.
 */
export function dockerfileText(image: ImageSpec, root?: string): Result<string, ContextPlanError> {
  const df = image.dockerfile;
  if (df.kind === 'inline') return ok(df.text);
  if (df.kind === 'in-image')
    return err({ kind: 'dockerfile-unreadable', path: df.path, message: 'it is inside the context image: read only when the image is built' });
  try {
    const real = realpathSync.native(df.path);
    if (root !== undefined && !isInside(realpathSync.native(root), real))
      return err({ kind: 'dockerfile-unreadable', path: df.path, message: 'it leads outside the project root through a symlink; it is not read' });
    return ok(readFileSync(real, 'utf8'));
  } catch (e) {
    // Gone since the plan was made (deleted during watch): the image's failure, not an internal error.
    return err({ kind: 'dockerfile-unreadable', path: df.path, message: messageOf(e) });
  }
}
