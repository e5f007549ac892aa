/**
 * Predicts, without building, which images `up` would build and why: images are decided
 * in plan order; an image whose upstream will be rebuilt is stale for that reason alone
 * (its upstream's new ID is not known yet).
 */
import type { BuildFile } from '../config/types.js';
import type { BuilderKind, Engine } from '../docker/engine.js';
import type { BuildPlan } from '../plan/types.js';
import { decide, keyIndex, type Decision } from './freshness.js';
import type { StatCache } from './stat-cache.js';

export type Prediction =
  | { readonly image: string; readonly fresh: true; readonly imageId: string; readonly key: string }
  | { readonly image: string; readonly fresh: false; readonly reasons: readonly string[]; readonly decision?: Decision };

export async function predict(o: {
  file: BuildFile; plan: BuildPlan; engine: Pick<Engine, 'inspectImage' | 'listImages'>; builder: BuilderKind; statCache: StatCache; noCache: boolean;
}): Promise<Prediction[]> {
  const index = await keyIndex(o.engine, o.file.name);
  const known = new Map<string, Prediction>();
  for (const planned of o.plan.images) {
    const upstreamNames = [...new Set(planned.dependsOn.map((e) => e.image))];
    const rebuilt = upstreamNames.filter((n) => !known.get(n)?.fresh);
    if (rebuilt.length > 0) {
      known.set(planned.name, { image: planned.name, fresh: false, reasons: rebuilt.map((n) => `upstream ${n} will be rebuilt`) });
      continue;
    }
    const upstream = new Map(upstreamNames.map((n) => [n, (known.get(n) as { imageId: string }).imageId]));
    const image = o.file.images.get(planned.name)!;
    const d = await decide({ file: o.file, image, builder: o.builder, upstream, engine: o.engine, statCache: o.statCache, index, noCache: o.noCache });
    if (!d.ok) {
      known.set(planned.name, { image: planned.name, fresh: false, reasons: [`the context cannot be read: ${d.error.path}: ${d.error.message}`] });
    } else if (d.value.verdict.fresh) {
      known.set(planned.name, { image: planned.name, fresh: true, imageId: d.value.verdict.imageId, key: d.value.key });
    } else {
      known.set(planned.name, { image: planned.name, fresh: false, reasons: d.value.verdict.reasons, decision: d.value });
    }
  }
  return o.plan.images.map((i) => known.get(i.name)!);
}
