/**
 * What mbuild asks the engine about images while it decides what to build, each answer kept
 * as long as it holds. One index per CLI session, made once (`up`: before the build file is
 * parsed; `watch`: for every run until Ctrl-C; `plan`: for its predictions) and passed down
 * whole; each run looks things up through its own view (`run`). How long each answer lives:
 *
 *   answer                                               lives
 *   the inspect of the image each image records in use   the first run, each used once (`expect`:
 *                                                        started early, four at a time)
 *   the inspect of a recorded image, for the key check   not kept: its tags and its existence can
 *                                                        change outside mbuild between two runs
 *   the ID of an external base image (FROM busybox)      one run: a pull or a tag outside mbuild changes it
 *   the images built in this session, by key             the session
 *   the project's images by key (one listing by its      the session: served from memory after the first
 *   label, one by its mark tags, merged)                 listing, which is asked again in the background each
 *                                                        time it is served (an image removed outside mbuild
 *                                                        is forgotten after one run)
 *
 * An image that an inspect finds gone is forgotten at once, by every answer the session keeps.
 */
import { readdirSync } from 'node:fs';
import { marksOf } from '../core/labels.js';
import type { Engine, ImageInfo } from '../docker/engine.js';
import { manifestsDir } from '../core/layout.js';
import { keyHistory } from './manifest.js';
import { listProjectImages } from './project-images.js';
import { baseOf, type BaseImage } from './inputs.js';

export type ImageEngine = Pick<Engine, 'inspectImage' | 'listImages'>;

/** More recorded images than this: a partial run (`up NAME`) may need few of them, so none are inspected ahead. */
export const PREFETCH_LIMIT = 256;
/** Inspects in flight at once. */
const LANES = 4;

/** An image of the project built from the key; `inUse` when the local state already records it as the one in use. */
export interface FoundImage {
  readonly imageId: string;
  /** Its inspect, when the engine was asked about this very image (tags, size). */
  readonly info?: ImageInfo;
  readonly inUse: boolean;
}

export class ImageIndex {
  readonly #engine: ImageEngine;
  readonly #connected: Promise<unknown>;
  #early: { readonly root: string; readonly inspects: Map<string, Promise<ImageInfo | undefined>>; readonly cold: boolean } | undefined;
  readonly #projects = new Map<string, ProjectImages>();

  /**
   * `connected`: the engine's negotiation. Nothing is asked before it succeeds, and nothing
   * at all when it fails (each request would try to connect again, up to a timeout each).
   */
  constructor(engine: ImageEngine, connected: Promise<unknown> = Promise.resolve()) {
    this.#engine = engine;
    this.#connected = connected;
  }

  /** Starts inspecting the image each image of `root` records as in use (what a no-op run checks). */
  expect(root: string): void {
    this.#early = { root, ...inspectRecorded(root, this.#engine, this.#connected) };
  }

  /** Images removed behind the index's back (the garbage policy between watch cycles): no later run finds them. */
  forget(project: string, imageIds: readonly string[]): void {
    const images = this.#projects.get(project);
    for (const id of imageIds) images?.forget(id);
  }

  /** The builds of `project` that runs found up to date and that the live garbage policy removes (cli/gc-live.ts). */
  claims(project: string): BuildClaims {
    return this.#project(project).claims;
  }

  /** The view of one run of `project` at `root`; the first run takes the inspects `expect` started for that root. */
  run(project: string, root: string): RunIndex {
    const mine = this.#early?.root === root ? this.#early : undefined;
    this.#early = undefined;
    const index = new RunIndex(this.#engine, project, root, this.#project(project), mine?.inspects ?? new Map<string, Promise<ImageInfo | undefined>>());
    // No local state: every image's lookup needs the project's listing; it is asked now, while the first keys are computed.
    if (mine?.cold === true) void index.listNow();
    return index;
  }

  #project(project: string): ProjectImages {
    let images = this.#projects.get(project);
    if (images === undefined) this.#projects.set(project, (images = new ProjectImages(this.#engine, project)));
    return images;
  }
}

/**
 * A build is either taken by a run (found up to date: the image will be tagged to it) or
 * removed by the live garbage policy, never both. Each side asks first, on the one thread:
 * a build whose removal has started is not found, and one found is not removed.
 */
export class BuildClaims {
  readonly #taken = new Set<string>();
  readonly #removing = new Set<string>();

  /** A run takes `imageId` as an image's build: false once its removal has started. */
  take(imageId: string): boolean {
    if (this.#removing.has(imageId)) return false;
    this.#taken.add(imageId);
    return true;
  }

  /** The policy may remove `imageId`: false once a run took it. */
  remove(imageId: string): boolean {
    if (this.#taken.has(imageId)) return false;
    this.#removing.add(imageId);
    return true;
  }
}

/**
 * One run's lookups. Finds this project's image for a cache key: an image built in this
 * session; else the image this checkout recorded for that key (`keyHistory`; one `inspect`:
 * it must still exist and carry the key and the project, as labels or a mark tag). A key never recorded while others
 * were is a build. Otherwise (no local state, or the recorded image is gone) the project's
 * listing, at most once per run.
 */
export class RunIndex {
  /** Local IDs of external base images, each inspected once per run (cache/inputs.ts). */
  readonly baseIds = new Map<string, Promise<BaseImage>>();
  #listed: Promise<ReadonlyMap<string, string>> | undefined;

  constructor(
    private readonly engine: Pick<Engine, 'inspectImage'>,
    private readonly project: string,
    private readonly root: string,
    private readonly images: ProjectImages,
    /** Inspects started ahead of this run, each used at most once. */
    private readonly early: Map<string, Promise<ImageInfo | undefined>>,
  ) {}

  /** The project's build for `key`, taken for this run (cli/gc-live.ts removes none taken); undefined: build. */
  async find(image: string, key: string): Promise<FoundImage | undefined> {
    const found = await this.#find(image, key);
    return found === undefined || this.images.claims.take(found.imageId) ? found : undefined;
  }

  async #find(image: string, key: string): Promise<FoundImage | undefined> {
    const history = keyHistory(this.root, image);
    const found = (imageId: string, info?: ImageInfo): FoundImage => ({
      imageId,
      ...(info && { info }),
      inUse: history[0]?.key === key && history[0].imageId === imageId,
    });
    const built = this.images.built.get(key);
    if (built !== undefined) return found(built);
    const recorded = history.find((h) => h.key === key);
    if (recorded?.imageId !== undefined) {
      const info = await this.inspect(recorded.imageId);
      if (info !== undefined && marksOf(info).some((m) => m.key === key && m.project === this.project)) return found(info.id, info);
    }
    // A key this checkout never had for this image: build (listing every image costs the
    // engine ~0.4 s once it holds a thousand). With no local state, or a recorded image
    // gone, the engine's list is the truth.
    if (recorded === undefined && history.length > 0) return undefined;
    const id = (await this.listNow()).get(key);
    return id === undefined || this.images.gone.has(id) ? undefined : found(id);
  }

  /** The project's listing for this run, asked now if it was not yet. */
  listNow(): Promise<ReadonlyMap<string, string>> {
    return (this.#listed ??= this.images.listing());
  }

  /**
   * An image's inspect: the one started ahead for it if any, else asked now. An image found gone is
   * forgotten; one found gives the images built FROM it what their keys read of it (the base facts).
   */
  async inspect(imageId: string): Promise<ImageInfo | undefined> {
    const ahead = this.early.get(imageId);
    this.early.delete(imageId);
    const info = await (ahead ?? this.engine.inspectImage(imageId));
    if (info === undefined) this.images.forget(imageId);
    else if (!this.baseIds.has(info.id)) this.baseIds.set(info.id, Promise.resolve(baseOf(info)));
    return info;
  }

  /** An image built from `key` in this session. */
  built(key: string, imageId: string): void {
    this.images.built.set(key, imageId);
    this.images.gone.delete(imageId);
  }
}

/** What the session keeps of one project's images. */
class ProjectImages {
  /** Key -> image ID of the images built in this session. */
  readonly built = new Map<string, string>();
  /** Images an inspect found gone: no listing served from memory names them any more. */
  readonly gone = new Set<string>();
  readonly claims = new BuildClaims();
  #listing: Promise<ReadonlyMap<string, string>> | undefined;
  #refreshing = false;

  constructor(
    private readonly engine: Pick<Engine, 'listImages'>,
    private readonly project: string,
  ) {}

  /** Key -> image ID of the project's images: listed on first use, then served from memory and listed again in the background. */
  listing(): Promise<ReadonlyMap<string, string>> {
    if (this.#listing !== undefined) {
      this.#refresh();
      return this.#listing;
    }
    const listed = this.#list();
    this.#listing = listed;
    // A failed listing is not kept: the next use asks again.
    listed.catch(() => {
      if (this.#listing === listed) this.#listing = undefined;
    });
    return listed;
  }

  forget(imageId: string): void {
    this.gone.add(imageId);
    for (const [key, id] of this.built) if (id === imageId) this.built.delete(key);
  }

  #refresh(): void {
    if (this.#refreshing) return;
    this.#refreshing = true;
    this.#list()
      .then(
        (fresh) => {
          this.#listing = Promise.resolve(fresh);
        },
        () => {
          this.#listing = undefined;
        },
      )
      .finally(() => {
        this.#refreshing = false;
      });
  }

  async #list(): Promise<ReadonlyMap<string, string>> {
    const images = await listProjectImages(this.engine, this.project);
    const byKey = new Map<string, string>();
    for (const image of images) for (const m of marksOf(image)) if (m.project === this.project) byKey.set(m.key, image.id);
    return byKey;
  }
}

/**
 * Inspects, a few at a time once `connected` succeeds, the image each image of `root` records
 * as in use (the first line of `state/<image>.json.key`); none with more than PREFETCH_LIMIT.
 */
function inspectRecorded(
  root: string,
  engine: Pick<Engine, 'inspectImage'>,
  connected: Promise<unknown>,
): { inspects: Map<string, Promise<ImageInfo | undefined>>; cold: boolean } {
  const inspects = new Map<string, Promise<ImageInfo | undefined>>();
  let names: string[] = [];
  try {
    names = readdirSync(manifestsDir(root)).filter((n) => n.endsWith('.json.key'));
  } catch {
    /* no state yet */
  }
  if (names.length > PREFETCH_LIMIT) return { inspects, cold: false };
  // A few at a time: each then reuses a kept-alive connection instead of opening its own.
  const lanes: Promise<unknown>[] = [];
  let n = 0;
  for (const name of names) {
    const id = keyHistory(root, name.slice(0, -'.json.key'.length))[0]?.imageId;
    if (id === undefined || inspects.has(id)) continue;
    const lane = n++ % LANES;
    const p = (lanes[lane] ?? connected).then(() => engine.inspectImage(id));
    // An error reaches the check that takes it; a failed connection ends every lane.
    lanes[lane] = p.catch(() => connected);
    lanes[lane].catch(() => undefined);
    inspects.set(id, p);
  }
  return { inspects, cold: names.length === 0 };
}
