/**
 * Decides, before any context byte is sent, whether an image must be built: it is up to
 * date when the engine has an image of this project labelled with the same key. Local
 * state only explains; it never makes an image fresh.
 */
import type { ContextPlanError } from '../context/source.js';
import { err, ok, type Result } from '../core/result.js';
import type { Engine } from '../docker/engine.js';
import { explainChange } from './explain.js';
import { cacheKey, collectInputs, type CollectOptions, type ImageInputs } from './inputs.js';
import { readManifest } from './manifest.js';

export const KEY_LABEL = 'io.mbuild.key';
export const PROJECT_LABEL = 'io.mbuild.project';

/** Images of this project on the engine, by cache key. Built once per run. */
export type KeyIndex = ReadonlyMap<string, string>;

export async function keyIndex(engine: Pick<Engine, 'listImages'>, project: string): Promise<Map<string, string>> {
  const images = await engine.listImages({ labels: [`${PROJECT_LABEL}=${project}`] });
  const index = new Map<string, string>();
  for (const image of images) {
    const key = image.labels[KEY_LABEL];
    if (key !== undefined) index.set(key, image.id);
  }
  return index;
}

export type Verdict =
  | { readonly fresh: true; readonly imageId: string }
  | { readonly fresh: false; readonly reasons: readonly string[] };

export interface Decision {
  readonly key: string;
  readonly inputs: ImageInputs;
  readonly verdict: Verdict;
}

export interface DecideOptions extends CollectOptions {
  readonly index: KeyIndex;
  /** `--no-cache`. */
  readonly noCache: boolean;
}

export async function decide(o: DecideOptions): Promise<Result<Decision, ContextPlanError>> {
  const collected = await collectInputs(o);
  if (!collected.ok) return err(collected.error);
  const inputs = collected.value;
  const key = cacheKey(inputs);
  const stale = (reasons: string[]) => ok({ key, inputs, verdict: { fresh: false as const, reasons } });
  if (o.noCache) return stale(['--no-cache']);
  if (o.image.noCache) return stale(['no_cache: true']);
  // A pull may change the base; mbuild cannot know without pulling, so it builds.
  if (o.image.pull) return stale(['pull: true']);
  const hit = o.index.get(key);
  if (hit !== undefined) return ok({ key, inputs, verdict: { fresh: true, imageId: hit } });
  const last = await readManifest(o.file.root, o.image.name);
  if (last === undefined) return stale(['first build']);
  if (last.key === key) return stale(['the image built last time is gone from the engine']);
  const reasons = explainChange(last.inputs, inputs);
  return stale(reasons.length > 0 ? reasons : ['inputs changed']);
}
