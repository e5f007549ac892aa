/**
 * The image graph: explicit edges from the build file (args {image:}, mounts, depends_on)
 * plus edges found in Dockerfiles where a FROM / COPY --from / RUN --mount=from names a
 * tag of another image in the file.
 */
import type { BuildFile, ImageSpec } from '../config/types.js';
import { findCycles } from '../core/cycles.js';
import { byText } from '../core/order.js';
import type { DockerfileReference, Edge } from './types.js';

/** `docker.io/library/busybox` -> `busybox:latest`: the form tags are compared in. */
export function familiarRef(ref: string): string {
  let r = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  r = r.replace(/^library\//, '');
  if (r.includes('@')) return r;
  return r.slice(r.lastIndexOf('/') + 1).includes(':') ? r : `${r}:latest`;
}

/** Tag (familiar form) -> the image of this file that carries it. */
const tagIndexes = new WeakMap<BuildFile, ReadonlyMap<string, string>>();

/** Familiar tag -> the image of the file carrying it; made once per build file (each image's key asks for it). */
export function tagIndex(file: BuildFile): ReadonlyMap<string, string> {
  let index = tagIndexes.get(file);
  if (index === undefined) {
    const made = new Map<string, string>();
    for (const image of file.images.values()) for (const tag of image.tags) made.set(familiarRef(tag), image.name);
    tagIndexes.set(file, (index = made));
  }
  return index;
}

/**
 * What a FROM / COPY --from / RUN --mount=from reference of `image`'s Dockerfile names (a
 * stage of the same Dockerfile was ruled out before): a `contexts:` entry of that name, else
 * an image of this file by its name (never the image itself: `FROM busybox` in the
 * Dockerfile of an image named busybox is the registry's), else by one of its tags, else the
 * reference as written. `rewrite`: mbuild sends the Dockerfile with the reference replaced
 * (a name the engine would not resolve to the image just built); a tag resolves by itself.
 */
export type ReferenceTarget =
  | { readonly kind: 'in-file'; readonly image: string; readonly rewrite: boolean; readonly path?: string }
  | { readonly kind: 'external'; readonly ref: string; readonly rewrite: boolean };

export function referenceTarget(file: BuildFile, image: ImageSpec, ref: string): ReferenceTarget {
  const named = image.contexts.get(ref);
  if (named !== undefined)
    return named.kind === 'external'
      ? { kind: 'external', ref: named.ref, rewrite: true }
      : { kind: 'in-file', image: named.image, rewrite: true, ...(named.path !== undefined && { path: named.path }) };
  if (ref !== image.name && file.images.has(ref)) return { kind: 'in-file', image: ref, rewrite: true };
  const tagged = tagIndex(file).get(familiarRef(ref));
  return tagged !== undefined && tagged !== image.name ? { kind: 'in-file', image: tagged, rewrite: false } : { kind: 'external', ref, rewrite: false };
}

/** The in-file image a Dockerfile reference of `image` reads, if any. */
export function inFileImage(file: BuildFile, image: ImageSpec, ref: string): string | undefined {
  const t = referenceTarget(file, image, ref);
  return t.kind === 'in-file' ? t.image : undefined;
}

export function edgesOf(file: BuildFile, dockerfileRefs: ReadonlyMap<string, readonly DockerfileReference[]>): Map<string, Edge[]> {
  const edges = new Map<string, Edge[]>();
  for (const image of file.images.values()) {
    const out: Edge[] = [];
    for (const [arg, value] of Object.entries(image.args)) {
      if (value.kind === 'image') out.push({ image: value.image, kind: 'args', detail: `arg ${arg}` });
    }
    for (const mount of image.mounts) {
      const sides = mount.source.kind === 'diff' ? [mount.source.base, mount.source.head] : [mount.source];
      for (const side of sides) if (side.kind === 'image') out.push({ image: side.image, kind: 'mounts', detail: `mount ${mount.from}:${mount.path}` });
    }
    for (const [name, c] of image.contexts)
      if (c.kind === 'image' && c.image !== image.name) out.push({ image: c.image, kind: 'contexts', detail: `contexts ${name}` });
    for (const dep of image.dependsOn) out.push({ image: dep, kind: 'depends_on', detail: 'depends_on' });
    for (const ref of dockerfileRefs.get(image.name) ?? []) {
      const upstream = inFileImage(file, image, ref.ref);
      if (upstream !== undefined && upstream !== image.name) {
        out.push({ image: upstream, kind: ref.kind, detail: `Dockerfile line ${ref.line}: ${ref.ref}` });
      }
    }
    const unique = new Map(out.map((e) => [`${e.image}\0${e.kind}\0${e.detail}`, e]));
    edges.set(
      image.name,
      [...unique.values()].sort((a, b) => byText(a.image, b.image) || byText(a.kind, b.kind)),
    );
  }
  return edges;
}

/** A cycle `[a, b, a]` (a waits for b, b waits for a) with the edge of every step. */
export interface GraphCycle {
  readonly cycle: readonly string[];
  readonly edges: readonly (Edge & { readonly from: string })[];
}

/** The cycles among `nodes` (deterministic: core/cycles.ts), each with the edges that close it. */
export function cyclesAmong(edges: ReadonlyMap<string, readonly Edge[]>, nodes: Iterable<string>): GraphCycle[] {
  return findCycles(nodes, (n) => (edges.get(n) ?? []).map((e) => e.image)).map((cycle) => ({
    cycle,
    edges: cycle.slice(1).map((to, i) => ({ from: cycle[i]!, ...(edges.get(cycle[i]!) ?? []).find((e) => e.image === to)! })),
  }));
}
