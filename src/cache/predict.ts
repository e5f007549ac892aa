/**
 * Predicts, without building, which images `up` would build and why: images are decided
 * in plan order. An image whose build reads an upstream that will be rebuilt is stale
 * (its upstream's new ID is not known yet); its own inputs are still compared with its
 * last build, so every reason `up` will give is listed. A `depends_on` upstream is no
 * input: its rebuild makes nothing stale. Independent images are decided concurrently
 * (each waits only for its own upstream images), a few at a time.
 */
import { readdirSync } from 'node:fs';
import { manifestsDir, statCachePath } from '../core/layout.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import type { BuildPlan, Planned } from '../plan/types.js';
import { decide, type Decision } from './freshness.js';
import { ImageIndex } from './image-index.js';
import type { KnownDockerfiles } from './image-reads.js';
import { PENDING } from './inputs.js';
import { StatCache } from './stat-cache.js';

export type Prediction =
  | { readonly image: string; readonly fresh: true; readonly imageId: string; readonly key: string }
  | { readonly image: string; readonly fresh: false; readonly reasons: readonly string[]; readonly decision?: Decision };

/** Contexts walked at once. */
const CONCURRENCY = 8;

export async function predict(
  o: Planned & {
    engine: Pick<Engine, 'inspectImage' | 'listImages'>;
    builder: BuilderKind;
    statCache: StatCache;
    noCache: boolean;
    /** The Dockerfiles load/ read (LoadedPlan): not read again. */
    dockerfiles?: KnownDockerfiles;
  },
): Promise<Prediction[]> {
  const index = new ImageIndex(o.engine).run(o.file.name, o.file.root);
  const manifests = manifestFiles(o.file.root);
  const known = new Map<string, Promise<Prediction>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async <T>(f: () => Promise<T>): Promise<T> => {
    while (running >= CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await f();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };

  const predictOne = async (planned: BuildPlan['images'][number]): Promise<Prediction> => {
    const upstreamNames = [...new Set(planned.dependsOn.map((e) => e.image))];
    const ups = await Promise.all(upstreamNames.map((n) => known.get(n)!));
    // collectInputs keeps only the upstream images the build reads.
    const upstream = new Map(ups.map((p) => [p.image, p.fresh ? p.imageId : PENDING]));
    const image = o.file.images.get(planned.name)!;
    const d = await slot(() =>
      decide({
        file: o.file,
        image,
        builder: o.builder,
        upstream,
        engine: o.engine,
        statCache: o.statCache,
        index,
        noCache: o.noCache,
        ...(o.dockerfiles && { dockerfiles: o.dockerfiles }),
        ...(manifests && { manifests }),
      }),
    );
    if (!d.ok) return { image: planned.name, fresh: false, reasons: [`the context cannot be read: ${d.error.path}: ${d.error.message}`] };
    if (d.value.verdict.fresh) return { image: planned.name, fresh: true, imageId: d.value.verdict.imageId, key: d.value.key };
    return { image: planned.name, fresh: false, reasons: d.value.verdict.reasons, decision: d.value };
  };
  // Plan order is topological: every upstream promise exists before its dependents ask for it.
  for (const planned of o.plan.images) known.set(planned.name, predictOne(planned));
  return Promise.all(o.plan.images.map((i) => known.get(i.name)!));
}

/** The files of the manifests folder, listed once (a missing manifest is then no failed open per image); undefined when it cannot be listed. */
function manifestFiles(root: string): ReadonlySet<string> | undefined {
  try {
    return new Set(readdirSync(manifestsDir(root)));
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? new Set() : undefined;
  }
}

/**
 * The predictions of `plan`, `why` and `clean`, with the project's stat cache: read first (a
 * cache that cannot be read is `onWarning`, and an empty one is used), saved after, so the
 * next command hashes only what changed since.
 */
export async function predictPlanned(
  planned: Planned & { readonly dockerfiles?: KnownDockerfiles },
  engine: Pick<Engine, 'inspectImage' | 'listImages'>,
  builder: BuilderKind,
  onWarning: (message: string) => void,
): Promise<Prediction[]> {
  const loaded = await StatCache.load(statCachePath(planned.file.root));
  if (loaded.warning) onWarning(loaded.warning);
  const result = await predict({ ...planned, engine, builder, statCache: loaded.cache, noCache: false });
  await loaded.cache.save().catch(() => undefined);
  return result;
}
