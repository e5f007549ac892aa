/**
 * A project's images on the engine: those with its label (BuildKit builds; classic builds of
 * images with labels of their own) and those with one of its mark tags (classic builds,
 * core/labels.ts `markTag`): two listings, merged by image ID.
 */
import { markFilter, projectFilter } from '../core/labels.js';
import type { Engine, ImageSummary } from '../docker/engine.js';

export async function listProjectImages(engine: Pick<Engine, 'listImages'>, project: string): Promise<ImageSummary[]> {
  const [labelled, marked] = await Promise.all([
    engine.listImages({ labels: [projectFilter(project)] }),
    engine.listImages({ labels: [], reference: markFilter(project) }),
  ]);
  const byId = new Map(labelled.map((i) => [i.id, i]));
  for (const i of marked) if (!byId.has(i.id)) byId.set(i.id, i);
  return [...byId.values()];
}
