/**
 * The garbage policy during a run (`up`): an image's superseded builds are removed as soon
 * as its new build is done, while the rest of the graph still builds, so that little is
 * left for the pass after the run (cli/gc.ts `afterRun`, which stays the policy's last word).
 *
 * The same policy (cache/gc.ts `selectGarbage`), on the facts of one listing of the project's
 * images (made at the first image done once the local state shows garbage: a no-op run asks
 * nothing) and of the containers, restricted to the builds of images this run has finished:
 * their key histories are final, and nothing still building reads a build outside them (a
 * build reads an upstream's current ID or pin). One removal at a time, never forced (the
 * engine refuses a parent or an image a container uses: it stays), none started after the
 * run is interrupted or an image failed; the removal under way is finished, never cut.
 * `finish()` waits for the last one and writes the record of built images without the
 * removed ones, so that the pass after the run finds nothing more to ask the engine.
 */
import { selectGarbage, mayHaveGarbage, pinImage, type GcImage, type GcPin } from '../cache/gc.js';
import type { BuildClaims } from '../cache/image-index.js';
import { histories, type GcEngine } from '../cache/gc-run.js';
import { readBuilt, writeBuilt } from '../cache/gc-record.js';
import { keyHistory } from '../cache/manifest.js';
import { listProjectImages } from '../cache/project-images.js';
import type { BuildEvent } from '../core/events.js';
import { messageOf } from '../core/result.js';
import type { ImageSummary } from '../docker/engine.js';

export interface LiveOutcome {
  readonly images: readonly GcImage[];
  readonly pins: number;
  readonly warnings: readonly string[];
}

interface Facts {
  readonly built: Set<string>;
  readonly histories: Map<string, string[]>;
  images?: ImageSummary[];
  inUse?: Set<string>;
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number } | null)?.statusCode;

export class LiveGc {
  readonly #engine: GcEngine;
  readonly #root: string;
  readonly #project: string;
  readonly #keep: number;
  readonly #signal: AbortSignal;
  readonly #claims: BuildClaims;
  /** Images of this run that are done, not yet folded into the histories. */
  readonly #fresh = new Set<string>();
  readonly #done = new Set<string>();
  /** Refs (pins, IDs) already tried: gone, or kept by a conflict. */
  readonly #tried = new Set<string>();
  readonly #removed: GcImage[] = [];
  /** Untagged, kept by a child image: tried again once the run is over. */
  readonly #conflicted: GcImage[] = [];
  readonly #warnings: string[] = [];
  #pins = 0;
  #stopped = false;
  #facts?: Facts;
  #pump?: Promise<void>;

  /** `claims`: the builds this run found up to date (an image not done yet may take a build the policy selected): none is removed. */
  constructor(engine: GcEngine, root: string, project: string, keep: number, signal: AbortSignal, claims: BuildClaims) {
    this.#claims = claims;
    this.#engine = engine;
    this.#root = root;
    this.#project = project;
    this.#keep = keep;
    this.#signal = signal;
  }

  /** Every event of the run: an image done starts (or feeds) the removals; a failure stops them. */
  onEvent(e: BuildEvent): void {
    if (e.type !== 'image-done') return;
    if (e.outcome.kind === 'failed') {
      this.#stopped = true;
      return;
    }
    // An image found up to date in the engine has a new current build only in rare cases
    // (a key of an older build again): the pass after the run sees to those, and a no-op reads nothing here.
    if (e.outcome.kind === 'up-to-date' && e.outcome.cache === undefined) return;
    this.#fresh.add(e.image);
    this.#kick();
  }

  #kick(): void {
    if (this.#pump !== undefined || this.#halted()) return;
    this.#pump = this.#run().finally(() => {
      this.#pump = undefined;
      // An image done while the last pass found nothing more to do.
      if (this.#fresh.size > 0) this.#kick();
    });
  }

  /** Waits for the removal under way and the rest of what is due (none after an abort or a failure); writes the record. */
  async finish(): Promise<LiveOutcome> {
    while (this.#pump !== undefined) await this.#pump;
    if (!this.#halted()) await this.#retry();
    const facts = this.#facts;
    if (facts !== undefined && this.#removed.length > 0) {
      const gone = new Set(this.#removed.map((r) => r.imageId));
      await writeBuilt(
        this.#root,
        [...facts.built].filter((id) => !gone.has(id)),
      ).catch((e: unknown) => this.#warnings.push(`gc: cannot write the record of built images: ${messageOf(e)}`));
    }
    return { images: this.#removed, pins: this.#pins, warnings: this.#warnings };
  }

  #halted(): boolean {
    return this.#stopped || this.#signal.aborted;
  }

  async #run(): Promise<void> {
    try {
      for (let next = await this.#next(); next !== undefined && !this.#halted(); next = await this.#next()) await next();
    } catch (e) {
      // A listing the engine refused: the pass after the run tries again.
      this.#stopped = true;
      this.#warnings.push(`gc: ${messageOf(e)}`);
    }
  }

  /** The next removal due, or undefined when none is (yet). */
  async #next(): Promise<(() => Promise<void>) | undefined> {
    if (this.#halted()) return undefined;
    const facts = (this.#facts ??= { built: readBuilt(this.#root), histories: histories(this.#root) });
    for (const image of this.#fresh) {
      facts.histories.set(
        image,
        keyHistory(this.#root, image).flatMap((h) => (h.imageId === undefined ? [] : [h.imageId])),
      );
      this.#done.add(image);
    }
    this.#fresh.clear();
    if (facts.built.size === 0 || !mayHaveGarbage(facts.built, facts.histories, this.#keep)) return undefined;
    facts.images ??= await listProjectImages(this.#engine, this.#project);
    const gone = new Set(this.#removed.map((r) => r.imageId));
    // The builds of this run made after the listing count as present: each is its image's current build.
    const listed = new Set(facts.images.map((i) => i.id));
    const made = [...this.#done].flatMap((name) => {
      const id = facts.histories.get(name)?.[0];
      return id === undefined || listed.has(id) ? [] : [{ id, repoTags: [], labels: {} }];
    });
    const images = [...facts.images.filter((i) => !gone.has(i.id)), ...made];
    const input = { project: this.#project, keep: this.#keep, histories: facts.histories, built: facts.built, images };
    const first = selectGarbage({ ...input, inUse: facts.inUse ?? new Set() });
    const ours = (i: GcImage) => this.#done.has(i.image) && !this.#tried.has(i.imageId);
    if (first.images.some(ours) && facts.inUse === undefined) {
      facts.inUse = new Set((await this.#engine.listContainers({ labels: [] })).map((c) => c.imageId));
      return this.#next();
    }
    const selection = facts.inUse === undefined ? first : selectGarbage({ ...input, inUse: facts.inUse });
    const image = selection.images.find(ours);
    if (image !== undefined) return () => this.#removeImage(image);
    const pin = selection.pins.find((p) => this.#done.has(pinImage(this.#project, p.tag) ?? '') && !this.#tried.has(p.tag));
    return pin === undefined ? undefined : () => this.#removePin(pin);
  }

  /** 'gone' (or was), 'conflict' (a child image, a container) or 'kept' (an error, a warning). */
  async #remove(ref: string): Promise<'gone' | 'conflict' | 'kept'> {
    this.#tried.add(ref);
    try {
      await this.#engine.removeImage(ref);
      return 'gone';
    } catch (e) {
      const status = statusOf(e);
      if (status === 404) return 'gone';
      if (status === 409) return 'conflict';
      this.#warnings.push(`gc: cannot remove ${ref}: ${messageOf(e)}`);
      return 'kept';
    }
  }

  async #removePin(pin: GcPin): Promise<void> {
    if ((await this.#remove(pin.tag)) === 'gone') this.#pins++;
  }

  /** Its tags (the last one deletes it), then by ID for an image that had none; never cut by an abort. */
  async #removeImage(image: GcImage): Promise<void> {
    // Taken by an image of this run (found up to date): it stays, and the pass after the run sees it in use.
    if (!this.#claims.remove(image.imageId)) return void this.#tried.add(image.imageId);
    let gone = true;
    for (const tag of image.pins) gone &&= (await this.#remove(tag)) === 'gone';
    if (!gone) return void this.#tried.add(image.imageId);
    const last = await this.#remove(image.imageId);
    if (last === 'gone') this.#removed.push(image);
    // Untagged, it stays while an older build of an image still building is its child (classic builds):
    // that one's removal prunes it, or the retry after the run removes it.
    else if (last === 'conflict') this.#conflicted.push(image);
  }

  /** The images a child kept during the run, once more by ID (most went with that child). */
  async #retry(): Promise<void> {
    for (const image of this.#conflicted.splice(0)) {
      if (this.#signal.aborted) return;
      if ((await this.#remove(image.imageId)) === 'gone') this.#removed.push(image);
    }
  }
}
