/**
 * Probes of the real Docker daemon for engine tests of `mbuild up`: the docker CLI, what
 * an image contains, which tags exist, build processes and containers still alive, and
 * removal of everything a test project left (by tag prefix and by label, never a prune).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** `docker ARGS`, stdout as non-empty lines; throws when docker exits non-zero. */
export function docker(...args: string[]): string[] {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')
    .filter((l) => l !== '');
}

/** The label every fixture Dockerfile sets right after FROM, so classic intermediates can be found and removed too. */
export const FIXTURE_LABEL = 'mbt.project';

export interface ImageFacts {
  readonly id: string;
  readonly repoTags: readonly string[];
  /** RootFS diff IDs, oldest first. */
  readonly layers: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** `docker image inspect REF`, or undefined when there is no such image. */
export function inspectImage(ref: string): ImageFacts | undefined {
  let out: string[];
  try {
    out = docker('image', 'inspect', '--format', '{{json .}}', ref);
  } catch {
    return undefined;
  }
  const j = JSON.parse(out.join('\n')) as {
    Id: string;
    RepoTags: string[] | null;
    RootFS: { Layers?: string[] };
    Config: { Labels: Record<string, string> | null };
  };
  return { id: j.Id, repoTags: j.RepoTags ?? [], layers: j.RootFS.Layers ?? [], labels: j.Config.Labels ?? {} };
}

/** The image ID a tag points at, or undefined when the tag does not exist. */
export const idOf = (ref: string): string | undefined => inspectImage(ref)?.id;

/** stdout of `docker run --rm --network none IMAGE CMD...`. */
export function runInImage(image: string, ...cmd: string[]): string {
  return execFileSync('docker', ['run', '--rm', '--network', 'none', image, ...cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A file's text inside an image. */
export const fileInImage = (image: string, path: string): string => runInImage(image, 'cat', path);

/** Every `repo:tag` on the daemon whose repository belongs to `project` (its own tags, default tags, BuildKit pins and classic mark tags). */
export function projectTags(project: string): string[] {
  return docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}').filter(
    (t) => t.startsWith(`${project}/`) || t.startsWith(`${project}-`) || t.startsWith(`mbuild-pin/${project}-`) || t.startsWith(`mbuild-key/${project}/`),
  );
}

/** The classic builder's mark tags (`mbuild-key/<project>/<image>:<key>`) of one image of the project. */
export const markTags = (project: string, image: string): string[] => projectTags(project).filter((t) => t.startsWith(`mbuild-key/${project}/${image}:`));

/** BuildKit pin tags (`mbuild-pin/<project>-<image>:<hex>`) of one image of the project. */
export const pinTags = (project: string, image: string): string[] => projectTags(project).filter((t) => t.startsWith(`mbuild-pin/${project}-${image}:`));

/**
 * Removes the project's tags (untagging only, when a decoy tag points at a shared image
 * such as busybox) and then every image labelled by the fixtures or by mbuild for it,
 * children before parents. Returns what is left (expected: nothing).
 */
export function removeProjectImages(project: string): string[] {
  for (const tag of projectTags(project)) {
    try {
      docker('rmi', '-f', tag);
    } catch {
      /* already gone */
    }
  }
  const labelled = (): string[] => [
    ...new Set([
      ...docker('image', 'ls', '-a', '-q', '--no-trunc', '--filter', `label=${FIXTURE_LABEL}=${project}`),
      ...docker('image', 'ls', '-a', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${project}`),
    ]),
  ];
  for (let round = 0; round < 6; round++) {
    const ids = labelled();
    if (ids.length === 0) break;
    for (const id of ids) {
      try {
        docker('rmi', '-f', id);
      } catch {
        /* a parent of one still present: next round */
      }
    }
  }
  return [...projectTags(project), ...labelled()];
}

/** Points `tag` at busybox: a stale image a dependent must never be built from. */
export function tagDecoy(tag: string): string {
  docker('tag', 'busybox:latest', tag);
  return idOf(tag)!;
}

/**
 * mbuild's internal images (diff side stages) of the projects named, as `ID <label value>` lines,
 * sorted: their label is `<project>/<image>/<stage> <uuid>`. Other test files build their own meanwhile.
 */
export function internalImagesOf(projects: readonly string[], tries = 3): string[] {
  const ids = docker('image', 'ls', '-a', '-q', '--no-trunc', '--filter', 'label=io.mbuild.internal');
  if (ids.length === 0) return [];
  let lines: string[];
  try {
    lines = docker('image', 'inspect', '--format', '{{.Id}} {{index .Config.Labels "io.mbuild.internal"}}', ...new Set(ids));
  } catch (e) {
    // An image removed between the two calls: ask again (a few times).
    if (tries <= 1) throw e;
    return internalImagesOf(projects, tries - 1);
  }
  return lines.filter((l) => projects.some((name) => l.split(' ')[1]?.startsWith(`${name}/`))).sort();
}

/** Containers of any state whose command line contains `marker` (classic RUN steps run in containers). */
export const containersWith = (marker: string): string[] =>
  docker('ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}').filter((l) => l.includes(marker));

/** PIDs on this host (other than this process) whose command line contains `marker`: a RUN step's shell, under either builder. */
export function processesWith(marker: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(marker);
      } catch {
        return false;
      }
    });
}
