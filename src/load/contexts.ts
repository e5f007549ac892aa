/**
 * Checks of what each image's build sends (phase 5b), so that a context that cannot be
 * packed is an error before anything runs: its ignore file parses (the `.dockerignore`'s
 * own line), and neither the context nor the Dockerfile lies in a `.mbuild/` folder, which
 * holds mbuild's own state and is left out of every context and every watch.
 */
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { lineRange, type Diagnostic, type SourceFile } from '../core/diagnostic.js';
import { STATE_DIR } from '../core/layout.js';
import { FsProbe } from '../config/fs-probe.js';
import { show } from '../config/rules/paths.js';
import type { BuildFile, ImageSpec } from '../config/types.js';
import { parseIgnoreFile } from '../dockerignore/ignore.js';

/** The `.mbuild` folder `path` lies in (relative to the project root, e.g. `a/.mbuild`), if any. */
function stateDirOf(file: BuildFile, realRoot: string, path: string, probe: FsProbe): string | undefined {
  // No part of a path without the name in it can be the name (most paths: no `relative` strings made, issue 22).
  if (!path.includes(STATE_DIR) && !(probe.real(path) ?? path).includes(STATE_DIR)) return undefined;
  for (const [root, p] of [
    [file.root, path],
    [realRoot, probe.real(path) ?? path],
  ] as const) {
    const parts = relative(root, p).split(sep);
    const at = parts.indexOf(STATE_DIR);
    if (at !== -1 && !parts.includes('..')) return parts.slice(0, at + 1).join('/');
  }
  return undefined;
}

function insideStateDir(file: BuildFile, realRoot: string, image: ImageSpec, probe: FsProbe): Diagnostic | undefined {
  const context = image.context === undefined ? undefined : stateDirOf(file, realRoot, image.context, probe);
  const dockerfile = image.dockerfile.kind === 'file' ? stateDirOf(file, realRoot, image.dockerfile.path, probe) : undefined;
  const [key, what, path, dir] =
    context !== undefined
      ? (['context', 'context', image.context!, context] as const)
      : (['dockerfile', 'Dockerfile', image.dockerfile.kind === 'file' ? image.dockerfile.path : '', dockerfile] as const);
  if (dir === undefined) return undefined;
  return {
    severity: 'error',
    code: 'inside-state-dir',
    message: `${what} ${show(file, path)} of image '${image.name}' is inside ${dir}/, mbuild's own state folder, which mbuild leaves out of every context and never watches; move it out`,
    location: file.locate.value(image.origins.keys[key] ?? image.origins.self),
  };
}

function ignoreFileProblem(path: string): Diagnostic | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { severity: 'error', code: 'ignore-unreadable', message: `cannot read ${path}: ${(e as Error).message}` };
  }
  const parsed = parseIgnoreFile(text);
  if (!('error' in parsed)) return undefined;
  const source: SourceFile = { path, text };
  return {
    severity: 'error',
    code: 'dockerignore-syntax',
    message: parsed.error.message,
    location: { file: source, range: lineRange(text, parsed.error.line) ?? { offset: text.length, length: 0 } },
  };
}

/**
 * The ignore file a build of `image` uses, when it is on the host (a context image's own is
 * checked when it is read): with a host context as context/source.ts `ignoreFileOf` picks it
 * (`<Dockerfile>.dockerignore` if it is a file, else the context's `.dockerignore`), without its
 * error object per missing file (two per image; test/unit/load-ignore-files.test.ts keeps the two equal).
 */
function ignoreOf(image: ImageSpec, probe: FsProbe): string | null {
  const isFile = (p: string): boolean => probe.stat(p)?.isFile() === true;
  const df = image.dockerfile.kind === 'file' ? image.dockerfile.path : undefined;
  if (df !== undefined && isFile(`${df}.dockerignore`)) return `${df}.dockerignore`;
  return image.context !== undefined && isFile(`${image.context}/.dockerignore`) ? `${image.context}/.dockerignore` : null;
}

/** The ignore file of each image (by name), looked up once for every check that needs it (`probe`: the load's, config/fs-probe.ts). */
export function ignoreFiles(file: BuildFile, probe: FsProbe = new FsProbe()): Map<string, string | null> {
  return new Map([...file.images.values()].map((image) => [image.name, ignoreOf(image, probe)]));
}

/** Every image's context checks; an ignore file shared by several images is reported once. `ignores`: ignoreFiles(file). */
export function contextProblems(
  file: BuildFile,
  ignores: ReadonlyMap<string, string | null> = ignoreFiles(file),
  probe: FsProbe = new FsProbe(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ignoreFiles = new Set<string>();
  const realRoot = probe.real(file.root) ?? file.root;
  for (const image of file.images.values()) {
    const state = insideStateDir(file, realRoot, image, probe);
    if (state) {
      out.push(state);
      continue;
    }
    const ignore = ignores.get(image.name) ?? null;
    if (ignore === null || ignoreFiles.has(ignore)) continue;
    ignoreFiles.add(ignore);
    const problem = ignoreFileProblem(ignore);
    if (problem) out.push(problem);
  }
  return out;
}
