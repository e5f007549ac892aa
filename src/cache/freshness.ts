/**
 * Decides, before any context byte is sent, whether an image must be built: it is up to
 * date when the engine has an image of this project labelled with the same key. Local
 * state only explains; it never makes an image fresh.
 */
import type { ContextPlanError } from '../context/source.js';
import { err, ok, type Result } from '../core/result.js';
import { explainChange } from './explain.js';
import { collectContextImageInputs } from './context-image-inputs.js';
import { cacheKey, collectInputs, PENDING, type CollectOptions, type ImageInputs } from './inputs.js';
import type { FoundImage, RunIndex } from './image-index.js';
import { readManifest } from './manifest.js';

export type Verdict = ({ readonly fresh: true } & FoundImage) | { readonly fresh: false; readonly reasons: readonly string[] };

export interface Decision {
  readonly key: string;
  readonly inputs: ImageInputs;
  readonly verdict: Verdict;
}

export interface DecideOptions extends CollectOptions {
  /** This run's view of the session's image index (image-index.ts). */
  readonly index: RunIndex;
  /** `--no-cache`. */
  readonly noCache: boolean;
  /** The files of the manifests folder, when listed once for a run (cache/predict.ts): a manifest not there is not opened. */
  readonly manifests?: ReadonlySet<string>;
}

/**
 * Fresh when the engine has this project's image with the key; else stale, with every
 * reason. An upstream `PENDING` (a prediction: it will be rebuilt first) makes the key
 * unknowable, so the image is stale, and its own inputs are still compared with its last
 * build: the reasons are the ones `up` will give.
 */
export async function decide(o: DecideOptions): Promise<Result<Decision, ContextPlanError>> {
  const collect = { ...o, baseIds: o.baseIds ?? o.index.baseIds };
  const collected = o.image.contextImage !== undefined ? await collectContextImageInputs(collect, o.image) : await collectInputs(collect);
  if (!collected.ok) return err(collected.error);
  const inputs = collected.value;
  const key = cacheKey(inputs);
  const stale = (reasons: readonly string[]) => ok({ key, inputs, verdict: { fresh: false as const, reasons } });
  const forced = forcedBuild(o);
  if (forced !== undefined) return stale([forced]);
  const pending = Object.values(inputs.upstream).includes(PENDING);
  const hit = pending ? undefined : await o.index.find(o.image.name, key);
  if (hit !== undefined) return ok({ key, inputs, verdict: { fresh: true, ...hit } });
  return stale(await reasonsSinceLastBuild(o, inputs, pending ? undefined : key));
}

/** A build no cache can skip: `--no-cache`, `no_cache: true`, `pull: true` (mbuild cannot know what a pull brings). */
export function forcedBuild(o: Pick<DecideOptions, 'noCache' | 'image'>): string | undefined {
  if (o.noCache) return '--no-cache';
  if (o.image.noCache) return 'no_cache: true';
  return o.image.pull ? 'pull: true' : undefined;
}

/** The difference with the last build's manifest; `key` undefined when it cannot be known yet. */
async function reasonsSinceLastBuild(o: DecideOptions, inputs: ImageInputs, key: string | undefined): Promise<string[]> {
  const last = o.manifests?.has(`${o.image.name}.json`) === false ? undefined : await readManifest(o.file.root, o.image.name);
  if (last === undefined) return ['first build'];
  if (last.key === key) return ['the image built last time is gone from the engine'];
  const reasons = explainChange(last.inputs, inputs, o.image.dependsOn);
  return reasons.length > 0 ? reasons : ['inputs changed'];
}
