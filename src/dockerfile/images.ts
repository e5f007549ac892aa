/**
 * Reads and parses the Dockerfile of every image of a build file (phase 5b): the image
 * references its FROM / COPY --from / RUN --mount=from lines name (after ARG
 * substitution) become plan edges; parse errors and an unknown `target` stage become
 * diagnostics located in the Dockerfile (an inline one: in the build file) or the build file.
 */
import { readFileSync } from 'node:fs';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { didYouMean } from '../core/suggest.js';
import type { BuildFile, DockerfileSource, ImageSpec } from '../config/types.js';
import { parseDockerfile, type ParsedDockerfile } from './parse.js';
import { dockerfileLine, dockerfileText, type DockerfileText } from './location.js';
import { referencedImages, resolveStages, stageNames, type ImageReference } from './stages.js';
import { contextReads, type ContextReads, type VariableRules } from './reads.js';
import { sessionMounts, type SessionMount } from './session-mounts.js';
import { findStep } from './step.js';
import { dockerfileDiffs, type DockerfileDiffs } from './diff-refs.js';

export interface ReadDockerfile {
  readonly source: SourceFile;
  readonly parsed: ParsedDockerfile;
}

/** `dockerfile`: the image's, unless it is inside a context image (read only at build time). */
export async function readDockerfile(file: BuildFile, image: ImageSpec, dockerfile: DockerfileSource): Promise<ReadDockerfile> {
  const source: SourceFile =
    dockerfile.kind === 'file'
      ? { path: dockerfile.path, text: readFileSync(dockerfile.path, 'utf8') }
      : { path: `${file.source.path}#images.${image.name}.dockerfile_inline`, text: dockerfile.text };
  return { source, parsed: parseDockerfile(source.text) };
}

/** Build args as the planner sees them: `{image: X}` stands for X's first tag (the same edge). */
export function planningArgs(file: BuildFile, image: ImageSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(image.args).map(([k, v]) => [k, v.kind === 'literal' ? v.value : (file.images.get(v.image)?.tags[0] ?? v.image)]));
}

/** What the Dockerfile of one image says, as the plan and the reference checks need it. */
export interface ImageDockerfile extends DockerfileText {
  /** External images named by FROM / COPY --from / RUN --mount=from, after ARG substitution. */
  readonly refs: readonly ImageReference[];
  /** What the built target reads of the context under each builder's rules (reads.ts), before any base image is looked at. */
  readonly reads: Readonly<Record<VariableRules, ContextReads>>;
  /** The secrets and ssh ids its RUN --mount flags ask the session for (session-mounts.ts). */
  readonly sessionMounts: readonly SessionMount[];
  /** Its diffs `a..b` (diff-refs.ts); load/dockerfile-diffs.ts adds their sides that name images to `refs`. */
  readonly diffs: DockerfileDiffs;
  /** The parsed text, kept for the checks that need more than the above (read and parsed once per image). */
  readonly parsed: ParsedDockerfile;
}

export interface ReadDockerfiles {
  readonly dockerfiles: ReadonlyMap<string, ImageDockerfile>;
  /** Syntax errors and unknown `target` stages, located in the Dockerfile or the build file. */
  readonly problems: readonly Diagnostic[];
}

function unknownTarget(file: BuildFile, image: ImageSpec, parsed: ParsedDockerfile): Diagnostic | undefined {
  const names = stageNames(parsed);
  if (image.target === undefined || names.includes(image.target.toLowerCase())) return undefined;
  return {
    severity: 'error',
    code: 'unknown-target',
    message: `target stage '${image.target}' of image '${image.name}' is not in its Dockerfile${didYouMean(image.target, names)}${names.length > 0 ? ` (stages: ${names.join(', ')})` : ' (it has no named stages)'}`,
    location: file.locate.value(image.origins.keys['target'] ?? image.origins.self),
  };
}

/** Phase 5b: every image's Dockerfile read and parsed once; all problems of all images at once. */
export async function readDockerfiles(file: BuildFile): Promise<ReadDockerfiles> {
  const dockerfiles = new Map<string, ImageDockerfile>();
  const problems: Diagnostic[] = [];
  for (const image of file.images.values()) {
    // `context: {image, path}` without a Dockerfile of its own: the image's, known only at build time.
    if (image.dockerfile.kind === 'in-image') continue;
    let df: ReadDockerfile;
    try {
      df = await readDockerfile(file, image, image.dockerfile);
    } catch (e) {
      problems.push({
        severity: 'error',
        code: 'dockerfile-unreadable',
        message: `cannot read the Dockerfile of image '${image.name}': ${(e as Error).message}`,
      });
      continue;
    }
    const text = dockerfileText(file, image, df.source);
    const args = planningArgs(file, image);
    for (const p of [...df.parsed.errors, ...resolveStages(df.parsed, args).errors]) {
      problems.push({ severity: 'error', code: 'dockerfile-syntax', ...dockerfileLine(text, p.line, p.message) });
    }
    const target = unknownTarget(file, image, df.parsed);
    if (target) problems.push(target);
    // No spread first: V8 builds an object literal that starts with one slowly (issue 22).
    dockerfiles.set(image.name, {
      source: text.source,
      ...(text.inline !== undefined && { inline: text.inline }),
      refs: referencedImages(df.parsed, args),
      reads: readsOf(df.parsed, df.source.text, args, image.target ?? null),
      sessionMounts: sessionMounts(df.parsed),
      parsed: df.parsed,
      diffs: dockerfileDiffs(df.parsed, args),
    });
  }
  return { dockerfiles, problems };
}

/**
 * The builders differ in how a variable resolves and in which stages run: a Dockerfile of one
 * stage without a `$` reads the same under both, analysed once (most are; issue 22).
 */
function readsOf(parsed: ParsedDockerfile, text: string, args: Record<string, string>, target: string | null): Record<VariableRules, ContextReads> {
  const buildkit = contextReads(parsed, args, target, { builder: 'buildkit' });
  const oneStage = parsed.instructions.filter((i) => i.keyword === 'FROM').length === 1;
  return { buildkit, classic: oneStage && !text.includes('$') ? buildkit : contextReads(parsed, args, target, { builder: 'classic' }) };
}

/** The Dockerfile line of a failing step such as `[2/3] RUN make`, for the failure report. */
export async function locateStep(file: BuildFile, image: ImageSpec, step: string): Promise<{ path: string; line: number; text: string } | undefined> {
  // A Dockerfile inside a context image has no host line to show.
  if (image.dockerfile.kind === 'in-image') return undefined;
  try {
    const df = await readDockerfile(file, image, image.dockerfile);
    const instruction = findStep(df.parsed, step);
    if (instruction === null) return undefined;
    const text = df.source.text.split('\n')[instruction.startLine - 1] ?? '';
    return { path: df.source.path, line: instruction.startLine, text: text.trimEnd() };
  } catch {
    return undefined;
  }
}
