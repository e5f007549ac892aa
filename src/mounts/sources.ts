/**
 * Where each mount reads from, decided before anything is sent: an image of this file is
 * the upstream's freshly built image ID; an external reference must exist locally (mbuild
 * never pulls for a mount). Also the pure overlap check shared with the `mount-collision`
 * rule, and how messages name a mount.
 */
import type { ImageRef, ImageSpec, MountSpec } from '../config/types.js';
import { mountOverlaps } from '../core/overlap.js';
import { err, ok, type Result } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import type { TransferLabel } from './errors.js';

/** One side of a mount, resolved: `ref` is what the engine is asked for (an image ID when known). */
export interface ResolvedImage {
  readonly ref: string;
  /** For messages: `web (sha256:0123456789ab)` or `busybox:latest`. */
  readonly name: string;
}

export type ResolvedSource =
  { readonly kind: 'image'; readonly image: ResolvedImage } | { readonly kind: 'diff'; readonly base: ResolvedImage; readonly head: ResolvedImage };

export interface ResolvedMount {
  readonly spec: MountSpec;
  readonly source: ResolvedSource;
}

export const mountLabel = (spec: MountSpec): TransferLabel => ({ what: 'mount', source: `${spec.from}:${spec.path}`, to: spec.to || '.' });
/** The `source` of the mount's entries in a context tar, for collision messages. */
export const mountSource = (spec: MountSpec): string => `mount ${spec.from}:${spec.path}`;

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** How the engine finds one side: an upstream ID, or the external reference if it exists locally; else why not. */
export type RefResolver = (side: ImageRef) => Promise<Result<ResolvedImage, string>>;

/** For builds: in-file images are the upstream IDs the executor passes in. */
export function buildResolver(engine: Engine, upstream: ReadonlyMap<string, string>): RefResolver {
  return async (side) => {
    if (side.kind === 'image') {
      const id = upstream.get(side.image);
      if (id === undefined) return err(`image ${side.image} was not built in this run`);
      return ok({ ref: id, name: `${side.image} (${short(id)})` });
    }
    const info = await engine.inspectImage(side.ref);
    if (info === undefined) return err(`image ${side.ref} does not exist locally (mbuild never pulls a mount source; pull or build it first)`);
    return ok({ ref: info.id, name: side.ref });
  };
}

/** Resolves every mount of `image`; the first problem is an error naming the mount. */
export async function resolveMounts(image: ImageSpec, resolve: RefResolver): Promise<Result<ResolvedMount[], string>> {
  const out: ResolvedMount[] = [];
  const overlap = mountOverlaps(image.mounts)[0];
  if (overlap)
    return err(
      `mount ${overlap.second.from}:${overlap.second.path} -> ${overlap.second.to} overlaps mount ${overlap.first.from}:${overlap.first.path} -> ${overlap.first.to}`,
    );
  for (const spec of image.mounts) {
    const where = `mount ${spec.from}:${spec.path} -> ${spec.to}`;
    const s = spec.source;
    if (s.kind === 'diff') {
      const base = await resolve(s.base);
      if (!base.ok) return err(`${where}: ${base.error}`);
      const head = await resolve(s.head);
      if (!head.ok) return err(`${where}: ${head.error}`);
      out.push({ spec, source: { kind: 'diff', base: base.value, head: head.value } });
    } else {
      const one = await resolve(s);
      if (!one.ok) return err(`${where}: ${one.error}`);
      out.push({ spec, source: { kind: 'image', image: one.value } });
    }
  }
  return ok(out);
}
