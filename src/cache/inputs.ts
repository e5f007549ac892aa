/**
 * Everything that can change an image's result, collected locally before any context
 * byte is sent: Dockerfile and .dockerignore text, every entry that will be sent (path,
 * type, mode, content hash, link target; not mtime, not uid), resolved args, target,
 * platform, network, pull, labels, builder kind, the local IDs of external base images,
 * the IDs of the in-file images the build reads (not those of `depends_on`, which only
 * orders) and of mounted images.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import type { BuildFile, ImageSpec } from '../config/types.js';
import { readSmallFile } from '../context/small-file.js';
import { planContext, type ContextPlanError } from '../context/source.js';
import { walkContextBatches } from '../context/walk.js';
import { byText } from '../core/order.js';
import { err, messageOf, ok, type Result } from '../core/result.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { planningArgs } from '../dockerfile/images.js';
import { referencedImages } from '../dockerfile/stages.js';
import { familiarRef, tagIndex } from '../plan/graph.js';
import type { StatCache } from './stat-cache.js';

export const KEY_VERSION = 'mbuild-key-1';

/** The ID of an upstream that a prediction knows will be rebuilt first: its new ID is not known yet. */
export const PENDING = 'pending';

/** `[path, type, mode, sha256 | link target | '']`, in walk order. */
export type FileInput = readonly [string, 'file' | 'dir' | 'symlink', number, string];

export interface ImageInputs {
  readonly version: typeof KEY_VERSION;
  readonly builder: BuilderKind;
  readonly dockerfile: string;
  /** Where the Dockerfile travels in the context tar. */
  readonly dockerfileInTar: string;
  readonly ignore: string | null;
  readonly target: string | null;
  readonly platform: string | null;
  readonly network: string | null;
  readonly pull: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Literal values, and `image:<name>` for `{image:}` args (their IDs are under `upstream`). */
  readonly args: Readonly<Record<string, string>>;
  /** External image references in the Dockerfile -> local image ID, or `missing`. */
  readonly bases: Readonly<Record<string, string>>;
  /** In-file images this one's build reads (not `depends_on` alone) -> their built IDs. */
  readonly upstream: Readonly<Record<string, string>>;
  /** `from path to` -> the ID(s) of the mounted image(s). */
  readonly mounts: Readonly<Record<string, string>>;
  readonly files: readonly FileInput[];
}

export interface CollectOptions {
  readonly file: BuildFile;
  readonly image: ImageSpec;
  readonly builder: BuilderKind;
  /**
   * Built IDs of the in-file images this one waits for (`PENDING` for one a prediction
   * knows will be rebuilt). Only those its build reads enter the key: a `depends_on`
   * edge orders, it is no input.
   */
  readonly upstream: ReadonlyMap<string, string>;
  readonly engine: Pick<Engine, 'inspectImage'>;
  readonly statCache: StatCache;
  /**
   * Local IDs of external base images, shared by the images of one run (each base is
   * inspected once per run, not once per image). Default: inspected per call.
   */
  readonly baseIds?: Map<string, Promise<string>>;
}

const HASH_CONCURRENCY = 16;

export async function hashFile(abs: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(abs, { highWaterMark: 256 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function collectInputs(o: CollectOptions): Promise<Result<ImageInputs, ContextPlanError>> {
  const { image } = o;
  const df = image.dockerfile;
  let dockerfile = df.kind === 'inline' ? df.text : '';
  if (df.kind === 'file') {
    try {
      dockerfile = readFileSync(df.path, 'utf8');
    } catch (e) {
      // Gone since the plan was made (deleted during watch): the image's failure, not an internal error.
      return err({ kind: 'dockerfile-unreadable', path: df.path, message: messageOf(e) });
    }
  }
  const plan = await planContext({
    contextDir: image.context,
    dockerfile: image.dockerfile.kind === 'file' ? { path: image.dockerfile.path } : { text: dockerfile },
    builder: o.builder,
  });
  if (!plan.ok) return err(plan.error);

  const files: [string, 'file' | 'dir' | 'symlink', number, string][] = [];
  const pending: Promise<void>[] = [];
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  const cache = o.statCache;
  // The stat-ahead walk: a no-op run is one lstat per sent entry and a map lookup, nothing read.
  const walk = walkContextBatches({
    root: plan.value.root,
    matcher: plan.value.matcher,
    forceInclude: plan.value.forceInclude,
    omit: plan.value.omit,
    statAhead: true,
  });
  for await (const batch of walk) {
    for (const e of batch) {
      const row: [string, 'file' | 'dir' | 'symlink', number, string] = [e.rel, e.kind, e.stats.mode & 0o7777, ''];
      files.push(row);
      if (e.kind === 'dir') continue;
      if (e.kind === 'symlink') {
        const cachedTarget = cache.getLink(e.abs, e.stats);
        if (cachedTarget !== undefined) row[3] = cachedTarget;
        else {
          row[3] = await readlink(e.abs);
          cache.setLink(e.abs, e.stats, row[3]);
        }
        continue;
      }
      const cached = cache.get(e.abs, e.stats);
      if (cached !== undefined) {
        row[3] = cached;
        continue;
      }
      const small = readSmallFile(e);
      if (small !== undefined) {
        row[3] = createHash('sha256').update(small.data).digest('hex');
        cache.set(e.abs, e.stats, row[3]);
        continue;
      }
      while (inFlight >= HASH_CONCURRENCY) await new Promise<void>((r) => waiters.push(r));
      inFlight++;
      pending.push(
        hashFile(e.abs)
          .then((h) => {
            row[3] = h;
            cache.set(e.abs, e.stats, h);
          })
          .finally(() => {
            inFlight--;
            waiters.shift()?.();
          }),
      );
    }
  }
  await Promise.all(pending);

  const read = await readInputs(o, dockerfile);
  return ok({
    version: KEY_VERSION,
    builder: o.builder,
    dockerfile,
    dockerfileInTar: plan.value.dockerfileInTar,
    ignore: plan.value.ignore?.text ?? null,
    target: image.target ?? null,
    platform: image.platform ?? null,
    network: image.network ?? null,
    pull: image.pull,
    labels: Object.fromEntries(Object.entries(image.labels).sort(([a], [b]) => byText(a, b))),
    args: read.args,
    bases: read.bases,
    // Only what the build reads: a `depends_on` edge orders, it is no input.
    upstream: Object.fromEntries([...o.upstream].filter(([name]) => read.images.has(name)).sort(([a], [b]) => byText(a, b))),
    mounts: read.mounts,
    files,
  });
}

/**
 * What a build reads besides its context: its args, the local IDs of the external images
 * its Dockerfile names, its mounts, and the names of the in-file images it reads (an
 * `{image:}` arg, a mount, a FROM / COPY --from / --mount=from naming one of their tags):
 * the same edges the plan finds, `depends_on` excepted.
 */
async function readInputs(o: CollectOptions, dockerfile: string) {
  const { file, image } = o;
  const images = new Set<string>();
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.args).sort(([a], [b]) => byText(a, b))) {
    if (v.kind === 'image') images.add(v.image);
    args[k] = v.kind === 'literal' ? v.value : `image:${v.image}`;
  }
  const inFile = tagIndex(file);
  const bases: Record<string, string> = {};
  for (const ref of referencedImages(parseDockerfile(dockerfile), planningArgs(file, image))) {
    const upstream = inFile.get(familiarRef(ref.ref));
    if (upstream !== undefined) images.add(upstream);
    if (upstream !== undefined || ref.ref in bases) continue;
    let id = o.baseIds?.get(ref.ref);
    if (id === undefined) {
      id = o.engine.inspectImage(ref.ref).then((info) => info?.id ?? 'missing');
      o.baseIds?.set(ref.ref, id);
    }
    bases[ref.ref] = await id;
  }
  const mounts: Record<string, string> = {};
  for (const m of image.mounts) {
    const sides = m.source.kind === 'diff' ? [m.source.base, m.source.head] : [m.source];
    for (const s of sides) if (s.kind === 'image') images.add(s.image);
    const ids = await Promise.all(
      sides.map(async (s) => (s.kind === 'image' ? (o.upstream.get(s.image) ?? 'unbuilt') : ((await o.engine.inspectImage(s.ref))?.id ?? 'missing'))),
    );
    mounts[`${m.from} ${m.path} ${m.to}`] = ids.join('..');
  }
  return { args, bases, mounts, images };
}

/** The cache key: a versioned SHA-256 over the canonical JSON of the inputs. */
export function cacheKey(inputs: ImageInputs): string {
  return `v1-${createHash('sha256').update(JSON.stringify(inputs)).digest('hex')}`;
}
