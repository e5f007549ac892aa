/**
 * Soundness of the shared cache (issue 17), the remote variant of ./cache-soundness.test.ts:
 * the same random mutation sequences (./soundness-helpers.ts), and at every step
 *  1. `mbuild up --cache-to <registry>/cache` in the main copy, on the main engine: its own
 *     checks (no stale skip, no build of inputs seen before) and, new, every image's key
 *     (its io.mbuild.key label) is in the registry afterwards;
 *  2. `mbuild up --cache-from <registry>/cache` in a second copy of the project at the same
 *     state, under the SAME project name (the name is part of every key and of the labels a
 *     hit is checked by), against a second, empty engine (DOCKER_HOST), after every image of
 *     the project was removed from it: each image must come from the shared cache, under the
 *     key the main engine stored (not one image-started event there), and its /srv tree on
 *     the second engine must equal the --no-cache reference of the same inputs. Zero stale hits.
 *
 * The external base tags: the fixture reads `<P>-src:1` (base's FROM) and `<P>-src:2` (web's
 * COPY --from), which the test moves between two prepared images; their local IDs are in the
 * keys. The prepared images are copied onto the second engine once (`docker save | docker -H
 * load`, which keeps their image IDs), and before each step the second engine's src tags are
 * moved to the IDs the main engine's tags name, so the keys agree when the inputs do.
 *
 * MBUILD_SOUNDNESS_SEED=<n> replays a run (the seed is printed with every failure and in the
 * summary); MBUILD_SOUNDNESS_SEQUENCES=<n> changes the count (default 8, some 17 steps: each takes
 * 5-8 s on 2 cores, most of it pushes and pulls; 10 sequences took 2 minutes on an idle machine,
 * 12 took 3m50 for the file on a loaded one).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker } from '../helpers/engine-docker.js';
import { imageIdOf, type JsonEvent } from '../helpers/engine-events.js';
import { cacheTag } from '../../src/core/labels.js';
import type { TestProject } from '../helpers/engine-project.js';
import { startRegistry, tagsOf, type TestRegistry } from '../helpers/registry.js';
import { runCli } from '../helpers/run-cli.js';
import { startEngine, type SecondEngine } from '../helpers/second-engine.js';
import { treeReader, type TreeReader } from '../helpers/tree-digest.js';
import { BASELINE, createSoundness, IMAGES, srcTag, type Image, type Knobs, type StepDone } from './soundness-helpers.js';

const CACHE = 'cache';
let registry: TestRegistry | undefined;
let second: SecondEngine | undefined;
/** The second copy: the main copy's name, its own folder. */
let remote: TestProject | undefined;
let reader2: TreeReader;
/** What the second engine's src tags name now. */
let remoteTags: Knobs = { ...BASELINE };
/** Keys of the main engine's images (their io.mbuild.key label), by image ID. */
const keys = new Map<string, string>();
const stats = { runs: 0, hits: 0, builds: 0, stored: 0, upMs: 0 };

const cacheRepo = (): string => `${registry!.host}/${CACHE}`;
/** `docker -H <second engine> ARGS` */
const docker2 = (...args: string[]): string[] => docker('-H', second!.host, ...args);

const soundness = createSoundness({
  defaultSequences: 8,
  title: 'shared cache soundness',
  mainArgs: () => ['--cache-to', cacheRepo()],
  afterStep: onSecondEngine,
  summary: () =>
    `; second engine: ${stats.runs} runs, ${stats.hits} images from the shared cache, ${stats.builds} built, ` +
    `${stats.stored} stored by the main engine, time in its up ${(stats.upMs / 1000).toFixed(1)}s`,
});

/** The shared-cache tag of each image of the main engine: core/labels.ts cacheTag of the key it was built from. */
function mainKeys(events: readonly JsonEvent[]): Record<Image, string> {
  const ids = IMAGES.map((image) => imageIdOf(events, image));
  const unknown = [...new Set(ids.filter((id) => !keys.has(id)))];
  if (unknown.length > 0) {
    const labels = docker('image', 'inspect', '--format', '{{index .Config.Labels "io.mbuild.key"}}', ...unknown);
    unknown.forEach((id, i) => keys.set(id, labels[i]!));
  }
  return Object.fromEntries(IMAGES.map((image, i) => [image, cacheTag(soundness.main.name, image, keys.get(ids[i]!)!)])) as Record<Image, string>;
}

/** The second copy's contexts and the second engine's src tags as the main copy's are now; none of the project's images left there. */
function mirror(knobs: Knobs): void {
  const { main } = soundness;
  for (const image of IMAGES) {
    rmSync(join(remote!.dir, image), { recursive: true, force: true });
    cpSync(join(main.dir, image), join(remote!.dir, image), { recursive: true, verbatimSymlinks: true });
  }
  for (const n of [1, 2] as const) {
    const want = knobs[`src${n}`];
    if (remoteTags[`src${n}`] !== want) docker2('tag', soundness.prepared[want], srcTag(main.name, n));
  }
  remoteTags = { ...knobs };
  const ids = docker2('image', 'ls', '-a', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${main.name}`);
  if (ids.length > 0) docker2('rmi', '-f', ...new Set(ids));
}

/** Step 2 of the header: the second engine, from the shared cache only. */
async function onSecondEngine(done: StepDone): Promise<void> {
  const expected = mainKeys(done.events);
  const stored = new Set(await tagsOf(registry!.host, CACHE));
  stats.stored += done.events.filter((e) => e.type === 'cache-stored').length;
  for (const image of IMAGES) {
    if (!stored.has(expected[image])) expect.fail(`${image}: its cache tag ${expected[image]} is not in ${cacheRepo()} after up --cache-to; ${done.why}`);
  }
  mirror(done.knobs);
  const t = performance.now();
  const events = await soundness.up(remote!, done.knobs.version, ['--cache-from', cacheRepo()], done.why, { DOCKER_HOST: second!.host });
  stats.upMs += performance.now() - t;
  stats.runs++;
  const started = new Map(events.flatMap((e) => (e.type === 'image-started' ? [[e.image, e.why] as const] : [])));
  stats.builds += started.size;
  for (const image of IMAGES) {
    const built = started.get(image);
    if (built !== undefined) {
      expect.fail(`${image} was built on the second engine (why: ${built}) although the main engine had stored it as ${expected[image]}; ${done.why}`);
    }
  }
  const listings = IMAGES.map((image) => {
    const finished = events.find((e) => e.type === 'image-done' && e.image === image);
    const outcome = finished?.type === 'image-done' ? finished.outcome : undefined;
    const want = `${cacheRepo()}:${expected[image]}`;
    if (outcome?.kind !== 'up-to-date' || outcome.cache !== want) {
      expect.fail(`${image} on the second engine: ${JSON.stringify(outcome)}, expected up to date from ${want}; ${done.why}`);
    }
    stats.hits++;
    const listing = reader2.listing(outcome.imageId, '/srv');
    soundness.compare(image, done.digests[image], listing, `on the second engine, from the shared cache ${want}, ${outcome.imageId}`, done.why);
    return listing;
  });
  // Read before the next step removes the images from the second engine.
  await Promise.allSettled(listings);
}

beforeAll(async () => {
  soundness.setup();
  const [r, e] = await Promise.allSettled([startRegistry(), startEngine()]);
  registry = r.status === 'fulfilled' ? r.value : undefined;
  second = e.status === 'fulfilled' ? e.value : undefined;
  if (r.status === 'rejected') throw r.reason;
  if (e.status === 'rejected') throw e.reason;
  reader2 = treeReader(() => soundness.normalize, new Docker({ socketPath: second!.host.slice('unix://'.length) }));
  const { main, prepared } = soundness;
  const dir = mkdtempSync(join(tmpdir(), 'mbt-up-sndremote-'));
  cpSync(main.dir, dir, { recursive: true, verbatimSymlinks: true });
  remote = {
    name: main.name,
    dir,
    up: (args, env = {}) => runCli(['up', ...args], { cwd: dir, env: { ...process.env, ...env } }),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return [];
    },
  };
  // The prepared images under their own IDs (save/load keeps them), then the src tags as on the main engine.
  execFileSync('bash', ['-c', 'set -o pipefail; docker save "$MBT_X" "$MBT_Y" | docker -H "$MBT_HOST" load -q'], {
    env: { ...process.env, MBT_X: `${main.name}-prepared:x`, MBT_Y: `${main.name}-prepared:y`, MBT_HOST: second!.host },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  for (const n of [1, 2] as const) docker2('tag', prepared[BASELINE[`src${n}`]], srcTag(main.name, n));
  expect(docker2('image', 'inspect', '--format', '{{.Id}}', srcTag(main.name, 1), srcTag(main.name, 2))).toEqual([prepared.x, prepared.x]);
});

afterAll(async () => {
  remote?.cleanup();
  // The second engine's whole data root goes with it, images included; the registry's storage too.
  await Promise.all([second?.stop(), registry?.stop()]);
  expect(soundness.teardown()).toEqual([]);
});

it(`${soundness.sequences} random mutation sequences through a registry: every image on a second engine from the shared cache, no stale hit`, async () => {
  await soundness.run();
}, 900_000);
