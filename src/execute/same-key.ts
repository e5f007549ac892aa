/**
 * One build per key per run (issue 23). Images whose keys are equal are the same build: the
 * first to find its key missing from the engine claims it and builds; every other image of
 * the run with that key waits for it (without a build slot), then takes its image ID.
 *
 * The key holds everything that can change the image; the build request adds only what is
 * the image's own (its name in the `io.mbuild.image` label, its tags, pins, outputs and
 * pushes, all applied per image afterwards) and what `foldId` adds: a build no cache may
 * skip (`no_cache`) and the sources of its secrets and ssh agents, which the key does not
 * name (their values are no input unless `secret_in_key`), fold only with their equals
 * (cache/fold.ts `foldId`, which `mbuild plan` uses too).
 */
import type { Failure } from '../core/events.js';

/** What the image that claimed a key ended with, as the others of that key take it. */
export type Shared =
  /** Built (or pulled from the shared cache): the others take this image ID. */
  | { readonly kind: 'image'; readonly imageId: string; readonly why: string }
  /** It failed before it had an image: the others fail naming it. */
  | { readonly kind: 'failed'; readonly failure: Failure }
  /** It ended without an image the others can take (cancelled on its own, left in a registry): the next one claims the key. */
  | { readonly kind: 'released' };

export type Claim =
  { readonly first: true; readonly settle: (s: Shared) => void } | { readonly first: false; readonly image: string; readonly shared: Promise<Shared> };

interface Entry {
  readonly image: string;
  readonly shared: Promise<Shared>;
}

/** The claims of one run, by `foldId`. */
export class SameKey {
  readonly #claims = new Map<string, Entry>();

  /** The claim of another image on `id`, if any: `image` waits for it. */
  held(id: string, image: string): Extract<Claim, { first: false }> | undefined {
    const held = this.#claims.get(id);
    return held === undefined || held.image === image ? undefined : { first: false, image: held.image, shared: held.shared };
  }

  /** The first image to claim `id` builds it (and must `settle` it once); the others wait for what it settles. */
  claim(id: string, image: string): Claim {
    const held = this.held(id, image);
    if (held !== undefined) return held;
    let settle!: (s: Shared) => void;
    const shared = new Promise<Shared>((resolve) => (settle = resolve));
    const entry: Entry = { image, shared };
    this.#claims.set(id, entry);
    let settled = false;
    return {
      first: true,
      settle: (s) => {
        if (settled) return;
        settled = true;
        if (s.kind === 'released' && this.#claims.get(id) === entry) this.#claims.delete(id);
        settle(s);
      },
    };
  }
}
