/**
 * Checks of the image references in Dockerfiles (phase 5b), each a small named rule: a
 * FROM / COPY --from / RUN --mount=from must be something the engine can resolve, and must
 * not name an image of this file by a tag that image does not carry now: that is no edge, so
 * the image would be built at the same time as its "base", from an old image (a silent wrong
 * result). The first rule that finds a problem with a reference reports it.
 */
import type { Diagnostic, RelatedInformation } from '../core/diagnostic.js';
import { isImageReference } from '../config/reference.js';
import type { BuildFile, ImageSpec } from '../config/types.js';
import type { ImageDockerfile } from '../dockerfile/images.js';
import { dockerfileWord } from '../dockerfile/location.js';
import { rewriteReferences } from '../dockerfile/rewrite.js';
import { REFERENCE_PREFIX, type ImageReference } from '../dockerfile/stages.js';
import { familiarRef, referenceTarget, tagIndex } from '../plan/graph.js';

interface RefContext {
  readonly file: BuildFile;
  readonly image: ImageSpec;
  readonly df: ImageDockerfile;
  readonly ref: ImageReference;
  /** Familiar tag -> in-file image, now. */
  readonly tags: ReadonlyMap<string, string>;
  /** Repository -> the in-file images that carry a tag of it now (one lookup per reference, not a scan of every tag). */
  readonly repositories: ReadonlyMap<string, ReadonlySet<string>>;
  /** Familiar tag -> in-file image, in the last run (`last-run.ts`). */
  readonly lastRun: ReadonlyMap<string, string>;
  /** `ref.ref` in familiar form (familiarRef), made once per reference for every rule. */
  readonly familiar: string;
  /** Whether mbuild rewrites the reference (`rewritten`), asked by several rules: answered once. */
  rewrite?: boolean;
}

type RefRule = (c: RefContext) => Diagnostic | undefined;

/** `FROM shop/base:dev`, or `FROM ${BASE} (shop/base:dev)` when ARG substitution changed it. */
const shown = (r: ImageReference): string => `${REFERENCE_PREFIX[r.kind]}${r.text}${r.text !== r.ref && r.ref !== '' ? ` (${r.ref})` : ''}`;

function problem(c: RefContext, code: string, message: string, related?: RelatedInformation[]): Diagnostic {
  return { severity: 'error', code, ...dockerfileWord(c.df, c.ref.line, c.ref.text, message), ...(related && { related }) };
}

/** `shop/base:dev` -> `shop/base`; undefined for a digest (a pin, on purpose). */
const repositoryOf = (familiar: string): string | undefined => (familiar.includes('@') ? undefined : familiar.slice(0, familiar.lastIndexOf(':')));

/** How to name an in-file image in a Dockerfile so that it is an edge whatever its tags. */
function buildArgHint(c: RefContext, upstream: string): string {
  const upper = upstream.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  const arg = /^[0-9]/.test(upper) ? `IMAGE_${upper}` : upper;
  return `pass it as a build arg instead: ${arg}: {image: ${upstream}} under the args of '${c.image.name}', then ARG ${arg} and ${REFERENCE_PREFIX[c.ref.kind]}\${${arg}}`;
}

function taggedHere(file: BuildFile, name: string): RelatedInformation {
  const image = file.images.get(name)!;
  const tags = image.origins.keys['tags'];
  return {
    message: `image '${name}' is tagged ${image.tags.join(', ')}${tags ? ' here' : ' by default'}`,
    location: tags ? file.locate.value(tags) : file.locate.key(image.origins.self),
  };
}

/** A name of this file (an image's name, a `contexts:` entry) needs to be no reference: mbuild rewrites it. */
const rewritten = (c: RefContext): boolean => (c.rewrite ??= referenceTarget(c.file, c.image, c.ref.ref).rewrite);

/** `contexts: {NAME: {image: Y, path: /p}}` is a folder: files to copy or mount, not a base. */
const folderAsBase: RefRule = (c) => {
  const named = c.image.contexts.get(c.ref.ref);
  if (c.ref.kind !== 'from' || named?.kind !== 'image' || named.path === undefined) return undefined;
  return problem(
    c,
    'context-folder-base',
    `${shown(c.ref)}: '${c.ref.ref}' is the folder ${named.path} of image '${named.image}' (contexts), which cannot be a base; use it in COPY --from=${c.ref.ref} or RUN --mount=from=${c.ref.ref}, or name the image itself: {image: ${named.image}}`,
  );
};

const invalidReference: RefRule = (c) => {
  if (rewritten(c) || isImageReference(c.ref.ref) || (c.ref.ref === '' && c.ref.kind === 'from')) return undefined;
  const what = c.ref.ref === '' ? 'names no image (it is empty after ARG substitution)' : 'is not a valid image reference';
  return problem(c, 'dockerfile-invalid-reference', `${shown(c.ref)} ${what}`);
};

/** Another tag of an in-file image's repository: no edge, so an old image. */
const otherTag: RefRule = (c) => {
  const familiar = c.familiar;
  const repo = repositoryOf(familiar);
  if (repo === undefined || c.tags.has(familiar) || rewritten(c)) return undefined;
  const owners = [...(c.repositories.get(repo) ?? [])].filter((name) => name !== c.image.name);
  const [first] = owners;
  if (first === undefined) return undefined;
  const whose = owners.map((n) => `'${n}'`).join(' and ');
  return problem(
    c,
    'tag-mismatch',
    `${shown(c.ref)} names ${owners.length > 1 ? 'images' : 'image'} ${whose} by a tag ${owners.length > 1 ? 'they do' : 'it does'} not carry: '${c.image.name}' would not wait for ${whose} and would be built from an old image; ${buildArgHint(c, first)}`,
    owners.map((n) => taggedHere(c.file, n)),
  );
};

/** A tag an in-file image carried in the last run but lost since. */
const formerTag: RefRule = (c) => {
  const owner = c.lastRun.get(c.familiar);
  if (owner === undefined || owner === c.image.name || !c.file.images.has(owner) || c.tags.has(c.familiar) || rewritten(c)) return undefined;
  return problem(
    c,
    'tag-mismatch',
    `${shown(c.ref)} names a tag image '${owner}' carried in the last run but not any more: '${c.image.name}' would not wait for '${owner}' and would be built from its old image; ${buildArgHint(c, owner)}`,
    [taggedHere(c.file, owner)],
  );
};

/** A reference mbuild must rewrite has to be found as written on its instruction (not split by quotes or an escape). */
const unrewritable: RefRule = (c) => {
  if (!rewritten(c)) return undefined;
  const edit = { line: c.ref.line, kind: c.ref.kind, written: c.ref.text, replacement: 'x' };
  const done = rewriteReferences(c.df.source.text, c.df.parsed, [edit]);
  return done.ok ? undefined : problem(c, 'reference-unrewritable', `${shown(c.ref)}: ${done.error[0]!.message}`);
};

export const referenceRules: readonly RefRule[] = [folderAsBase, invalidReference, unrewritable, otherTag, formerTag];

export function referenceProblems(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>, lastRun: ReadonlyMap<string, string>): Diagnostic[] {
  const tags = tagIndex(file);
  const repositories = new Map<string, Set<string>>();
  for (const [tag, name] of tags) {
    const repo = repositoryOf(tag);
    if (repo !== undefined) repositories.set(repo, (repositories.get(repo) ?? new Set()).add(name));
  }
  const out: Diagnostic[] = [];
  for (const [name, df] of dockerfiles) {
    const image = file.images.get(name)!;
    for (const ref of df.refs) {
      const c: RefContext = { file, image, df, ref, tags, repositories, lastRun, familiar: familiarRef(ref.ref) };
      for (const rule of referenceRules) {
        const found = rule(c);
        if (found) {
          out.push(found);
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Once per in-file image a Dockerfile names by its name: that the image of this file wins
 * over a registry image of the same name, and how to mean the registry's (`validate`, `plan`).
 */
export function nameNotes(file: BuildFile, dockerfiles: ReadonlyMap<string, ImageDockerfile>): Diagnostic[] {
  const said = new Set<string>();
  const out: Diagnostic[] = [];
  for (const [name, df] of dockerfiles) {
    const image = file.images.get(name)!;
    for (const ref of df.refs) {
      const target = referenceTarget(file, image, ref.ref);
      if (target.kind !== 'in-file' || image.contexts.has(ref.ref) || !target.rewrite || said.has(ref.ref)) continue;
      said.add(ref.ref);
      const message = `${shown(ref)} means image '${ref.ref}' of this build file, built first: an image of the file wins over a registry image of the same name (write ${ref.ref}:latest or docker.io/library/${ref.ref} for the registry's)`;
      out.push({ severity: 'note', code: 'in-file-name', ...dockerfileWord(df, ref.line, ref.text, message) });
    }
  }
  return out;
}
