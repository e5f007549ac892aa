/**
 * Decides, before any context byte is sent, whether an image must be built: it is up to
 * date when the engine has an image of this project labelled with the same key. Local
 * state only explains; it never makes an image fresh.
 */
import type { ContextPlanError } from '../context/source.js';
import { KEY_LABEL, PROJECT_LABEL, projectFilter } from '../core/labels.js';
import { err, ok, type Result } from '../core/result.js';
import type { Engine, ImageInfo } from '../docker/engine.js';
import { explainChange } from './explain.js';
import { cacheKey, collectInputs, PENDING, type CollectOptions, type ImageInputs } from './inputs.js';
import { keyHistory, readManifest } from './manifest.js';

/**
 * Finds this project's image for a cache key on the engine. First the image this checkout
 * recorded for that key (`keyHistory`; one `inspect`: it must still exist and carry the
 * key). A key never recorded while others were is a build. Otherwise (no local state, or
 * the recorded image is gone) one listing of the project's images by label, at most once per run.
 * One index per run: it also memoises the base image IDs looked up during the run.
 */
export class KeyIndex {
  private listed: Promise<Map<string, string>> | undefined;
  private readonly added = new Map<string, string>();
  readonly baseIds = new Map<string, Promise<string>>();

  constructor(
    private readonly engine: Pick<Engine, 'listImages' | 'inspectImage'>,
    private readonly project: string,
    private readonly root: string,
    /** Inspects started ahead of this run (cache/prefetch.ts), each used at most once. */
    private readonly ahead?: (imageId: string) => Promise<ImageInfo | undefined> | undefined,
  ) {}

  /** `inUse`: the local state already records this image as the one in use for `image` (nothing to record). */
  async find(image: string, key: string): Promise<{ readonly imageId: string; readonly info?: ImageInfo; readonly inUse: boolean } | undefined> {
    const history = keyHistory(this.root, image);
    const found = (imageId: string, info?: ImageInfo) => ({ imageId, ...(info && { info }), inUse: history[0]?.key === key && history[0].imageId === imageId });
    const known = this.added.get(key);
    if (known !== undefined) return found(known);
    const recorded = history.find((h) => h.key === key);
    if (recorded?.imageId !== undefined) {
      const info = await (this.ahead?.(recorded.imageId) ?? this.engine.inspectImage(recorded.imageId));
      if (info !== undefined && info.labels[KEY_LABEL] === key && info.labels[PROJECT_LABEL] === this.project) return found(info.id, info);
    }
    // A key this checkout never had for this image: build (listing every image costs the
    // engine ~0.4 s once it holds a thousand). With no local state, or a recorded image
    // gone, the engine's list is the truth.
    if (recorded === undefined && history.length > 0) return undefined;
    this.listed ??= this.list();
    const id = (await this.listed).get(key);
    return id === undefined ? undefined : found(id);
  }

  /** An image built during this run. */
  set(key: string, imageId: string): void {
    this.added.set(key, imageId);
  }

  private async list(): Promise<Map<string, string>> {
    const images = await this.engine.listImages({ labels: [projectFilter(this.project)] });
    const index = new Map<string, string>();
    for (const image of images) {
      const key = image.labels[KEY_LABEL];
      if (key !== undefined) index.set(key, image.id);
    }
    return index;
  }
}

export type Verdict =
  /**
   * `info` when the engine was asked about this very image (tags, size) while deciding;
   * `inUse` when the local state already records it as the image in use.
   */
  | { readonly fresh: true; readonly imageId: string; readonly info?: ImageInfo; readonly inUse: boolean }
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

/**
 * Fresh when the engine has this project's image with the key; else stale, with every
 * reason. An upstream `PENDING` (a prediction: it will be rebuilt first) makes the key
 * unknowable, so the image is stale, and its own inputs are still compared with its last
 * build: the reasons are the ones `up` will give.
 */
export async function decide(o: DecideOptions): Promise<Result<Decision, ContextPlanError>> {
  const collected = await collectInputs({ ...o, baseIds: o.baseIds ?? o.index.baseIds });
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
function forcedBuild(o: DecideOptions): string | undefined {
  if (o.noCache) return '--no-cache';
  if (o.image.noCache) return 'no_cache: true';
  return o.image.pull ? 'pull: true' : undefined;
}

/** The difference with the last build's manifest; `key` undefined when it cannot be known yet. */
async function reasonsSinceLastBuild(o: DecideOptions, inputs: ImageInputs, key: string | undefined): Promise<string[]> {
  const last = await readManifest(o.file.root, o.image.name);
  if (last === undefined) return ['first build'];
  if (last.key === key) return ['the image built last time is gone from the engine'];
  const reasons = explainChange(last.inputs, inputs, o.image.dependsOn);
  return reasons.length > 0 ? reasons : ['inputs changed'];
}
