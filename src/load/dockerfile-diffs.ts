/**
 * Checks of the diffs `a..b` in Dockerfiles (phase 5b; dockerfile/diff-refs.ts finds them):
 * what the Dockerfile alone says is wrong (three sides, an empty side, a side stage that
 * uses a diff or closes a cycle, a mount that is not a bind mount), and each side that is no
 * stage: an image of the build file (by name, or by one of its tags), else a valid image
 * reference. The sides that name images join the image's references (`refs`): plan edges,
 * the reference rules and the key treat them as any `COPY --from=` would. The classic
 * builder's own limits wait until the builder is known (`classicDiffCheck`, run by the CLI).
 */
import { readFileSync } from 'node:fs';
import type { Diagnostic, SourceFile } from '../core/diagnostic.js';
import { isImageReference } from '../config/reference.js';
import type { BuildFile, ImageSpec, NamedContext } from '../config/types.js';
import { classicDiffProblems, diffSideRefs, type DiffProblem } from '../dockerfile/diff-refs.js';
import { dockerfileLine, dockerfileText, dockerfileWord, type DockerfileText } from '../dockerfile/location.js';
import { DIFF_FOLDER } from '../dockerfile/diff-rewrite.js';
import { ReadSet } from '../context/read-set.js';
import { planningArgs, type ImageDockerfile } from '../dockerfile/images.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { REFERENCE_PREFIX } from '../dockerfile/stages.js';
import { inFileImage } from '../plan/graph.js';

const located = (df: DockerfileText, p: DiffProblem): Diagnostic => ({ severity: 'error', code: p.code, ...dockerfileWord(df, p.line, p.word, p.message) });

/** The in-file image a side names, as any reference of the Dockerfile (plan/graph.ts referenceTarget): a `contexts:` entry, a name, a tag. */
const diffSideImage = (file: BuildFile, image: ImageSpec, side: string): string | undefined => inFileImage(file, image, side);

function sideProblems(file: BuildFile, image: ImageSpec, df: ImageDockerfile): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const u of df.diffs.uses) {
    for (const side of [u.base, u.head]) {
      if (side.kind !== 'ref') continue;
      const at = { line: u.line, word: u.text, code: 'dockerfile-diff-reference' };
      const inFile = isImageReference(side.ref) || file.images.has(side.ref) || image.contexts.has(side.ref) ? diffSideImage(file, image, side.ref) : undefined;
      if (inFile === image.name)
        out.push(located(df, { ...at, message: `${REFERENCE_PREFIX[u.kind]}${u.text}: '${side.ref}' is image '${image.name}' itself` }));
      else if (inFile === undefined && !isImageReference(side.ref) && !image.contexts.has(side.ref))
        out.push(
          located(df, {
            ...at,
            message: `${REFERENCE_PREFIX[u.kind]}${u.text}: '${side.ref}' is neither a stage of this Dockerfile, an image of the build file, nor a valid image reference`,
          }),
        );
    }
  }
  return out;
}

/** Every image's Dockerfile with its diffs' image sides in `refs`, and every problem of its diffs. */
export function withDiffSides(
  file: BuildFile,
  dockerfiles: ReadonlyMap<string, ImageDockerfile>,
): { dockerfiles: ReadonlyMap<string, ImageDockerfile>; problems: Diagnostic[] } {
  const out = new Map<string, ImageDockerfile>();
  const problems: Diagnostic[] = [];
  const tagOf = (name: string): string | undefined => file.images.get(name)?.tags[0];
  for (const [name, df] of dockerfiles) {
    const image = file.images.get(name)!;
    problems.push(...df.diffs.problems.map((p) => located(df, p)), ...sideProblems(file, image, df));
    const sides = diffSideRefs(df.diffs.uses, tagOf, (ref) => (isImageReference(ref) || image.contexts.has(ref)) && diffSideImage(file, image, ref) !== name);
    out.set(name, sides.length === 0 ? df : { ...df, refs: [...df.refs, ...sides] });
  }
  return { dockerfiles: out, problems };
}

/** With the classic builder: each diff it cannot build (a diff bind mount; a side stage after a stage using a diff), at its line. */
export function classicDiffCheck(file: BuildFile, images: Iterable<string>, dockerfiles?: ReadonlyMap<string, ImageDockerfile>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const name of images) {
    const image = file.images.get(name);
    if (image === undefined || image.dockerfile.kind === 'in-image') continue;
    // The load's text and parse when given (LoadedPlan's `dockerfiles`), else read again.
    const known = dockerfiles?.get(name);
    let source: SourceFile;
    try {
      source =
        known !== undefined
          ? known.source
          : image.dockerfile.kind === 'file'
            ? { path: image.dockerfile.path, text: readFileSync(image.dockerfile.path, 'utf8') }
            : { path: `${file.source.path}#images.${image.name}.dockerfile_inline`, text: image.dockerfile.text };
    } catch {
      continue; // reported when the plan was made
    }
    if (!source.text.includes('..')) continue;
    const text = dockerfileText(file, image, source);
    out.push(...classicDiffProblems(known?.parsed ?? parseDockerfile(source.text), planningArgs(file, image)).map((p) => located(text, p)));
  }
  return out;
}

/**
 * mbuild places a diff (`.mbuild-diff/`) or a `contexts:` folder (`.mbuild-context/`) in the
 * build context, where an instruction that reads it too (`COPY . /src`, a wildcard) would copy
 * it into the image: an error at that instruction's line, so that nothing of mbuild's lands
 * in an image unasked.
 */
const isFolder = (c: NamedContext | undefined): boolean => c?.kind === 'image' && c.path !== undefined;

export function reservedFolderReads(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, df] of dockerfiles) {
    const image = file.images.get(name)!;
    const folders = [
      ...(df.diffs.uses.length > 0 ? [DIFF_FOLDER] : []),
      ...(df.refs.some((r) => isFolder(image.contexts.get(r.ref))) ? ['.mbuild-context'] : []),
    ];
    if (folders.length === 0) continue;
    const lines = new Set<number>();
    for (const reads of Object.values(df.reads)) {
      if (reads.kind !== 'paths') continue;
      for (const r of reads.reads) {
        const folder = folders.find((f) => new ReadSet([r.path]).select(f) !== 'out');
        if (folder === undefined || lines.has(r.line)) continue;
        lines.add(r.line);
        const message = `${r.text}: reads ${r.path === '' ? 'the whole context' : r.written}, where mbuild places ${folder}/ for this Dockerfile's ${folder === DIFF_FOLDER ? 'diffs' : 'contexts folders'}: it would be copied into the image; name the paths to copy instead`;
        out.push({ severity: 'error', code: 'reads-mbuild-folder', ...dockerfileLine(df, r.line, message) });
      }
    }
  }
  return out;
}
