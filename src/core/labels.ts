/**
 * mbuild's own marks on the engine, spelled here and nowhere else: the labels of the images
 * it builds (the cache finds an image by project and key; with the classic builder a mark
 * tag instead, `markTag`), the labels of its temporary
 * containers (a later run removes those of a process that died), the label prefix a build
 * file may not use, and the pin tags through which BuildKit resolves `{image:}` args.
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Labels under this prefix are mbuild's; a build file may not set them. */
export const RESERVED_PREFIX = 'io.mbuild.';

export const PROJECT_LABEL = 'io.mbuild.project';
export const IMAGE_LABEL = 'io.mbuild.image';
/** The cache key the image was built from: the engine's images are the truth of the cache. */
export const KEY_LABEL = 'io.mbuild.key';

export const TEMP_LABEL = 'io.mbuild.temp';
export const RUN_LABEL = 'io.mbuild.run';
export const PID_LABEL = 'io.mbuild.pid';
export const HOST_LABEL = 'io.mbuild.host';
/** A stage mbuild built on its own as a side of a Dockerfile diff `a..b` (its value is unique: no other build has its ID), removed after the image's build. */
export const INTERNAL_LABEL = 'io.mbuild.internal';

/** The labels of a built image: the build file's own, then mbuild's. */
export const imageLabels = (project: string, image: string, key: string, own: Readonly<Record<string, string>>): Record<string, string> => ({
  ...own,
  [PROJECT_LABEL]: project,
  [IMAGE_LABEL]: image,
  [KEY_LABEL]: key,
});

/** The label filter of a project's images. */
export const projectFilter = (project: string): string => `${PROJECT_LABEL}=${project}`;

const MARK_REPO = 'mbuild-key';
/** A path component of a repository name, in docker's reference grammar. */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;

/**
 * The classic builder turns every instruction, a LABEL too, into a container and a commit:
 * there mbuild's marks (project, image, key) are a tag instead, `mbuild-key/<project>/<image>:<key>`,
 * put on the image with its other tags. Undefined when `<project>/<image>` is not a valid
 * repository path (a name ending in `-` or `.`, holding `..`): that image keeps the labels.
 */
export function markTag(project: string, image: string, key: string): string | undefined {
  const repo = `${MARK_REPO}/${project}/${image}`;
  const valid = COMPONENT.test(project) && COMPONENT.test(image) && TAG.test(key) && `docker.io/${repo}`.length <= 255;
  return valid ? `${repo}:${key}` : undefined;
}

/** The reference filter (`docker images --filter reference=`) of a project's mark tags. */
export const markFilter = (project: string): string => `${MARK_REPO}/${project}/*`;

/** Whether `tag` is a mark of one of `project`'s images. */
export const isMarkOf = (project: string, tag: string): boolean => parseMark(tag)?.project === project;

/** An image's mark: the project and image of the build file it was built for, and the key it was built from. */
export interface Mark {
  readonly project: string;
  readonly image: string;
  readonly key: string;
}

/** The mark a tag spells, or undefined for any other tag. */
export function parseMark(tag: string): Mark | undefined {
  const m = /^mbuild-key\/([^/:]+)\/([^/:]+):([^/:]+)$/.exec(tag);
  return m ? { project: m[1]!, image: m[2]!, key: m[3]! } : undefined;
}

/**
 * Every mark of an image: each of its mark tags; with none, its labels (when they hold a key).
 * An image with a mark tag was built by the classic builder without mbuild's LABEL line, so
 * whatever `io.mbuild.*` labels it has came from its base (labels are inherited through FROM)
 * and name the base, not it: they are not its marks.
 */
export function marksOf(i: { readonly labels: Readonly<Record<string, string>>; readonly repoTags: readonly string[] }): Mark[] {
  const marks: Mark[] = [];
  for (const tag of i.repoTags) {
    const m = parseMark(tag);
    if (m && !marks.some((x) => x.project === m.project && x.image === m.image && x.key === m.key)) marks.push(m);
  }
  if (marks.length > 0) return marks;
  const [project, image, key] = [i.labels[PROJECT_LABEL], i.labels[IMAGE_LABEL], i.labels[KEY_LABEL]];
  return project !== undefined && image !== undefined && key !== undefined ? [{ project, image, key }] : [];
}

/**
 * The labels a build sends: the build file's own and mbuild's; for a classic build whose marks
 * may be a tag alone (`bare`: no shared cache to store into) and that has a mark tag, mbuild's
 * only beside labels of the image's own (one LABEL step for them all), none at all otherwise
 * (no LABEL step).
 */
export function buildLabels(project: string, image: string, key: string, own: Readonly<Record<string, string>>, bare: boolean): Record<string, string> {
  if (bare && Object.keys(own).length === 0 && markTag(project, image, key) !== undefined) return {};
  return imageLabels(project, image, key, own);
}

/** Labels for the temporary containers of this process. */
export function tempLabels(runId: string = randomUUID().slice(0, 12)): Record<string, string> {
  return { [TEMP_LABEL]: '1', [RUN_LABEL]: runId, [PID_LABEL]: String(process.pid), [HOST_LABEL]: hostname() };
}

/** The label filter of every temporary container. */
export const TEMP_FILTER = `${TEMP_LABEL}=1`;

/**
 * A tag that names exactly one image ID. BuildKit behind `POST /build` resolves `FROM`
 * only by name (a bare `sha256:…` is taken for a Docker Hub repository), so for BuildKit
 * an `{image: NAME}` arg becomes this pin; the classic builder gets the ID itself.
 */
export const pinnedRef = (project: string, image: string, imageId: string): string => `mbuild-pin/${project}-${image}:${imageId.replace(/^sha256:/, '')}`;

/** Whether `tag` is a pin of one of `project`'s images. */
export const isPinOf = (project: string, tag: string): boolean => tag.startsWith(`mbuild-pin/${project}-`);

/**
 * The tag of an image in the shared cache: its key, made distinct per project and image, so
 * that two projects (or two images of one project) with the same definition sharing a cache
 * repository each have their own entry, whose labels name them.
 */
export const cacheTag = (project: string, image: string, key: string): string =>
  `c1-${createHash('sha256').update(`${project}\0${image}\0${key}`).digest('hex')}`;
