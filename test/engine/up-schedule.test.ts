/**
 * `mbuild up` on the real engine, both builders: build order, parallelism and the `-j`
 * cap read from `--progress json` timestamps, and proof that every dependent was built
 * from the fresh build of its upstream (not a stale tag): each upstream writes a file that
 * is unique per build, and the layer chains of the images are compared.
 *
 * Fixture test/fixtures/up/diamond: base -> (a, b) -> c, where a and b sleep 1 s.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileInImage, idOf, inspectImage, pinTags, tagDecoy } from '../helpers/engine-docker.js';
import { count, imageIdOf, intervals, outcomes, overlap, parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';

const projects: TestProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind by the test project').toEqual([]);
});

const IMAGES = ['base', 'a', 'b', 'c'];

describe.each(['buildkit', 'classic'] as const)('mbuild up --builder %s: order and parallelism', (builder) => {
  it('-j 2 builds base once, then a and b at the same time, then c; every dependent is built from the fresh upstream', async () => {
    const p = copyFixture('diamond', `sched-${builder.slice(0, 2)}`);
    projects.push(p);
    // Stale images under the tags that a's FROM and c's COPY --from name: they must be replaced before a or c starts.
    const decoyBase = tagDecoy(`${p.name}/base:t`);
    const decoyA = tagDecoy(`${p.name}/a:t`);

    const r = await p.up(['--builder', builder, '--progress', 'json', '-j', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = parseEvents(r.stdout);

    expect(events[0]).toMatchObject({ type: 'run-started', jobs: 2, builder });
    expect([...(events[0] as Extract<JsonEvent, { type: 'run-started' }>).images].sort()).toEqual([...IMAGES].sort());
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', interrupted: false });
    expect(outcomes(events)).toEqual({ base: 'built', a: 'built', b: 'built', c: 'built' });
    // Every image, the shared base included, is built exactly once.
    for (const image of IMAGES) {
      expect(count(events, 'image-started', image), `${image} started`).toBe(1);
      expect(count(events, 'image-done', image), `${image} done`).toBe(1);
    }

    const t = intervals(events);
    const [base, a, b, c] = IMAGES.map((i) => t.get(i)!);
    // Order: each image starts only after its inputs are done (in time and in the stream).
    for (const up of [a!, b!]) {
      expect(up.start).toBeGreaterThanOrEqual(base!.end);
      expect(up.startIndex).toBeGreaterThan(base!.endIndex);
    }
    expect(c!.start).toBeGreaterThanOrEqual(Math.max(a!.end, b!.end));
    expect(c!.startIndex).toBeGreaterThan(Math.max(a!.endIndex, b!.endIndex));
    // Parallelism: a and b (1 s each) run at the same time; nothing else does.
    expect(overlap(a!, b!), `a ${JSON.stringify(a)} and b ${JSON.stringify(b)} overlap`).toBe(true);
    expect(overlap(base!, a!) || overlap(base!, b!) || overlap(c!, a!) || overlap(c!, b!)).toBe(false);

    // Tags are applied, and point at the fresh builds, not at the decoys.
    const ids = Object.fromEntries(IMAGES.map((i) => [i, imageIdOf(events, i)]));
    expect(idOf(`${p.name}/base:t`)).toBe(ids['base']);
    expect(idOf(`${p.name}/a:t`)).toBe(ids['a']);
    expect(idOf(`${p.name}-b:latest`)).toBe(ids['b']);
    expect(idOf(`${p.name}-c:latest`)).toBe(ids['c']);
    expect(ids['base']).not.toBe(decoyBase);
    expect(ids['a']).not.toBe(decoyA);
    // Pins exist only under BuildKit, only for images used by an {image:} arg, and name exactly the built ID.
    const pin = (i: string) => `mbuild-pin/${p.name}-${i}:${ids[i]!.replace(/^sha256:/, '')}`;
    expect(pinTags(p.name, 'base')).toEqual(builder === 'buildkit' ? [pin('base')] : []);
    expect(pinTags(p.name, 'b')).toEqual(builder === 'buildkit' ? [pin('b')] : []);
    expect(pinTags(p.name, 'a')).toEqual([]);
    expect(pinTags(p.name, 'c')).toEqual([]);
    if (builder === 'buildkit') {
      // b's FROM ${BASE} was resolved to base's pin, i.e. to base's image ID, not to a tag that could move.
      const bSteps = events.flatMap((e) => (e.type === 'image-step' && e.image === 'b' ? [e.step] : []));
      expect(
        bSteps.some((s) => s.endsWith(`FROM docker.io/${pin('base')}`)),
        bSteps.join('\n'),
      ).toBe(true);
    }

    // Built from the fresh upstream: the per-build files travel down the graph unchanged.
    const baseId = fileInImage(ids['base']!, '/base-id');
    expect(baseId).toMatch(new RegExp(`^${p.name} base [0-9a-f-]{36}\\n$`));
    expect(fileInImage(ids['a']!, '/base-id')).toBe(baseId);
    expect(fileInImage(ids['b']!, '/base-id')).toBe(baseId);
    const aId = fileInImage(ids['a']!, '/a-id');
    const bId = fileInImage(ids['b']!, '/b-id');
    expect(aId).not.toBe(bId);
    expect(fileInImage(ids['c']!, '/c-inputs')).toBe(baseId + aId + bId);
    // ...and the layer chains agree: a and b extend base's layers, c extends b's.
    const layers = (i: string) => inspectImage(ids[i]!)!.layers;
    for (const [child, parent] of [
      ['a', 'base'],
      ['b', 'base'],
      ['c', 'b'],
    ] as const) {
      expect(layers(child).slice(0, layers(parent).length), `${child} is built on ${parent}`).toEqual(layers(parent));
      expect(layers(child).length).toBeGreaterThan(layers(parent).length);
    }

    // The marks mbuild promises (BuildKit: labels; classic: a tag, with no LABEL step), and the full log of every build.
    const key = readFileSync(join(p.dir, '.mbuild', 'state', 'c.json.key'), 'utf8').split(' ')[0]!;
    const built = inspectImage(ids['c']!)!;
    if (builder === 'buildkit') expect(built.labels).toMatchObject({ 'io.mbuild.project': p.name, 'io.mbuild.image': 'c', 'io.mbuild.key': key });
    else {
      expect(built.repoTags).toContain(`mbuild-key/${p.name}/c:${key}`);
      expect(Object.keys(built.labels).filter((k) => k.startsWith('io.mbuild.'))).toEqual([]);
    }
    for (const image of IMAGES) expect(existsSync(join(p.dir, '.mbuild', 'logs', `${image}.log`)), `${image}.log`).toBe(true);
    expect(readFileSync(join(p.dir, '.mbuild', 'logs', 'a.log'), 'utf8')).toMatch(/RUN sleep 1 && cat \/proc\/sys\/kernel\/random\/uuid > \/a-id/);
  });

  it('-j 1 never runs two builds at once, although a and b are ready together', async () => {
    const p = copyFixture('diamond', `serial-${builder.slice(0, 2)}`);
    projects.push(p);
    const r = await p.up(['--builder', builder, '--progress', 'json', '-j', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const events = parseEvents(r.stdout);
    expect(events[0]).toMatchObject({ type: 'run-started', jobs: 1, builder });
    expect(outcomes(events)).toEqual({ base: 'built', a: 'built', b: 'built', c: 'built' });

    const t = [...intervals(events).values()].sort((x, y) => x.startIndex - y.startIndex);
    expect(t.map((i) => i.image)).toHaveLength(4);
    expect(t[0]!.image).toBe('base');
    expect(t[3]!.image).toBe('c');
    // On the engine the builds never interleave: every step and log line of one build
    // comes before the first of the next.
    const activity = (image: string) => events.flatMap((e, i) => ((e.type === 'image-step' || e.type === 'image-log') && e.image === image ? [i] : []));
    for (let i = 1; i < t.length; i++) {
      expect(activity(t[i]!.image).length).toBeGreaterThan(0);
      expect(Math.min(...activity(t[i]!.image)), `${t[i]!.image} steps after ${t[i - 1]!.image} steps`).toBeGreaterThan(Math.max(...activity(t[i - 1]!.image)));
    }
    // The second of a/b was ready (queued) while the first was building: the cap, not the graph, serialised them.
    const [first, second] = [t[1]!, t[2]!];
    const queued = events.findIndex((e) => e.type === 'image-queued' && e.image === second.image);
    expect(queued).toBeGreaterThan(-1);
    expect(queued).toBeLessThan(first.endIndex);
    // What the events report is disjoint too, in time and in the stream: with -j 1 no
    // image-started may come while another image has started and is not done.
    // BUG (executor.ts): image-done is emitted in #execute's .then(), after WorkerPool.run's
    // finally has already handed the slot to the next job, whose buildOne emits image-started
    // first: the stream shows b started before a is done (plain output: "[b] building" before "[a] built").
    for (let i = 1; i < t.length; i++) {
      expect(t[i]!.startIndex, `${t[i]!.image} image-started comes after ${t[i - 1]!.image} image-done`).toBeGreaterThan(t[i - 1]!.endIndex);
      expect(t[i]!.start, `${t[i]!.image} starts after ${t[i - 1]!.image} ends`).toBeGreaterThanOrEqual(t[i - 1]!.end);
    }
  });
});
