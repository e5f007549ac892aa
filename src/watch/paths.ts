/**
 * What a changed path means for watch mode: which images it is an input of, decided with
 * the same .dockerignore matcher that builds the context (watch and build agree on what
 * an input is), and which paths are never watched (outputs, .mbuild/, everything that is
 * no image's input).
 */
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { BuildFile } from '../config/types.js';
import { planContext } from '../context/source.js';
import { IgnoreMatcher } from '../context/ignore.js';

export interface ImageWatch {
  readonly image: string;
  readonly context: string;
  readonly matcher: IgnoreMatcher;
  /** Files outside the walk that are inputs too: the Dockerfile and the ignore files that may apply. */
  readonly files: readonly string[];
}

export interface WatchTargets {
  readonly root: string;
  readonly buildFile: string;
  readonly images: readonly ImageWatch[];
  /** Host paths written by `outputs`, and .mbuild/: never watched. */
  readonly excluded: readonly string[];
}

const inside = (parent: string, child: string): string | undefined => {
  const rel = relative(parent, child);
  if (rel === '') return '';
  return rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
};

export async function watchTargets(file: BuildFile, images: readonly string[]): Promise<WatchTargets> {
  const out: ImageWatch[] = [];
  for (const name of images) {
    const image = file.images.get(name)!;
    const dockerfile = image.dockerfile.kind === 'file' ? image.dockerfile.path : undefined;
    const planned = await planContext({ contextDir: image.context, dockerfile: dockerfile !== undefined ? { path: dockerfile } : { text: image.dockerfile.kind === 'inline' ? image.dockerfile.text : '' } });
    const matcher = planned.ok ? planned.value.matcher : new IgnoreMatcher([]);
    const files = [join(image.context, '.dockerignore'), ...(dockerfile !== undefined ? [dockerfile, `${dockerfile}.dockerignore`] : [])];
    out.push({ image: name, context: image.context, matcher, files });
  }
  const excluded = [join(file.root, '.mbuild'), ...[...file.images.values()].flatMap((i) => i.outputs.map((o) => o.to))];
  return { root: file.root, buildFile: file.source.path, images: out, excluded };
}

/** The images `abs` is an input of (empty when none). */
export function imagesForPath(t: WatchTargets, abs: string, isDir = false): string[] {
  if (t.excluded.some((e) => inside(e, abs) !== undefined)) return [];
  const hit: string[] = [];
  for (const w of t.images) {
    if (w.files.includes(abs)) {
      hit.push(w.image);
      continue;
    }
    const rel = inside(w.context, abs);
    if (rel === undefined) continue;
    if (rel === '' || !w.matcher.matches(rel) || (isDir && w.matcher.exceptionMayMatchBelow(rel))) hit.push(w.image);
  }
  return hit;
}

/** For chokidar's `ignored`: true for paths that can never matter, so whole trees are pruned. */
export function isIgnored(t: WatchTargets, abs: string, isDir: boolean | undefined): boolean {
  if (abs === t.buildFile || abs === t.root) return false;
  if (t.excluded.some((e) => inside(e, abs) !== undefined)) return true;
  // Folders on the way to a context or an input file must be walked.
  const leadsTo = (target: string) => inside(abs, target) !== undefined;
  if (t.images.some((w) => leadsTo(w.context) || w.files.some((f) => leadsTo(dirname(f))))) return false;
  // Without stats (chokidar asks twice), assume a folder: never prune what a later `!` may re-include.
  return imagesForPath(t, abs, isDir ?? true).length === 0;
}
