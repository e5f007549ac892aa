/**
 * Rules about where outputs go, checked before anything is built:
 *  - `outputProtected`: an output never replaces what a build reads or mbuild keeps: the
 *    build file, a context folder or a folder holding one, a Dockerfile or a `.dockerignore`
 *    (or a folder holding one), mbuild's state folder `.mbuild/` or anything in it;
 *  - `outputOverlap`: no two outputs (of one image or of two) have the same `to`, or one
 *    inside the other;
 *  - `outputThroughSymlink`: the folders on the way to `to` are real folders (mbuild never
 *    writes an output through a symlink).
 * Anything else already at `to` is checked when the output is written (outputs/approve.ts).
 */
import { basename, dirname, join } from 'node:path';
import type { Diagnostic } from '../../core/diagnostic.js';
import { firstNotAFolder } from '../../core/folders.js';
import { STATE_DIR } from '../../core/layout.js';
import type { BuildFile, ImageSpec, OutputSpec } from '../types.js';
import { escapes, isInside, realPath, show } from './paths.js';
import { error, type Rule } from './rule.js';

interface Guarded {
  readonly path: string;
  readonly what: string;
}

function guardedPaths(file: BuildFile): Guarded[] {
  const out: Guarded[] = [{ path: file.source.path, what: 'the build file' }];
  for (const image of file.images.values()) {
    if (image.context !== undefined) {
      out.push({ path: image.context, what: `the context folder of image '${image.name}'` });
      out.push({ path: join(image.context, '.dockerignore'), what: `the .dockerignore of image '${image.name}'` });
    }
    if (image.dockerfile.kind === 'file') {
      out.push({ path: image.dockerfile.path, what: `the Dockerfile of image '${image.name}'` });
      out.push({ path: `${image.dockerfile.path}.dockerignore`, what: `the .dockerignore of image '${image.name}'` });
    }
  }
  return out;
}

/** Each guarded path (as written and through symlinks) and each folder holding one: lookups, not a scan per output. */
function guardIndex(file: BuildFile): { exact: Map<string, Guarded>; holders: Map<string, Guarded> } {
  const exact = new Map<string, Guarded>();
  const holders = new Map<string, Guarded>();
  for (const g of guardedPaths(file)) {
    for (const p of new Set([g.path, realPath(g.path)])) {
      if (!exact.has(p)) exact.set(p, g);
      for (let d = dirname(p); d !== dirname(d) && !holders.has(d); d = dirname(d)) holders.set(d, g);
    }
  }
  return { exact, holders };
}

/** The outputs that pathOutsideRoot does not already report (outside the root, through an escaping symlink, the root itself). */
function outputsInside(file: BuildFile): { image: ImageSpec; output: OutputSpec }[] {
  const realRoot = realPath(file.root);
  return [...file.images.values()].flatMap((image) =>
    image.outputs.filter((o) => o.to !== file.root && escapes(file, realRoot, o.to) === undefined).map((output) => ({ image, output })),
  );
}

const toLocation = (file: BuildFile, o: OutputSpec) => file.locate.value([...o.origin, 'to']);

export const outputProtected: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  const outputs = outputsInside(file);
  // Without outputs nothing to guard: no real path of every context and Dockerfile.
  if (outputs.length === 0) return out;
  const { exact, holders } = guardIndex(file);
  const state = join(file.root, STATE_DIR);
  const realState = realPath(state);
  for (const { image, output: o } of outputs) {
    const real = join(realPath(dirname(o.to)), basename(o.to));
    const what = `output ${show(file, o.to)} of image '${image.name}'`;
    let problem: string | undefined;
    const same = exact.get(o.to) ?? exact.get(real);
    const held = holders.get(o.to) ?? holders.get(real);
    if (isInside(state, o.to) || isInside(realState, real)) problem = `${what} would write into mbuild's state folder ${STATE_DIR}`;
    else if (same) problem = `${what} would replace ${same.what}`;
    else if (held) problem = `${what} would replace ${held.what} (${show(file, held.path)}), which is inside it`;
    else if (basename(o.to) === '.dockerignore') problem = `${what} would replace a .dockerignore file, which decides what a build sends`;
    if (problem) out.push(error('output-protected', problem, toLocation(file, o)));
  }
  return out;
};

const outputText = (file: BuildFile, image: ImageSpec, o: OutputSpec): string => `output ${o.path} -> ${show(file, o.to)} of image '${image.name}'`;

export const outputOverlap: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  type Placed = { image: ImageSpec; output: OutputSpec };
  const placed = new Map<string, Placed>();
  const holders = new Map<string, Placed>();
  for (const p of outputsInside(file)) {
    const to = p.output.to;
    let other = placed.get(to);
    let how = 'has the same target as';
    for (let d = dirname(to); other === undefined && d !== dirname(d); d = dirname(d)) {
      other = placed.get(d);
      how = 'is inside';
    }
    if (other === undefined && (other = holders.get(to)) !== undefined) how = 'holds';
    if (other !== undefined) {
      out.push(
        error('output-overlap', `${outputText(file, p.image, p.output)} ${how} ${outputText(file, other.image, other.output)}`, toLocation(file, p.output), [
          { message: `the other output's target is here`, location: toLocation(file, other.output) },
        ]),
      );
      continue;
    }
    placed.set(to, p);
    for (let d = dirname(to); d !== dirname(d) && !holders.has(d); d = dirname(d)) holders.set(d, p);
  }
  return out;
};

export const outputThroughSymlink: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  for (const { image, output: o } of outputsInside(file)) {
    const n = firstNotAFolder(file.root, o.to);
    if (n === undefined) continue;
    const what = `output ${show(file, o.to)} of image '${image.name}'`;
    out.push(
      error(
        'output-through-symlink',
        n.kind === 'symlink'
          ? `${what} would be written through the symlink ${show(file, n.path)}; mbuild writes outputs only through real folders`
          : `${what} needs the folder ${show(file, n.path)}, which is a file`,
        toLocation(file, o),
      ),
    );
  }
  return out;
};
