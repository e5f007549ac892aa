/**
 * Rules about paths: contexts and Dockerfiles exist, and nothing resolves outside the
 * project root, also not through a symlink. Mount targets stay inside their context.
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import type { Location } from '../../core/diagnostic.js';
import { brokenChains } from '../extends.js';
import { cleanAbsolute, FsProbe } from '../fs-probe.js';
import type { BuildFile, ImageSpec, YamlPath } from '../types.js';
import { error, type Rule, type RuleContext } from './rule.js';

export const isInside = (parent: string, child: string): boolean => {
  // Clean absolute paths (all the model's): a prefix, without the strings `relative` makes (issue 22).
  if (cleanAbsolute(parent) && cleanAbsolute(child)) return child === parent || parent === '/' || (child.startsWith(parent) && child[parent.length] === '/');
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
export function realPath(p: string, probe: FsProbe = new FsProbe()): string {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    const real = probe.real(current);
    if (real !== undefined) return [real, ...rest].join(sep);
    const parent = dirname(current);
    if (parent === current) return p;
    rest.unshift(current.slice(parent.length + 1));
    current = parent;
  }
}

/** Paths in messages are shown relative to the project root, as people write them. */
export const show = (file: BuildFile, p: string): string => relative(file.root, p).split(sep).join('/') || '.';

/** Each build file's broken chains, found once for the rules that ask (two per load). */
const brokenByFile = new WeakMap<RuleContext['written'], ReadonlySet<string>>();

/** Images whose `extends` chain is broken (an unknown image, a cycle): their resolved settings are incomplete. */
const incompleteImages = (ctx: RuleContext): ((image: ImageSpec) => boolean) => {
  let broken = brokenByFile.get(ctx.written);
  if (broken === undefined) brokenByFile.set(ctx.written, (broken = brokenChains(ctx.written)));
  return (image) => broken.has(image.name);
};

const keyOrSelf = (image: ImageSpec, key: string): YamlPath => image.origins.keys[key] ?? image.origins.self;
const where = (file: BuildFile, image: ImageSpec, key: string): Location =>
  image.origins.keys[key] ? file.locate.value(keyOrSelf(image, key)) : file.locate.key(image.origins.self);

/** `realRoot`: the real path of the project root (one lookup per rule run, not per path). */
export function escapes(file: BuildFile, realRoot: string, path: string, probe?: FsProbe): 'outside' | 'symlink' | undefined {
  if (!isInside(file.root, path)) return 'outside';
  return isInside(realRoot, realPath(path, probe)) ? undefined : 'symlink';
}

const escapeMessage = (what: string, path: string, how: 'outside' | 'symlink', file: BuildFile, probe: FsProbe) =>
  how === 'outside'
    ? `${what} ${show(file, path)} is outside the project root`
    : `${what} ${show(file, path)} leads outside the project root through a symlink (to ${relative(realPath(file.root, probe), realPath(path, probe)).split(sep).join('/')})`;

export const pathOutsideRoot: Rule = ({ file, probe = new FsProbe() }) => {
  const out: Diagnostic[] = [];
  const realRoot = realPath(file.root, probe);
  for (const image of file.images.values()) {
    const ctx = image.context === undefined ? undefined : escapes(file, realRoot, image.context, probe);
    if (ctx) out.push(error('path-outside-root', escapeMessage('context', image.context!, ctx, file, probe), where(file, image, 'context')));
    // A Dockerfile inside an escaping context escapes with it: one error is enough.
    const implied = ctx !== undefined && isInside(image.context!, image.dockerfile.kind === 'file' ? image.dockerfile.path : image.context!);
    if (image.dockerfile.kind === 'file' && !implied) {
      const df = escapes(file, realRoot, image.dockerfile.path, probe);
      if (df) out.push(error('path-outside-root', escapeMessage('Dockerfile', image.dockerfile.path, df, file, probe), where(file, image, 'dockerfile')));
    }
    for (const output of image.outputs) {
      const how = output.to === file.root ? 'outside' : escapes(file, realRoot, output.to, probe);
      if (how)
        out.push(
          error(
            'path-outside-root',
            output.to === file.root
              ? `output ${show(file, output.to)} would replace the project root itself`
              : escapeMessage('output', output.to, how, file, probe),
            file.locate.value([...output.origin, 'to']),
          ),
        );
    }
  }
  return out;
};

export const mountTargetInsideContext: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    for (const mount of image.mounts) {
      const raw = mount.to;
      if (raw.startsWith('/') || raw === '..' || raw.startsWith('../') || raw === '') {
        const why = raw === '' ? 'it is the context root itself' : raw.startsWith('/') ? 'it must be relative' : 'it leaves the context';
        out.push(
          error(
            'mount-target-outside-context',
            `mount target '${raw || '.'}' is not a path inside the context of image '${image.name}': ${why}`,
            file.locate.value([...mount.origin, 'to']),
          ),
        );
      }
    }
  }
  return out;
};

export const contextMissing: Rule = (ctx) => {
  const { file, probe = new FsProbe() } = ctx;
  const out: Diagnostic[] = [];
  const incomplete = incompleteImages(ctx);
  for (const image of file.images.values()) {
    if (incomplete(image) || image.context === undefined) continue;
    const st = probe.stat(image.context);
    if (st === undefined) {
      out.push(error('context-missing', `context folder ${show(file, image.context)} of image '${image.name}' does not exist`, where(file, image, 'context')));
    } else if (!st.isDirectory()) {
      out.push(error('context-missing', `context ${show(file, image.context)} of image '${image.name}' is not a folder`, where(file, image, 'context')));
    }
  }
  return out;
};

export const dockerfileMissing: Rule = (ctx) => {
  const { file, probe = new FsProbe() } = ctx;
  const out: Diagnostic[] = [];
  const incomplete = incompleteImages(ctx);
  for (const image of file.images.values()) {
    if (incomplete(image)) continue;
    // A host context that is missing is reported once, by contextMissing.
    if (image.dockerfile.kind !== 'file' || (image.context !== undefined && probe.stat(image.context) === undefined)) continue;
    const path = image.dockerfile.path;
    const st = probe.stat(path);
    const problem = st === undefined ? 'does not exist' : st.isDirectory() ? 'is a folder' : undefined;
    if (problem) {
      const hint = image.origins.keys['dockerfile'] ? '' : " (set 'dockerfile' or 'dockerfile_inline')";
      out.push(error('dockerfile-missing', `Dockerfile ${show(file, path)} of image '${image.name}' ${problem}${hint}`, where(file, image, 'dockerfile')));
    }
  }
  return out;
};
