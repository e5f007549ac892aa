/**
 * Soundness of the cache, as a property (issue 5): random mutation sequences over a small
 * monorepo; after each step `mbuild up` runs, and every image's /srv tree must equal the
 * tree of a reference built with `--no-cache` from the same inputs. Zero stale skips.
 * The other way round: an image whose inputs are the same as at some earlier step (a
 * touch, an ignored file, a change reverted) must not be built at all.
 *
 * The fixture, the mutations, the references and the checks are in ./soundness-helpers.ts
 * (shared with the shared-cache variant, ./cache-soundness-remote.test.ts).
 *
 * MBUILD_SOUNDNESS_SEED=<n> replays a run (the seed is printed with every failure and in
 * the summary); MBUILD_SOUNDNESS_SEQUENCES=<n> changes the count (default 100; CI time: 200 took ~5 minutes of the 20).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSoundness } from './soundness-helpers.js';

const soundness = createSoundness({ defaultSequences: 100, title: 'cache soundness' });

beforeAll(() => {
  soundness.setup();
});

afterAll(() => {
  expect(soundness.teardown()).toEqual([]);
});

it(`${soundness.sequences} random mutation sequences: no stale skip, and no build when the inputs were seen before`, async () => {
  await soundness.run();
}, 900_000);
