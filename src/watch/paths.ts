/**
 * What a changed path means for watch mode: which images it is an input of, decided with
 * the same .dockerignore matcher that builds the context and the paths its Dockerfile
 * reads (`dockerfile/reads.ts`, joined with what its last build found it read: watch and
 * build agree on what an input is; a write to a file no instruction reads triggers
 * nothing); whether it is the build file or an env file it reads (`${...}` may change), a
 * Dockerfile (the plan's FROM edges may change) or an ignore file (the matcher itself
 * changes); and which paths are never
 * watched: `outputs` (with the temporary siblings an output is written through), .mbuild/,
 * and everything that is no image's input.
 */
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { readFileSync } from 'node:fs';
import type { BuildFile, HostContextSpec } from '../config/types.js';
import { STATE_DIR } from '../core/layout.js';
import { ReadSet } from '../context/read-set.js';
import { planContext } from '../context/source.js';
import { IgnoreMatcher } from '../dockerignore/ignore.js';
import { planningArgs } from '../dockerfile/images.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { contextReads } from '../dockerfile/reads.js';

export interface ImageWatch {
  readonly image: string;
  /** The host context folder; undefined for `context: {image, path}` (only its host Dockerfile is watched; the upstream edge rebuilds it). */
  readonly context: string | undefined;
  readonly matcher: IgnoreMatcher;
  /** What the build reads of the context (undefined: all of it). */
  readonly select: ReadSet | undefined;
  /** The Dockerfile when it is a file (inline ones live in the build file). */
  readonly dockerfile: string | undefined;
  /** The ignore files that may apply: `<Dockerfile>.dockerignore`, `<context>/.dockerignore`. */
  readonly ignoreFiles: readonly string[];
}

export interface WatchTargets {
  readonly root: string;
  readonly buildFile: string;
  /** The env files the build file's `${...}` was read from (a change reloads, as the build file's does). */
  readonly envFiles: readonly string[];
  readonly images: readonly ImageWatch[];
  /** Host paths written by `outputs`, and .mbuild/: never watched, nor anything below them. */
  readonly excluded: readonly string[];
  /** Output paths: their temporary siblings `<to>.mbuild-tmp-*` and `<to>.mbuild-old-*` are excluded too. */
  readonly outputs: readonly string[];
}

/** What a path is to watch mode. */
export interface PathMeaning {
  /** Images the path is an input of (paused ones included). */
  readonly images: readonly string[];
  /** The build file or one of its env files: reload. */
  readonly buildFile: boolean;
  /** A Dockerfile: plan again (its FROM lines are edges). */
  readonly dockerfile: boolean;
  /** An ignore file: recompute the matchers (and what the file watcher prunes). */
  readonly ignoreFile: boolean;
}

/** A file named like this in the project root makes watch answer with a `watch-probe` event (see events.ts). */
export const PROBE_PREFIX = '.mbuild-probe';

const inside = (parent: string, child: string): string | undefined => {
  const rel = relative(parent, child);
  if (rel === '') return '';
  return rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? undefined : rel.split(sep).join('/');
};

export async function watchTargets(
  file: BuildFile,
  images: readonly string[],
  decided: ReadonlyMap<string, readonly string[] | null> = new Map(),
): Promise<WatchTargets> {
  const out: ImageWatch[] = [];
  for (const name of images) {
    const image = file.images.get(name);
    if (image === undefined) continue;
    const dockerfile = image.dockerfile.kind === 'file' ? image.dockerfile.path : undefined;
    if (image.context === undefined) {
      out.push({
        image: name,
        context: undefined,
        matcher: new IgnoreMatcher([]),
        select: new ReadSet([]),
        dockerfile,
        ignoreFiles: dockerfile !== undefined ? [`${dockerfile}.dockerignore`] : [],
      });
      continue;
    }
    const planned = await planContext({
      contextDir: image.context,
      dockerfile: dockerfile !== undefined ? { path: dockerfile } : { text: image.dockerfile.kind === 'inline' ? image.dockerfile.text : '' },
    });
    // A missing context or an invalid ignore file: every path is an input until it is fixed (the build reports why).
    const matcher = planned.ok ? planned.value.matcher : new IgnoreMatcher([]);
    const ignoreFiles = [...(dockerfile !== undefined ? [`${dockerfile}.dockerignore`] : []), join(image.context, '.dockerignore')];
    const select = readsOf(file, image, decided.get(name));
    out.push({ image: name, context: image.context, matcher, select, dockerfile, ignoreFiles });
  }
  const all = [...file.images.values()];
  const outputs = all.flatMap((i) => i.outputs.map((o) => o.to));
  const excluded = [...new Set([join(file.root, STATE_DIR), ...out.flatMap((w) => (w.context === undefined ? [] : [join(w.context, STATE_DIR)])), ...outputs])];
  return { root: file.root, buildFile: file.source.path, envFiles: file.envFiles ?? [], images: out, excluded, outputs };
}

/**
 * What the Dockerfile reads now, joined with what the last decision found it read (links
 * followed, a base's ONBUILD triggers): undefined when either is the whole context.
 */
function readsOf(file: BuildFile, image: HostContextSpec, last: readonly string[] | null | undefined): ReadSet | undefined {
  if (image.inputs === 'whole' || last === null) return undefined;
  let text = image.dockerfile.kind === 'inline' ? image.dockerfile.text : '';
  if (image.dockerfile.kind === 'file') {
    try {
      text = readFileSync(image.dockerfile.path, 'utf8');
    } catch {
      return undefined; // gone: the image waits for it (waiting.ts); every path of its context counts until it is back
    }
  }
  const reads = contextReads(parseDockerfile(text), planningArgs(file, image), image.target ?? null);
  // Not knowable here (a base image's ENV, the builder's rules) but known to the last decision: that.
  if (reads.kind === 'whole') return last === undefined ? undefined : new ReadSet(last);
  return new ReadSet([...reads.reads.map((r) => r.path), ...(last ?? [])]);
}

/** Everything that decides what the file watcher prunes: a change means a new watcher. */
export const pruneFingerprint = (t: WatchTargets): string =>
  JSON.stringify([
    t.buildFile,
    t.envFiles,
    t.excluded,
    t.images.map((w) => [w.context, w.dockerfile, w.ignoreFiles, w.matcher.patterns.map((p) => [p.pattern, p.exception]), w.select?.paths ?? null]),
  ]);

export function isExcluded(t: WatchTargets, abs: string): boolean {
  if (t.excluded.some((e) => inside(e, abs) !== undefined)) return true;
  const name = basename(abs);
  return t.outputs.some((o) => dirname(o) === dirname(abs) && (name.startsWith(`${basename(o)}.mbuild-tmp-`) || name.startsWith(`${basename(o)}.mbuild-old-`)));
}

export const isProbe = (t: WatchTargets, abs: string): boolean => dirname(abs) === t.root && basename(abs).startsWith(PROBE_PREFIX);

/**
 * The images `abs` is an input of. `isDir` undefined (unknown, e.g. a raw inotify event)
 * is taken as a folder: never miss what a `!` exception below it re-includes.
 */
export function meaningOf(t: WatchTargets, abs: string, isDir?: boolean): PathMeaning {
  const buildFile = abs === t.buildFile || t.envFiles.includes(abs);
  if (isExcluded(t, abs)) return { images: [], buildFile, dockerfile: false, ignoreFile: false };
  const hit: string[] = [];
  let dockerfile = false;
  let ignoreFile = false;
  for (const w of t.images) {
    const isDockerfile = w.dockerfile === abs;
    const isIgnore = w.ignoreFiles.includes(abs);
    dockerfile ||= isDockerfile;
    ignoreFile ||= isIgnore;
    const rel = w.context === undefined ? undefined : inside(w.context, abs);
    const input =
      rel !== undefined &&
      (rel === '' || ((!w.matcher.matches(rel) || ((isDir ?? true) && w.matcher.exceptionMayMatchBelow(rel))) && w.select?.select(rel) !== 'out'));
    if (isDockerfile || isIgnore || input) hit.push(w.image);
  }
  return { images: hit, buildFile, dockerfile, ignoreFile };
}

/** The images `abs` is an input of (empty when none). */
export const imagesForPath = (t: WatchTargets, abs: string, isDir?: boolean): string[] => [...meaningOf(t, abs, isDir).images];

/** For chokidar's `ignored`: true for paths that can never matter, so whole trees are pruned. */
export function isIgnored(t: WatchTargets, abs: string, isDir: boolean | undefined): boolean {
  if (abs === t.buildFile || abs === t.root || t.envFiles.includes(abs)) return false;
  if (isExcluded(t, abs)) return true;
  // Folders on the way to a context, an input file or an env file must be walked.
  const leadsTo = (target: string) => inside(abs, target) !== undefined;
  const files = (w: ImageWatch): string[] => [...(w.dockerfile !== undefined ? [w.dockerfile] : w.context !== undefined ? [w.context] : []), ...w.ignoreFiles];
  if (t.images.some((w) => (w.context !== undefined && leadsTo(w.context)) || files(w).some((f) => leadsTo(dirname(f))))) return false;
  if (t.envFiles.some((f) => leadsTo(dirname(f)))) return false;
  const m = meaningOf(t, abs, isDir);
  return m.images.length === 0;
}

/** `abs` relative to the project root, '/'-separated, for display. */
export const shown = (t: WatchTargets, abs: string): string => inside(t.root, abs) || (abs === t.root ? '.' : abs);
