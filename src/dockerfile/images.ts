/**
 * Reads and parses the Dockerfile of every image of a build file (phase 5b): the image
 * references its FROM / COPY --from / RUN --mount=from lines name (after ARG
 * substitution) become plan edges; parse errors and an unknown `target` stage become
 * diagnostics located in the Dockerfile or the build file.
 */
import { readFileSync } from 'node:fs';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';
import { didYouMean } from '../config/suggest.js';
import type { BuildFile, ImageSpec } from '../config/types.js';
import type { DockerfileReference } from '../plan/types.js';
import { parseDockerfile, type ParsedDockerfile } from './parse.js';
import { referencedImages, resolveStages, stageNames } from './stages.js';
import { findStep } from './step.js';

export interface ReadDockerfile {
  readonly source: SourceFile;
  readonly parsed: ParsedDockerfile;
}

export async function readDockerfile(file: BuildFile, image: ImageSpec): Promise<ReadDockerfile> {
  const source: SourceFile = image.dockerfile.kind === 'file'
    ? { path: image.dockerfile.path, text: readFileSync(image.dockerfile.path, 'utf8') }
    : { path: `${file.source.path}#images.${image.name}.dockerfile_inline`, text: image.dockerfile.text };
  return { source, parsed: parseDockerfile(source.text) };
}

/** Build args as the planner sees them: `{image: X}` stands for X's first tag (the same edge). */
function planningArgs(file: BuildFile, image: ImageSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(image.args).map(([k, v]) => [k, v.kind === 'literal' ? v.value : (file.images.get(v.image)?.tags[0] ?? v.image)]));
}

function lineRange(source: SourceFile, line: number): { offset: number; length: number } {
  let offset = 0;
  for (let i = 1; i < line && offset !== -1; i++) offset = source.text.indexOf('\n', offset) + 1 || -1;
  if (offset === -1) offset = source.text.length;
  const end = source.text.indexOf('\n', offset);
  return { offset, length: (end === -1 ? source.text.length : end) - offset };
}

export async function readDockerfileRefs(file: BuildFile): Promise<Result<Map<string, DockerfileReference[]>, Diagnostic[]>> {
  const refs = new Map<string, DockerfileReference[]>();
  const problems: Diagnostic[] = [];
  for (const image of file.images.values()) {
    let df: ReadDockerfile;
    try {
      df = await readDockerfile(file, image);
    } catch (e) {
      problems.push({ severity: 'error', code: 'dockerfile-unreadable', message: `cannot read the Dockerfile of image '${image.name}': ${(e as Error).message}` });
      continue;
    }
    const args = planningArgs(file, image);
    const stages = resolveStages(df.parsed, args);
    for (const p of [...df.parsed.errors, ...stages.errors]) {
      problems.push({ severity: 'error', code: 'dockerfile-syntax', message: p.message, location: { file: df.source, range: lineRange(df.source, p.line) } });
    }
    if (image.target !== undefined && !stageNames(df.parsed).includes(image.target.toLowerCase())) {
      const names = stageNames(df.parsed);
      problems.push({
        severity: 'error', code: 'unknown-target',
        message: `target stage '${image.target}' of image '${image.name}' is not in its Dockerfile${didYouMean(image.target, names)}${names.length > 0 ? ` (stages: ${names.join(', ')})` : ' (it has no named stages)'}`,
        location: file.locate.value(image.origins.keys['target'] ?? image.origins.self),
      });
    }
    refs.set(image.name, referencedImages(df.parsed, args).map((r) => ({ ref: r.ref, line: r.line, kind: r.kind })));
  }
  return problems.length > 0 ? err(problems) : ok(refs);
}

/** The Dockerfile line of a failing step such as `[2/3] RUN make`, for the failure report. */
export async function locateStep(file: BuildFile, image: ImageSpec, step: string): Promise<{ path: string; line: number; text: string } | undefined> {
  try {
    const df = await readDockerfile(file, image);
    const instruction = findStep(df.parsed, step);
    if (instruction === null) return undefined;
    const text = df.source.text.split('\n')[instruction.startLine - 1] ?? '';
    return { path: df.source.path, line: instruction.startLine, text: text.trimEnd() };
  } catch {
    return undefined;
  }
}
