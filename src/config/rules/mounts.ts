/**
 * `mount-collision`: what can be known before building about a mount landing on something.
 * Two mounts of one image whose targets are equal or nested, and a mount target that is
 * already in the context as sent (on disk and not excluded by the .dockerignore in use,
 * or always sent: the Dockerfile, the .dockerignore, an injected Dockerfile). A mount never
 * overwrites; the build checks the same again against what it really sends.
 */
import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Diagnostic } from '../../core/diagnostic.js';
import { DEFAULT_INJECTED_DOCKERFILE } from '../../core/layout.js';
import { mountOverlaps } from '../../core/overlap.js';
import { IgnoreMatcher, parseIgnoreFile } from '../../dockerignore/ignore.js';
import { FsProbe } from '../fs-probe.js';
import type { BuildFile, HostContextSpec, MountSpec } from '../types.js';
import { show } from './paths.js';
import { error, type Rule } from './rule.js';

/** How far below an excluded target the rule looks for re-included files. */
const MAX_SCAN = 10_000;

const validTarget = (to: string): boolean => to !== '' && !to.startsWith('/') && to !== '..' && !to.startsWith('../');
const lstatOrNull = (p: string): Stats | null => {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
};
const kindWord = (st: Stats): string => (st.isDirectory() ? 'folder' : st.isSymbolicLink() ? 'symlink' : 'file');

/** What the build would send for this image, as far as the file system says now. */
interface SentContext {
  readonly sent: (rel: string) => boolean;
  readonly matcher: IgnoreMatcher;
  /** Paths that are always in the tar though they need not exist in the context folder. */
  readonly injected: ReadonlySet<string>;
}

function sentContext(image: HostContextSpec, probe: FsProbe): SentContext | undefined {
  if (!(probe.stat(image.context)?.isDirectory() ?? false)) return undefined;
  const df = image.dockerfile.kind === 'file' ? image.dockerfile.path : undefined;
  let ignorePath = `${image.context}/.dockerignore`;
  if (df !== undefined && probe.stat(`${df}.dockerignore`)?.isFile()) ignorePath = `${df}.dockerignore`;
  let matcher = new IgnoreMatcher([]);
  if (probe.stat(ignorePath)?.isFile()) {
    const parsed = parseIgnoreFile(readFileSync(ignorePath, 'utf8'));
    if ('error' in parsed) return undefined; // reported when the context is planned
    matcher = new IgnoreMatcher(parsed.patterns);
  }
  const root = probe.real(image.context);
  if (root === undefined) return undefined;
  const inside = (p: string): string | null => {
    const rel = relative(root, p);
    return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? null : rel.split(sep).join('/');
  };
  const forced = new Set<string>();
  const injected = new Set<string>();
  const dfReal = df !== undefined && probe.stat(df)?.isFile() ? probe.real(df) : undefined;
  const dfRel = dfReal !== undefined ? inside(dfReal) : null;
  if (dfRel !== null) forced.add(dfRel);
  else injected.add(DEFAULT_INJECTED_DOCKERFILE).add('.dockerignore');
  if (ignorePath === `${image.context}/.dockerignore`) forced.add('.dockerignore');
  return { sent: (rel) => forced.has(rel) || !matcher.matches(rel), matcher, injected };
}

/** The first path at or below `rel` that the context sends, with its lstat. */
function firstSentBelow(ctx: SentContext, root: string, rel: string, st: Stats): { rel: string; st: Stats } | undefined {
  if (ctx.sent(rel)) return { rel, st };
  if (!st.isDirectory() || !ctx.matcher.exceptionMayMatchBelow(rel)) return undefined;
  let budget = MAX_SCAN;
  const walk = (dir: string): { rel: string; st: Stats } | undefined => {
    let names: string[];
    try {
      names = readdirSync(join(root, dir)).sort();
    } catch {
      return undefined;
    }
    for (const name of names) {
      if (--budget < 0) return undefined;
      const child = `${dir}/${name}`;
      const cst = lstatOrNull(join(root, child));
      if (cst === null) continue;
      if (ctx.sent(child)) return { rel: child, st: cst };
      if (cst.isDirectory()) {
        const found = walk(child);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(rel);
}

function contextCollision(file: BuildFile, image: HostContextSpec, ctx: SentContext, m: MountSpec): string | undefined {
  const what = `mount ${m.from}:${m.path} -> ${m.to}`;
  const where = (rel: string): string => show(file, join(image.context, rel));
  const parts = m.to.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    if (ctx.injected.has(rel)) return `${what} collides with ${rel}, which mbuild itself sends in the context of image '${image.name}'`;
    const st = lstatOrNull(join(image.context, rel));
    if (st === null) return undefined; // nothing further down exists either
    if (i < parts.length) {
      // A folder above the target may be shared; a file or symlink there may not.
      if (!st.isDirectory() && ctx.sent(rel)) return `${what} needs the folder ${rel}, but the context sends ${kindWord(st)} ${where(rel)}`;
      continue;
    }
    const hit = firstSentBelow(ctx, image.context, rel, st);
    if (hit)
      return `${what} collides with context ${kindWord(hit.st)} ${hit.rel} (${where(hit.rel)}): a mount never overwrites the context; exclude it in .dockerignore or mount elsewhere`;
  }
  return undefined;
}

export const mountCollision: Rule = ({ file, probe = new FsProbe() }) => {
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    const mounts = image.mounts.filter((m) => validTarget(m.to));
    if (mounts.length === 0) continue;
    for (const { first, second } of mountOverlaps(mounts)) {
      const same = first.to === second.to;
      out.push(
        error(
          'mount-collision',
          `mount ${second.from}:${second.path} -> ${second.to} ${same ? 'has the same target as' : 'overlaps'} mount ${first.from}:${first.path} -> ${first.to} in image '${image.name}'`,
          file.locate.value([...second.origin, 'to']),
          [{ message: `the other mount's target is here`, location: file.locate.value([...first.origin, 'to']) }],
        ),
      );
    }
    // A context image's entries are known only when it is read: the build checks them then.
    if (image.context === undefined) continue;
    const ctx = sentContext(image, probe);
    if (ctx === undefined) continue;
    for (const m of mounts) {
      const problem = contextCollision(file, image, ctx, m);
      if (problem) out.push(error('mount-collision', problem, file.locate.value([...m.origin, 'to'])));
    }
  }
  return out;
};
