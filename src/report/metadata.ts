/**
 * What `--metadata-file FILE` writes (docs/metadata.md): per image, its result, why it was
 * built, its ID and tags, the shared cache entry it came from or was stored as, each tag
 * pushed with its digest, and why it failed; so that a CI script can read
 * `.images.api.pushed[0].digest`. Built from BuildEvents; in watch mode several runs update
 * one document, each image as its last run left it.
 *
 * The version rule: within a version, fields are only ever added; a field removed or whose
 * meaning changes makes a new version.
 */
import type { BuildEvent, Failure, ImageOutcome } from '../core/events.js';
import { byText } from '../core/order.js';
import { unreachable } from '../core/result.js';

export const METADATA_VERSION = 1;

export type MetadataResult = 'built' | 'up-to-date' | 'failed' | 'skipped' | 'not-started' | 'cancelled';

export interface PushedTag {
  readonly ref: string;
  readonly digest: string;
  /** `push`: the layers were sent; `copy`: the manifest was copied from the shared cache. */
  readonly via: 'push' | 'copy';
}

export interface MetadataFailure {
  /** A `Failure` reason of core/events.ts, e.g. `build-failed`, `push-failed`, `dependency-failed`. */
  readonly reason: string;
  readonly message: string;
  /** `build-failed`: the failing step as the builder named it. */
  readonly step?: string;
  /** `push-failed`: the tag that could not be pushed. */
  readonly ref?: string;
  /** `dependency-failed`: the upstream image that failed. */
  readonly dependency?: string;
  /** `same-as-failed`: the image of the same key whose build failed. */
  readonly sameAs?: string;
}

/** One image; absent fields are left out. */
export interface ImageMetadata {
  readonly result: MetadataResult;
  /** Why it was built (its build started in the run): the changed inputs. */
  readonly why?: string;
  /** `built` by the build of another image of the run with the same key (issue 23): that image; `why` is its reason. */
  readonly sameAs?: string;
  readonly imageId?: string;
  readonly tags?: readonly string[];
  /** The shared cache entry (`REF:<key>`) it was pulled from. */
  readonly cache?: string;
  /** The shared cache entry it was stored as. */
  readonly cacheStored?: string;
  /** Tags pushed, in the order of `tags` (others after, by name). */
  readonly pushed?: readonly PushedTag[];
  /** For `failed` and `skipped`. */
  readonly failure?: MetadataFailure;
}

export interface MetadataDocument {
  readonly version: typeof METADATA_VERSION;
  /** By image name, in text order (write it with `metadataJson`, which keeps that order for any name). */
  readonly images: Readonly<Record<string, ImageMetadata>>;
}

/** What the events of an image's last run said. */
interface ImageState {
  outcome?: ImageOutcome;
  why?: string;
  imageId?: string;
  tags?: readonly string[];
  cacheStored?: string;
  readonly pushed: Map<string, PushedTag>;
  /** Tags whose push failed, with the message. */
  readonly pushFailed: Map<string, string>;
}

const fresh = (): ImageState => ({ pushed: new Map(), pushFailed: new Map() });

export class MetadataCollector {
  readonly #images = new Map<string, ImageState>();

  onEvent(e: BuildEvent): void {
    switch (e.type) {
      case 'run-started':
        // A new run of these images: what an earlier run said of them no longer holds.
        for (const image of e.images) this.#images.set(image, fresh());
        break;
      case 'image-started':
        this.#state(e.image).why = e.why;
        break;
      case 'image-done':
        this.#outcome(e.image, e.outcome, e.tags);
        break;
      case 'push-done': {
        const s = this.#state(e.image);
        s.pushed.set(e.ref, { ref: e.ref, digest: e.digest, via: e.via });
        s.pushFailed.delete(e.ref);
        break;
      }
      case 'push-failed':
        this.#state(e.image).pushFailed.set(e.ref, e.message);
        break;
      case 'cache-stored':
        this.#state(e.image).cacheStored = e.ref;
        break;
      case 'run-finished':
        // The final outcome of each image (a push failure turns a built image into a failed one).
        for (const { image, outcome } of e.results) this.#outcome(image, outcome, undefined);
        break;
      case 'image-queued':
      case 'image-moved':
      case 'image-step':
      case 'image-log':
      case 'image-warning':
      case 'image-output':
      case 'push-started':
      case 'push-progress':
        break;
      default:
        unreachable(e);
    }
  }

  document(): MetadataDocument {
    const names = [...this.#images.keys()].sort(byText);
    return { version: METADATA_VERSION, images: Object.fromEntries(names.map((n) => [n, entry(this.#images.get(n)!)])) };
  }

  #state(image: string): ImageState {
    let s = this.#images.get(image);
    if (s === undefined) this.#images.set(image, (s = fresh()));
    return s;
  }

  #outcome(image: string, outcome: ImageOutcome, tags: readonly string[] | undefined): void {
    const s = this.#state(image);
    s.outcome = outcome;
    if (outcome.kind !== 'failed') {
      s.imageId = outcome.imageId;
      if (tags !== undefined) s.tags = tags;
    } else if (outcome.failure.reason === 'push-failed') {
      // Built or up to date, then a push failed: the ID and tags stand.
      s.pushFailed.set(outcome.failure.ref, outcome.failure.message);
    } else {
      delete s.imageId;
      delete s.tags;
    }
  }
}

/** The document's entry for one image, its keys in the documented order. */
function entry(s: ImageState): ImageMetadata {
  const result = resultOf(s);
  const cache = s.outcome?.kind === 'up-to-date' ? s.outcome.cache : undefined;
  const sameAs = s.outcome?.kind === 'same-as' ? s.outcome : undefined;
  const why = s.why ?? sameAs?.why;
  const order = tagOrder(s.tags ?? []);
  const pushed = [...s.pushed.values()].sort((a, b) => order(a.ref, b.ref));
  const failure = failureOf(s, order);
  return {
    result,
    ...(why !== undefined && why !== '' && { why }),
    ...(sameAs !== undefined && { sameAs: sameAs.sameAs }),
    ...(s.imageId !== undefined && { imageId: s.imageId }),
    ...(s.tags !== undefined && { tags: [...s.tags] }),
    ...(cache !== undefined && { cache }),
    ...(s.cacheStored !== undefined && { cacheStored: s.cacheStored }),
    ...(pushed.length > 0 && { pushed }),
    ...(failure !== undefined && (result === 'failed' || result === 'skipped') && { failure }),
  };
}

function resultOf(s: ImageState): MetadataResult {
  const o = s.outcome;
  if (o === undefined) return 'not-started';
  if (o.kind !== 'failed') return s.pushFailed.size > 0 ? 'failed' : o.kind === 'same-as' ? 'built' : o.kind;
  switch (o.failure.reason) {
    case 'dependency-failed':
      return 'skipped';
    case 'not-started':
      return 'not-started';
    case 'cancelled':
      return 'cancelled';
    case 'build-failed':
    case 'engine-error':
    case 'context-error':
    case 'mount-failed':
    case 'output-failed':
    case 'push-failed':
    case 'same-as-failed':
    case 'unknown-error':
      return 'failed';
    default:
      return unreachable(o.failure);
  }
}

/** Refs in the order of the image's tags, then the others by name. */
function tagOrder(tags: readonly string[]): (a: string, b: string) => number {
  const rank = (ref: string): number => {
    const i = tags.indexOf(ref);
    return i === -1 ? tags.length : i;
  };
  return (a, b) => rank(a) - rank(b) || byText(a, b);
}

/** Why the image failed: its outcome's failure, else the first push that failed (in tag order). */
function failureOf(s: ImageState, order: (a: string, b: string) => number): MetadataFailure | undefined {
  if (s.outcome?.kind === 'failed' && s.outcome.failure.reason !== 'push-failed') return describe(s.outcome.failure);
  const [ref] = [...s.pushFailed.keys()].sort(order);
  return ref === undefined ? undefined : { reason: 'push-failed', message: s.pushFailed.get(ref)!, ref };
}

function describe(f: Failure): MetadataFailure {
  switch (f.reason) {
    case 'build-failed':
      return { reason: f.reason, message: f.message, ...(f.step !== undefined && { step: f.step }) };
    case 'push-failed':
      return { reason: f.reason, message: f.message, ref: f.ref };
    case 'dependency-failed':
      return { reason: f.reason, message: `${f.dependency} failed`, dependency: f.dependency };
    case 'same-as-failed':
      return { reason: f.reason, message: `same key as ${f.image}, whose build failed`, sameAs: f.image };
    case 'cancelled':
      return { reason: f.reason, message: 'cancelled' };
    case 'not-started':
      return { reason: f.reason, message: 'not started' };
    case 'engine-error':
    case 'context-error':
    case 'mount-failed':
    case 'output-failed':
    case 'unknown-error':
      return { reason: f.reason, message: f.message };
    default:
      return unreachable(f);
  }
}

/**
 * The document as the file holds it: JSON, two-space indented, one final newline, images in
 * text order (a plain object would put names like `2` before `10` and before `api`).
 */
export function metadataJson(doc: MetadataDocument): string {
  const names = Object.keys(doc.images).sort(byText);
  if (names.length === 0) return `${JSON.stringify({ version: doc.version, images: {} }, null, 2)}\n`;
  const indent = (text: string) => text.replace(/\n/g, '\n    ');
  const images = names.map((n) => `    ${JSON.stringify(n)}: ${indent(JSON.stringify(doc.images[n], null, 2))}`);
  return `{\n  "version": ${JSON.stringify(doc.version)},\n  "images": {\n${images.join(',\n')}\n  }\n}\n`;
}
