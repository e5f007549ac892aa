/**
 * Resolves what a build context consists of before anything is sent: the real context dir,
 * where the Dockerfile goes in the tar (or that it must be injected), which ignore file
 * applies (`<Dockerfile>.dockerignore`, else `<context>/.dockerignore`) and its matcher.
 */
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { DEFAULT_INJECTED_DOCKERFILE, STATE_DIR } from '../core/layout.js';
import { err, messageOf, ok, type Result, unreachable } from '../core/result.js';
import { IgnoreMatcher, parseIgnoreFile } from '../dockerignore/ignore.js';
import type { ReadSet } from './read-set.js';

export interface ContextInput {
  /** Absolute path of the context directory. */
  readonly contextDir: string;
  /** Absolute Dockerfile path (inside or outside the context), or inline Dockerfile text. */
  readonly dockerfile: { readonly path: string } | { readonly text: string };
  /** Ignore file override: a path, or null for none. Default: discovery (see module comment). */
  readonly ignoreFile?: string | null;
  /** Tar name for an injected Dockerfile. Default `.mbuild.Dockerfile`. */
  readonly injectedName?: string;
  /**
   * Send this text as the Dockerfile (injected), instead of the file at `dockerfile.path`,
   * which still decides everything else (the ignore file, what is sent). The classic
   * builder's single LABEL line (dockerfile/label-line.ts).
   */
  readonly sendDockerfile?: string;
  /**
   * Send this text as the Dockerfile, always (a Dockerfile mbuild rewrote:
   * execute/sent-dockerfile.ts); the file at `dockerfile.path` still decides everything else
   * and is never touched. A Dockerfile inside the context that the build does not read is
   * replaced at its own path in the tar; one the build reads is sent as it is, the rewritten
   * text beside it as an injected Dockerfile (as for a Dockerfile outside the context).
   */
  readonly replaceDockerfile?: string;
  /**
   * The builder that receives the tar. The classic daemon deletes an excluded Dockerfile
   * and .dockerignore (and an injected Dockerfile listed in the tar's .dockerignore) before
   * COPY sees them; BuildKit behind POST /build does not, so for BuildKit the .dockerignore
   * is sent only when it is not excluded and nothing is synthesized. The Dockerfile must
   * travel in the tar either way: an excluded, inline or outside Dockerfile is visible to
   * `COPY .` under BuildKit. Default: classic.
   */
  readonly builder?: 'classic' | 'buildkit';
  /** What the build reads (`cache/inputs.ts`): only that is walked and sent. Default: the whole context. */
  readonly select?: ReadSet;
}

/** A file that is not read from the context walk but synthesized into the tar. */
export interface InjectedFile {
  readonly name: string;
  readonly content: Buffer;
  readonly mode: number;
  readonly mtime: Date;
}

export interface ContextPlan {
  /** Real path of the context directory (symlinks resolved). */
  readonly root: string;
  /**
   * The `lstat` of `root` when the plan was made: a walk made moments after may start from it
   * (the key's, `cache/context-hash.ts`), not one made later (the packer's looks again).
   */
  readonly rootStats: Stats;
  /** The Dockerfile's `lstat` when the plan was made, when it is a plain child of the context (found by it): for the same walk. */
  readonly dockerfileStats?: { readonly name: string; readonly stats: Stats };
  /** Path of the Dockerfile inside the tar: pass it as `dockerfile=` to POST /build. */
  readonly dockerfileInTar: string;
  /** The ignore file in use (absolute), its text, and its path inside the context if it is there. */
  readonly ignore: { readonly path: string; readonly relInContext: string | null; readonly text: string } | null;
  readonly matcher: IgnoreMatcher;
  /** Context paths sent even when excluded. */
  readonly forceInclude: readonly string[];
  /** Context paths the walk must skip because an injected file replaces them. */
  readonly omit: readonly string[];
  /** What the build reads (undefined: the whole context). */
  readonly select: ReadSet | undefined;
  /** `sendDockerfile` was honoured: the tar's Dockerfile is that text. */
  readonly dockerfileReplaced: boolean;
  /** Files written at the start of the tar (injected Dockerfile and the rewritten .dockerignore). */
  readonly injected: readonly InjectedFile[];
  readonly warnings: readonly string[];
}

export type ContextPlanError =
  | { readonly kind: 'context-unreadable'; readonly path: string; readonly message: string }
  | { readonly kind: 'dockerfile-unreadable'; readonly path: string; readonly message: string }
  | { readonly kind: 'ignore-unreadable'; readonly path: string; readonly message: string }
  | { readonly kind: 'ignore-invalid'; readonly path: string; readonly line: number; readonly message: string }
  /** A path the Dockerfile reads (at `line` of the Dockerfile at `path`) is not in the context. */
  | { readonly kind: 'input-missing'; readonly path: string; readonly line: number; readonly message: string };

/** One line saying what is wrong with a context, for error messages. */
export function contextErrorText(e: ContextPlanError): string {
  switch (e.kind) {
    case 'ignore-invalid':
    case 'input-missing':
      return `${e.path}:${e.line}: ${e.message}`;
    case 'context-unreadable':
    case 'dockerfile-unreadable':
    case 'ignore-unreadable':
      return `${e.path}: ${e.message}`;
    default:
      return unreachable(e);
  }
}

const toPosix = (p: string): string => p.split(sep).join('/');

/** The path of `target` inside `root` ('/'-separated), or null when it is outside or is `root`. */
function inside(root: string, target: string): string | null {
  const rel = relative(root, target);
  if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return null;
  return toPosix(rel);
}

// Synchronous: a handful of small reads and stats per image, each cheaper than a round trip
// to libuv's thread pool (every no-op pays them once per image).
const orNull = (f: () => Stats | undefined): Stats | null => {
  try {
    return f() ?? null;
  } catch {
    return null;
  }
};
// No error object made for a path that is not there (the common case: two ignore files looked for per image).
const lstatOrNull = (p: string): Stats | null => orNull(() => lstatSync(p, { throwIfNoEntry: false }));
const isFile = (p: string): boolean => orNull(() => statSync(p, { throwIfNoEntry: false }))?.isFile() ?? false;
const realpath = (p: string): string => realpathSync.native(p);

/**
 * A Dockerfile written as a plain child of the context folder (`<contextDir>/Dockerfile`, the
 * common case) that is no symlink: its real path is the context's real path and its name, so
 * its `lstat` (it is then its `stat`) replaces a `stat` and a `realpath` (a `readlink` per
 * component). Undefined (ask `realpath`) for anything else.
 */
function directChild(contextDir: string, path: string): { rel: string; st: Stats } | undefined {
  const dir = contextDir.endsWith('/') ? contextDir : `${contextDir}/`;
  if (sep !== '/' || !path.startsWith(dir)) return undefined;
  const name = path.slice(dir.length);
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return undefined;
  const st = lstatOrNull(path);
  return st !== null && st.isFile() ? { rel: name, st } : undefined;
}

/** `.mbuild.Dockerfile`, or `.mbuild.1.Dockerfile`... when the context has a file of that name: a user's file is never replaced. */
function freeInjectedName(root: string): string {
  if (lstatOrNull(`${root}/${DEFAULT_INJECTED_DOCKERFILE}`) === null) return DEFAULT_INJECTED_DOCKERFILE;
  for (let n = 1; ; n++) {
    const name = DEFAULT_INJECTED_DOCKERFILE.replace(/\.Dockerfile$/, `.${n}.Dockerfile`);
    if (lstatOrNull(`${root}/${name}`) === null) return name;
  }
}

/** The ignore file of a context: `<Dockerfile>.dockerignore` if it is a file, else the context's `.dockerignore`, else none. */
export function ignoreFileOf(contextDir: string, dockerfilePath: string | undefined): string | null {
  if (dockerfilePath !== undefined && isFile(`${dockerfilePath}.dockerignore`)) return `${dockerfilePath}.dockerignore`;
  return isFile(`${contextDir}/.dockerignore`) ? `${contextDir}/.dockerignore` : null;
}

export async function planContext(input: ContextInput): Promise<Result<ContextPlan, ContextPlanError>> {
  let root: string;
  let rootStats: Stats;
  try {
    root = realpath(input.contextDir);
    // Its lstat is its stat: a real path ends in no symlink.
    rootStats = lstatSync(root);
    if (!rootStats.isDirectory()) throw new Error('not a directory');
  } catch (e) {
    return err({ kind: 'context-unreadable', path: input.contextDir, message: messageOf(e) });
  }
  const warnings: string[] = [];
  // Looked for only when a Dockerfile is injected (one lstat or more of the context saved otherwise).
  let chosen: string | undefined;
  const injectedName = (): string => (chosen ??= input.injectedName ?? freeInjectedName(root));

  // Where the Dockerfile goes: its real path inside the context, else injected.
  let dockerfileRel: string | null = null;
  let dockerfileStats: ContextPlan['dockerfileStats'];
  let inject: InjectedFile | null = null;
  if ('path' in input.dockerfile) {
    const path = input.dockerfile.path;
    try {
      const direct = directChild(input.contextDir, path);
      const st = direct?.st ?? statSync(path);
      if (!st.isFile()) throw new Error('not a regular file');
      dockerfileRel = direct !== undefined ? direct.rel : inside(root, realpath(path));
      if (direct !== undefined) dockerfileStats = { name: direct.rel, stats: direct.st };
      if (dockerfileRel === null) {
        inject = { name: injectedName(), content: readFileSync(path), mode: st.mode & 0o7777, mtime: st.mtime };
      }
    } catch (e) {
      return err({ kind: 'dockerfile-unreadable', path, message: messageOf(e) });
    }
  } else {
    inject = { name: injectedName(), content: Buffer.from(input.dockerfile.text, 'utf8'), mode: 0o644, mtime: new Date(0) };
  }

  const ignorePath = input.ignoreFile !== undefined ? input.ignoreFile : ignoreFileOf(root, 'path' in input.dockerfile ? input.dockerfile.path : undefined);

  let ignore: ContextPlan['ignore'] = null;
  let matcher = new IgnoreMatcher([]);
  if (ignorePath !== null) {
    let text: string;
    let relInContext: string | null;
    try {
      text = readFileSync(ignorePath, 'utf8');
      relInContext = inside(root, realpath(ignorePath));
    } catch (e) {
      return err({ kind: 'ignore-unreadable', path: ignorePath, message: messageOf(e) });
    }
    const parsed = parseIgnoreFile(text);
    if ('error' in parsed) return err({ kind: 'ignore-invalid', path: ignorePath, ...parsed.error });
    matcher = new IgnoreMatcher(parsed.patterns);
    ignore = { path: ignorePath, relInContext, text };
  }
  const activeIsRootDockerignore = ignore?.relInContext === '.dockerignore';

  const classic = (input.builder ?? 'classic') === 'classic';
  // A replacement Dockerfile is injected (and listed in a synthesized .dockerignore, so the
  // daemon deletes it before COPY). Only when no .dockerignore of the context is sent: COPY
  // must never see a .dockerignore other than the user's.
  let replaced = false;
  // In place: the context's own Dockerfile, not read by the build, carries the rewritten text.
  let inPlace: InjectedFile | null = null;
  if (input.replaceDockerfile !== undefined && 'path' in input.dockerfile) {
    const st = statSync(input.dockerfile.path);
    const content = Buffer.from(input.replaceDockerfile, 'utf8');
    if (inject !== null) inject = { ...inject, content };
    else if (input.select !== undefined && input.select.select(dockerfileRel!) === 'out')
      inPlace = { name: dockerfileRel!, content, mode: st.mode & 0o7777, mtime: st.mtime };
    else inject = { name: injectedName(), content, mode: st.mode & 0o7777, mtime: st.mtime };
    replaced = true;
  } else if (input.sendDockerfile !== undefined && 'path' in input.dockerfile && classic && inject === null) {
    const rootIgnore = lstatOrNull(`${root}/.dockerignore`);
    if (!(rootIgnore?.isFile() && (activeIsRootDockerignore || !matcher.matches('.dockerignore')))) {
      const st = statSync(input.dockerfile.path);
      inject = { name: injectedName(), content: Buffer.from(input.sendDockerfile, 'utf8'), mode: st.mode & 0o7777, mtime: st.mtime };
      replaced = true;
    }
  }
  // mbuild's own state (logs, caches) is never an input, whatever .dockerignore says.
  const reserved = [STATE_DIR];
  const forceInclude: string[] = [];
  // The Dockerfile is always sent; a replaced one only as the ordinary file it is, if not excluded.
  if (dockerfileRel !== null && inPlace === null && (!replaced || !matcher.matches(dockerfileRel))) forceInclude.push(dockerfileRel);
  if (activeIsRootDockerignore && classic) forceInclude.push('.dockerignore');

  const injected: InjectedFile[] = inPlace ? [inPlace] : [];
  const omit: string[] = inPlace ? [...reserved, inPlace.name] : [...reserved];
  if (inject && !classic) {
    injected.push(inject);
    omit.push(injectedName());
    if (lstatOrNull(`${root}/${injectedName()}`)) {
      warnings.push(`${injectedName()} in the context is replaced by the injected Dockerfile`);
    }
  } else if (inject) {
    // Like `docker build -f <outside>`: list the injected file in the tar's .dockerignore so
    // the classic builder deletes it (and a synthesized .dockerignore) before COPY sees them.
    const rootIgnore = lstatOrNull(`${root}/.dockerignore`);
    const sendsRootIgnore = rootIgnore?.isFile() && (activeIsRootDockerignore || !matcher.matches('.dockerignore'));
    const base = sendsRootIgnore ? readFileSync(`${root}/.dockerignore`) : Buffer.from('.dockerignore');
    injected.push(inject, {
      name: '.dockerignore',
      content: Buffer.concat([base, Buffer.from(`\n${injectedName()}\n`)]),
      mode: sendsRootIgnore ? rootIgnore!.mode & 0o7777 : 0o644,
      mtime: sendsRootIgnore ? rootIgnore!.mtime : inject.mtime,
    });
    omit.push('.dockerignore', injectedName());
    if (lstatOrNull(`${root}/${injectedName()}`)) {
      warnings.push(`${injectedName()} in the context is replaced by the injected Dockerfile`);
    }
  }

  return ok({
    root,
    rootStats,
    ...(dockerfileStats !== undefined && { dockerfileStats }),
    dockerfileInTar: inject ? injectedName() : dockerfileRel!,
    dockerfileReplaced: replaced,
    ignore,
    matcher,
    forceInclude,
    omit,
    select: input.select,
    injected,
    warnings,
  });
}
