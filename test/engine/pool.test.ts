/**
 * `mbuild up|watch` on a pool of real engines (issue 21): the main engine as home plus second
 * dockerds started here (test/helpers/second-engine.ts), each stopped in afterAll. A wide
 * graph spreads over every engine, moves each image at most once per engine and ends tagged
 * at home, with the same file trees as a one-engine build; `COPY --from`, `RUN --mount=from`
 * and an external base moved to the engine that builds, mounts and image contexts read at
 * home; an engine SIGKILLed or frozen (SIGSTOP) mid-build has its build placed again; an
 * upstream stored in the shared cache reaches another engine through it; Ctrl-C leaves nothing on
 * any engine; `--tag-everywhere`; a key held only by another engine is moved home, not built;
 * an engine that does not answer at start is left out with a warning, a bad spec is exit 2;
 * watch rebuilds on the pool. Every wait is for an event or a process, never a sleep.
 *
 * Needs the compiled CLI for the child-process cases (`npm run build`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { docker, fileInImage, idOf, processesWith, projectTags, removeProjectImages } from '../helpers/engine-docker.js';
import { parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import type { TestProject } from '../helpers/engine-project.js';
import { runCli, spawnCli, type CliResult } from '../helpers/run-cli.js';
import { startEngine, type SecondEngine } from '../helpers/second-engine.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { tempProject } from '../helpers/temp-project.js';
import { treeReader } from '../helpers/tree-digest.js';
import { WatchSession } from '../fixtures/watch/watch-session.js';

const HOME = process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';

let e2: SecondEngine | undefined;
let e3: SecondEngine | undefined;
type Builder = 'buildkit' | 'classic';
/** Killed mid-build, one per builder; no other case uses them. */
const victims: Partial<Record<Builder, SecondEngine>> = {};
const killed = new Set<SecondEngine>();
/** Frozen mid-build (SIGSTOP): woken before they are stopped. */
const frozen = new Set<SecondEngine>();
const cleanups: (() => string[])[] = [];

beforeAll(async () => {
  const started = await Promise.allSettled(['2', '3', 'vb', 'vc'].map((n) => startEngine({ prefix: `mbt-pool${n}-` })));
  [e2, e3, victims.buildkit, victims.classic] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}, 180_000);

afterAll(async () => {
  const engines = [e2, e3, victims.buildkit, victims.classic].flatMap((e) => (e ? [e] : []));
  const left: string[] = [];
  for (const v of frozen) process.kill(v.pid, 'SIGCONT');
  try {
    left.push(...cleanups.splice(0).flatMap((c) => c()));
    // A killed engine's containers outlive it in their containerd shims (the classic builder's RUN step): ended by PID.
    for (const v of killed)
      for (const pid of processesWith(v.dir).filter((p) => commandOf(p).includes('containerd-shim'))) process.kill(Number(pid), 'SIGKILL');
  } finally {
    await Promise.all(engines.map((e) => e.stop()));
  }
  await vi.waitFor(
    () =>
      expect(
        engines.flatMap((e) => processesWith(e.dir).map(commandOf)),
        'processes of the engines left',
      ).toEqual([]),
    {
      timeout: 10_000,
      interval: 100,
    },
  );
  expect(left, 'images left behind on some engine').toEqual([]);
}, 300_000);

/** A process's command line, '' once it is gone. */
function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The engines that still answer, by name. */
function liveHosts(): Record<string, string> {
  return {
    home: HOME,
    ...(e2 && { e2: e2.host }),
    ...(e3 && { e3: e3.host }),
    ...Object.fromEntries(Object.entries(victims).flatMap(([b, v]) => (killed.has(v) || frozen.has(v) ? [] : [[`victim-${b}`, v.host]]))),
  };
}

/** `fn` with the docker CLI of the helpers pointed at `host` (synchronous: nothing else runs meanwhile). */
function onHost<T>(host: string, fn: () => T): T {
  const saved = process.env['DOCKER_HOST'];
  process.env['DOCKER_HOST'] = host;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = saved;
  }
}

const idOn = (host: string, ref: string): string | undefined => onHost(host, () => idOf(ref));

/** A project in a temp folder whose images are removed from every live engine afterwards. */
function project(label: string, files: (name: string) => Record<string, string>): { name: string; dir: string } {
  const p = tempProject(label, files, 'mbt-pool-');
  cleanups.push(() => {
    const left = p.cleanup();
    for (const [engine, host] of Object.entries(liveHosts())) {
      if (engine !== 'home') left.push(...onHost(host, () => removeProjectImages(p.name)).map((x) => `${engine}: ${x}`));
    }
    return left;
  });
  return p;
}

/** `--engine` flags: home and the named second engines, `slots` each. */
function engineFlags(names: readonly string[], slots: Partial<Record<string, number>> = {}, hosts = liveHosts()): string[] {
  return ['home', ...names].flatMap((n) => ['--engine', `${hosts[n]!},slots=${slots[n] ?? 1},name=${n}`]);
}

const yaml = (name: string, images: Record<string, string[]>): string =>
  [
    'version: 1',
    `name: ${name}`,
    'defaults:',
    '  network: none',
    'images:',
    ...Object.entries(images).flatMap(([image, lines]) => [`  ${image}:`, `    tags: ["${name}/${image}:t"]`, ...lines.map((l) => `    ${l}`)]),
    '',
  ].join('\n');

type Ev<T extends JsonEvent['type']> = Extract<JsonEvent, { type: T }>;
const ofType = <T extends JsonEvent['type']>(events: readonly JsonEvent[], type: T): Ev<T>[] => events.filter((e): e is Ev<T> => e.type === type);
const startedOn = (events: readonly JsonEvent[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const e of ofType(events, 'image-started')) (out[e.image] ??= []).push(e.engine ?? '(none)');
  return out;
};
const builtIds = (events: readonly JsonEvent[]): Record<string, string> =>
  Object.fromEntries(ofType(events, 'image-done').flatMap((e) => (e.outcome.kind === 'failed' ? [] : [[e.image, e.outcome.imageId]])));
const kinds = (events: readonly JsonEvent[]): Record<string, string> =>
  Object.fromEntries(ofType(events, 'image-done').map((e) => [e.image, e.outcome.kind === 'failed' ? `failed: ${e.outcome.failure.reason}` : e.outcome.kind]));
const show = (r: CliResult): string => `exit ${r.code}\nstdout:\n${r.stdout.slice(-6000)}\nstderr:\n${r.stderr.slice(-3000)}`;

/** The events of a running child's stdout so far (complete lines only). */
function eventsSoFar(stdout: string): JsonEvent[] {
  return parseEvents(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const up = (dir: string, args: readonly string[]): Promise<CliResult> => runCli(['up', '--progress', 'json', ...args], { cwd: dir, env: { ...process.env } });

/** Temporary containers of mbuild process `pid` on the engine at `host`, in any state. */
const tempContainersOf = (host: string, pid: number): string[] => docker('-H', host, 'ps', '-a', '-q', '--filter', `label=io.mbuild.pid=${pid}`);

const LEAVES = ['l1', 'l2', 'l3', 'l4', 'l5'] as const;

/** base, and five leaves FROM it with a one-second RUN each. */
const wideProject = (label: string) =>
  project(label, (name) => ({
    'mbuild.yaml': yaml(name, {
      base: ['context: base'],
      ...Object.fromEntries(LEAVES.map((l, i) => [l, ['context: leaf', `args: {N: "${i + 1}"}`]])),
    }),
    'base/Dockerfile': ['FROM busybox', `LABEL mbt.project=${name}`, `RUN echo "${name} base" > /base.txt && mkdir -p /srv && echo base > /srv/base`, ''].join(
      '\n',
    ),
    'leaf/Dockerfile': ['FROM base', 'ARG N', `LABEL mbt.project=${name}`, 'RUN sleep 1 && cat /base.txt > /leaf && echo "leaf $N" >> /leaf', ''].join('\n'),
  }));

describe.each(['buildkit', 'classic'] as const)('--builder %s: a wide graph on three engines', (builder) => {
  let p: { name: string; dir: string };
  let pool: CliResult;
  let events: JsonEvent[];

  beforeAll(async () => {
    p = wideProject(`pool-wide-${builder.slice(0, 2)}`);
    pool = await up(p.dir, ['--builder', builder, ...engineFlags(['e2', 'e3'])]);
    events = parseEvents(pool.stdout);
  });

  it('uses every engine, moves each image at most once per engine, and tags every image at home', () => {
    expect(pool.code, show(pool)).toBe(0);
    expect(ofType(events, 'run-started')[0]?.engines).toEqual(['home', 'e2', 'e3']);
    const on = startedOn(events);
    expect(Object.keys(on).sort()).toEqual(['base', ...LEAVES]);
    for (const [image, engines] of Object.entries(on)) expect(engines, `${image} started once`).toHaveLength(1);
    expect(new Set(Object.values(on).flat()), show(pool)).toEqual(new Set(['home', 'e2', 'e3']));

    const moved = ofType(events, 'image-moved');
    const pairs = moved.map((m) => `${m.image}->${m.to}`);
    expect(pairs.length, `no image moved twice to one engine: ${pairs.join(', ')}`).toBe(new Set(pairs).size);
    for (const m of moved) {
      expect(m.bytes).toBeGreaterThan(0);
      expect(m.from).not.toBe(m.to);
    }
    // Each image built away from home went home from there; each leaf built away had base brought to it (unless base was built there).
    const baseOn = on['base']![0]!;
    for (const [image, [engine = '']] of Object.entries(on)) {
      if (engine !== 'home')
        expect(
          moved.some((m) => m.image === image && m.from === engine && m.to === 'home'),
          `${image} moved home from ${engine}`,
        ).toBe(true);
      if (image !== 'base' && engine !== baseOn) expect(pairs, `base moved to ${engine} for ${image}`).toContain(`base->${engine}`);
    }

    const ids = builtIds(events);
    for (const image of ['base', ...LEAVES]) expect(idOf(`${p.name}/${image}:t`), `${image} tagged at home`).toBe(ids[image]);
    LEAVES.forEach((l, i) => expect(fileInImage(`${p.name}/${l}:t`, '/leaf')).toBe(`${p.name} base\nleaf ${i + 1}\n`));
  });

  it('gives the same file trees as a one-engine build of the same project', async () => {
    expect(pool.code, show(pool)).toBe(0);
    const poolIds = builtIds(events);
    const one = await up(p.dir, ['--builder', builder, '--no-cache', '-j', '6']);
    expect(one.code, show(one)).toBe(0);
    const oneEvents = parseEvents(one.stdout);
    expect(ofType(oneEvents, 'image-started').map((e) => e.engine)).toEqual(Array(6).fill(undefined));
    const oneIds = builtIds(oneEvents);
    const trees = treeReader();
    for (const image of ['base', ...LEAVES]) {
      const [a, b] = await Promise.all([trees.listing(poolIds[image]!, '/'), trees.listing(oneIds[image]!, '/')]);
      expect(a.length).toBeGreaterThan(100); // busybox and more: a real tree
      expect(a, `${image}: pool build vs one-engine build`).toEqual(b);
    }
  });
});

describe.each(['buildkit', 'classic'] as const)('--builder %s: what a build reads, across engines', (builder) => {
  it('moves COPY --from (and RUN --mount=from) sources and an external base to the engine that builds; reads mounts and image contexts at home', async () => {
    const SRC = ['s1', 's2', 's3'];
    const COPIERS = ['c1', 'c2', 'c3'];
    const p = project(`pool-xe-${builder.slice(0, 2)}`, (name) => ({
      'mbuild.yaml': yaml(name, {
        ...Object.fromEntries(SRC.map((s) => [s, ['context: src', `args: {S: "${s}"}`]])),
        ...Object.fromEntries(COPIERS.map((c) => [c, ['context: copied', `args: {C: "${c}"}`]])),
        mounted: ['context: mounted', 'mounts:', ...[...SRC, 'c1'].flatMap((s) => [`  - from: ${s}`, '    path: /data', `    to: got/${s}`])],
        ctx: ['context: {image: c1, path: /data}', 'dockerfile: ctx.Dockerfile'],
      }),
      'src/Dockerfile': ['FROM busybox', 'ARG S', `LABEL mbt.project=${name}`, `RUN sleep 2 && mkdir /data && echo "${name} $S" > /data/file`, ''].join('\n'),
      'copied/Dockerfile': [
        `FROM ${name}-ext/base:1`,
        'ARG C',
        `LABEL mbt.project=${name}`,
        ...SRC.map((s) => `COPY --from=${s} /data/file /got/${s}`),
        builder === 'buildkit'
          ? 'RUN --mount=from=s2,source=/data,target=/m sleep 1 && cat /m/file > /mounted-s2 && mkdir /data && echo $C > /data/file'
          : 'RUN sleep 1 && mkdir /data && echo $C > /data/file',
        '',
      ].join('\n'),
      'mounted/Dockerfile': ['FROM busybox', `LABEL mbt.project=${name}`, 'COPY got/ /got/', ''].join('\n'),
      'ctx.Dockerfile': ['FROM busybox', `LABEL mbt.project=${name}`, 'COPY file /ctx-file', ''].join('\n'),
    }));
    // An external base only the home engine holds.
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', `${p.name}-ext/base:1`, '-'], {
      input: `FROM busybox\nLABEL mbt.project=${p.name}\nRUN echo ext > /ext\n`,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const extId = idOf(`${p.name}-ext/base:1`)!;
    for (const e of [e2!, e3!]) expect(idOn(e.host, extId)).toBeUndefined();

    const r = await up(p.dir, ['--builder', builder, ...engineFlags(['e2', 'e3'])]);
    expect(r.code, show(r)).toBe(0);
    const events = parseEvents(r.stdout);
    const on = startedOn(events);
    // Three images ready at once on three one-slot engines: one each.
    expect(new Set(SRC.map((s) => on[s]![0])), show(r)).toEqual(new Set(['home', 'e2', 'e3']));
    expect(new Set(COPIERS.map((c) => on[c]![0])), show(r)).toEqual(new Set(['home', 'e2', 'e3']));
    const moved = ofType(events, 'image-moved').map((m) => `${m.image}->${m.to}`);
    expect(moved.length, moved.join(', ')).toBe(new Set(moved).size);
    for (const c of COPIERS) {
      const where = on[c]![0]!;
      // Every source not built where the copier was built was moved there; the external base too.
      for (const s of SRC) if (on[s]![0] !== where && where !== 'home') expect(moved, `${s} moved to ${where} for ${c}`).toContain(`${s}->${where}`);
      if (where !== 'home') expect(moved, `the external base moved to ${where}`).toContain(`${p.name}-ext/base:1->${where}`);
      for (const s of SRC) expect(fileInImage(`${p.name}/${c}:t`, `/got/${s}`)).toBe(`${p.name} ${s}\n`);
      expect(fileInImage(`${p.name}/${c}:t`, '/ext')).toBe('ext\n');
      if (builder === 'buildkit') expect(fileInImage(`${p.name}/${c}:t`, '/mounted-s2')).toBe(`${p.name} s2\n`);
    }
    for (const s of SRC) expect(fileInImage(`${p.name}/mounted:t`, `/got/${s}/file`)).toBe(`${p.name} ${s}\n`);
    expect(fileInImage(`${p.name}/mounted:t`, '/got/c1/file')).toBe('c1\n');
    expect(fileInImage(`${p.name}/ctx:t`, '/ctx-file')).toBe('c1\n');
  });
});

// BuildKit's engine is killed (its socket refuses); the classic one is frozen (SIGSTOP: its socket accepts and never answers, as a cut network or a hung daemon), which only the pool's probe notices.
describe.each([
  ['buildkit', 'killed'],
  ['classic', 'frozen'],
] as const)('--builder %s: an engine %s mid-build', (builder, fault) => {
  it('has its build placed again on another engine once; the run succeeds', async () => {
    const victim = victims[builder]!;
    const p = project(`pool-kill-${builder.slice(0, 2)}`, (name) => ({
      'mbuild.yaml': yaml(name, { a: ['context: .', 'args: {X: a}'], b: ['context: .', 'args: {X: b}'] }),
      Dockerfile: ['FROM busybox', 'ARG X', `LABEL mbt.project=${name}`, `RUN sleep 6 && echo ${name}-slow-$X > /x`, ''].join('\n'),
    }));
    // home has two slots, victim one: the second build goes to the less loaded victim.
    const meta = join(p.dir, 'meta.json');
    const args = ['up', '--progress', 'json', '--builder', builder, '--metadata-file', meta];
    const cli = spawnCli([...args, ...engineFlags(['victim'], { home: 2 }, { home: HOME, victim: victim.host })], { cwd: p.dir });
    let exited = false as boolean;
    void cli.done.then(() => (exited = true));
    try {
      await expect
        .poll(() => eventsSoFar(cli.output().stdout).some((e) => e.type === 'image-started' && e.engine === 'victim'), { timeout: 60_000, interval: 50 })
        .toBe(true);
      const onVictim = ofType(eventsSoFar(cli.output().stdout), 'image-started').find((e) => e.engine === 'victim')!.image;
      // Its RUN step is running (both engines run on this host).
      await expect.poll(() => processesWith(`${p.name}-slow-`).length, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(2);
      expect(exited).toBe(false);
      if (fault === 'killed') {
        process.kill(victim.pid, 'SIGKILL');
        killed.add(victim);
      } else {
        process.kill(victim.pid, 'SIGSTOP');
        frozen.add(victim);
      }

      const r = await withDeadline(cli.done, 90_000, 'the run to finish');
      expect(r.code, show(r)).toBe(0);
      const events = parseEvents(r.stdout);
      const again = ofType(events, 'image-started').filter((e) => e.image === onVictim);
      expect(again.map((e) => e.engine)).toEqual(['victim', 'home']);
      expect(again[1]!.why).toBe('engine victim stopped answering; building again');
      // The image's row (the metadata file is made from the same events as the summary).
      const rows = (JSON.parse(readFileSync(meta, 'utf8')) as { images: Record<string, { why?: string; result: string }> }).images;
      expect(rows[onVictim]).toMatchObject({ result: 'built', why: 'engine victim stopped answering; building again' });
      expect(kinds(events)).toEqual({ a: 'built', b: 'built' });
      for (const x of ['a', 'b']) expect(fileInImage(`${p.name}/${x}:t`, '/x')).toBe(`${p.name}-slow-${x}\n`);
    } finally {
      if (!exited) process.kill(-cli.child.pid!, 'SIGKILL');
    }
  });
});

describe.each(['buildkit', 'classic'] as const)('--builder %s: Ctrl-C with builds on two engines', (builder) => {
  it('exits 130 quickly and leaves no temp container, process, tag or temp file on any engine', async () => {
    const p = project(`pool-int-${builder.slice(0, 2)}`, (name) => ({
      'mbuild.yaml': yaml(name, { a: ['context: .', 'args: {X: a}'], b: ['context: .', 'args: {X: b}'] }),
      Dockerfile: ['FROM busybox', 'ARG X', `LABEL mbt.project=${name}`, `RUN sleep 120 && echo ${name}-int-$X > /x`, ''].join('\n'),
    }));
    const tmp = mkdtempSync(join(tmpdir(), 'mbt-pool-tmpdir-'));
    cleanups.push(() => {
      rmSync(tmp, { recursive: true, force: true });
      return [];
    });
    const marker = `${p.name}-int-`;
    const cli = spawnCli(['up', '--progress', 'json', '--builder', builder, ...engineFlags(['e2'])], { cwd: p.dir, env: { TMPDIR: tmp } });
    let exited = false as boolean;
    void cli.done.then(() => (exited = true));
    try {
      await expect
        .poll(() => new Set(ofType(eventsSoFar(cli.output().stdout), 'image-started').map((e) => e.engine)), { timeout: 60_000, interval: 50 })
        .toEqual(new Set(['home', 'e2']));
      await expect.poll(() => processesWith(marker).length, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(2);
      expect(exited).toBe(false);
      process.kill(-cli.child.pid!, 'SIGINT');
      const r = await withDeadline(cli.done, 15_000, 'exit after SIGINT');
      expect(r.code, show(r)).toBe(130);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /i);
      expect(kinds(parseEvents(r.stdout))).toEqual({ a: 'failed: cancelled', b: 'failed: cancelled' });
    } finally {
      if (!exited) process.kill(-cli.child.pid!, 'SIGKILL');
    }
    await expect.poll(() => processesWith(marker), { timeout: 15_000, interval: 100 }).toEqual([]);
    for (const host of [HOME, e2!.host]) {
      await expect.poll(() => tempContainersOf(host, cli.child.pid!), { timeout: 10_000, interval: 100 }).toEqual([]);
      await expect
        .poll(() => docker('-H', host, 'ps', '-a', '--no-trunc', '--format', '{{.Command}}').filter((c) => c.includes(marker)), {
          timeout: 10_000,
          interval: 100,
        })
        .toEqual([]);
      expect(
        onHost(host, () => projectTags(p.name)),
        `no tag of the project on ${host}`,
      ).toEqual([]);
    }
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('a small project of three images on three engines', () => {
  const three = (label: string) =>
    project(label, (name) => ({
      'mbuild.yaml': yaml(name, { a: ['context: .', 'args: {X: a}'], b: ['context: .', 'args: {X: b}'], c: ['context: .', 'args: {X: c}'] }),
      Dockerfile: ['FROM busybox', 'ARG X', `LABEL mbt.project=${name}`, `RUN sleep 1 && echo ${name}-$X > /x`, ''].join('\n'),
    }));

  it('--tag-everywhere tags every image on every engine', async () => {
    const p = three('pool-tagall');
    const r = await up(p.dir, ['--tag-everywhere', ...engineFlags(['e2', 'e3'])]);
    expect(r.code, show(r)).toBe(0);
    const ids = builtIds(parseEvents(r.stdout));
    for (const host of [HOME, e2!.host, e3!.host]) for (const x of ['a', 'b', 'c']) expect(idOn(host, `${p.name}/${x}:t`), `${x} on ${host}`).toBe(ids[x]);
  });

  it('without it, tags land only at home', async () => {
    const p = three('pool-taghome');
    const r = await up(p.dir, engineFlags(['e2', 'e3']));
    expect(r.code, show(r)).toBe(0);
    for (const host of [e2!.host, e3!.host]) for (const x of ['a', 'b', 'c']) expect(idOn(host, `${p.name}/${x}:t`), `${x} on ${host}`).toBeUndefined();
    for (const x of ['a', 'b', 'c']) expect(idOf(`${p.name}/${x}:t`)).toBeDefined();
  });

  // Classic: the engine that built it knows it by its mark tag, put there after the build (no labels).
  it.each(['buildkit', 'classic'] as const)('--builder %s: a key held only by another engine is moved home: up to date, no build', async (builder) => {
    const p = three(`pool-away-${builder.slice(0, 2)}`);
    const first = await up(p.dir, ['--builder', builder, ...engineFlags(['e2', 'e3'])]);
    expect(first.code, show(first)).toBe(0);
    const events = parseEvents(first.stdout);
    const ids = builtIds(events);
    const [away, engine] = Object.entries(startedOn(events))
      .find(([, [e]]) => e !== 'home')!
      .flatMap((x) => x);
    docker('rmi', '-f', ids[away!]!);
    expect(idOf(`${p.name}/${away!}:t`)).toBeUndefined();

    const again = await up(p.dir, ['--builder', builder, ...engineFlags(['e2', 'e3'])]);
    expect(again.code, show(again)).toBe(0);
    const ev = parseEvents(again.stdout);
    expect(ofType(ev, 'image-started'), 'no build').toEqual([]);
    expect(kinds(ev)).toEqual({ a: 'up-to-date', b: 'up-to-date', c: 'up-to-date' });
    expect(ofType(ev, 'image-moved').map((m) => ({ image: m.image, from: m.from, to: m.to }))).toEqual([{ image: away, from: engine, to: 'home' }]);
    expect(idOf(`${p.name}/${away!}:t`)).toBe(ids[away!]);
  });
});

describe('engines that cannot be used', () => {
  it('a second engine that does not answer at start: a warning, the run builds on the others', async () => {
    const p = project('pool-ghost', (name) => ({
      'mbuild.yaml': yaml(name, { a: ['context: .'] }),
      Dockerfile: ['FROM busybox', `LABEL mbt.project=${name}`, `RUN echo ${name} > /x`, ''].join('\n'),
    }));
    const ghost = join(mkdtempSync(join(tmpdir(), 'mbt-pool-ghost-')), 'no.sock');
    cleanups.push(() => {
      rmSync(join(ghost, '..'), { recursive: true, force: true });
      return [];
    });
    const r = await up(p.dir, [...engineFlags(['e2']), '--engine', `unix://${ghost},name=ghost`]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/^warning: engine ghost does not answer \(.*\); building without it$/m);
    const events = parseEvents(r.stdout);
    expect(ofType(events, 'run-started')[0]?.engines).toEqual(['home', 'e2']);
    expect(ofType(events, 'image-started').map((e) => e.engine)).not.toContain('ghost');
    expect(fileInImage(`${p.name}/a:t`, '/x')).toBe(`${p.name}\n`);
  });

  it('a bad --engine spec is exit 2, with the spec named and no stack trace', async () => {
    const p = project('pool-bad', (name) => ({
      'mbuild.yaml': yaml(name, { a: ['context: .'] }),
      Dockerfile: ['FROM busybox', `RUN echo ${name} > /x`, ''].join('\n'),
    }));
    const r = await runCli(['up', '--progress', 'plain', '--engine', `${HOME},bogus=1`], { cwd: p.dir, env: { ...process.env } });
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain(`--engine '${HOME},bogus=1': unknown option 'bogus'`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(idOf(`${p.name}/a:t`)).toBeUndefined();
  });
});

describe('watch on a pool', () => {
  it('rebuilds edited images on the pool and tags them at home; Ctrl-C exits 130', async () => {
    const p = project('pool-watch', (name) => ({
      'mbuild.yaml': yaml(name, { a: ['context: a'], b: ['context: b'], c: ['context: c'] }),
      ...Object.fromEntries(
        ['a', 'b', 'c'].flatMap((x) => [
          [`${x}/Dockerfile`, ['FROM busybox', `LABEL mbt.project=${name}`, 'COPY src.txt /src.txt', 'RUN sleep 1', ''].join('\n')],
          [`${x}/src.txt`, `${x} v1\n`],
        ]),
      ),
    }));
    const tp: TestProject = { ...p, up: (args) => up(p.dir, args), cleanup: () => [] };
    const w = new WatchSession(tp, engineFlags(['e2', 'e3']));
    try {
      await w.ready();
      const first = w.since(0, 'run-started')[0];
      expect(first?.['engines']).toEqual(['home', 'e2', 'e3']);
      const m = w.mark();
      for (const x of ['a', 'b', 'c']) writeFileSync(join(p.dir, x, 'src.txt'), `${x} v2\n`);
      await w.settle();
      const started = w.since(m, 'image-started');
      expect(started.map((e) => e['image']).sort(), w.describe()).toEqual(['a', 'b', 'c']);
      for (const e of started) expect(['home', 'e2', 'e3']).toContain(e['engine']);
      for (const x of ['a', 'b', 'c']) expect(fileInImage(`${p.name}/${x}:t`, '/src.txt')).toBe(`${x} v2\n`);
      const r = await w.stop('SIGINT');
      expect(r.code, r.stderr).toBe(130);
    } finally {
      w.kill();
    }
  });
});

describe('moves through the shared cache', () => {
  let registry: TestRegistry | undefined;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
  });

  it('an upstream the run stored in the shared cache is pulled from it by the engine that needs it', async () => {
    const p = project('pool-cache', (name) => ({
      'mbuild.yaml': yaml(name, { base: ['context: base'], a: ['context: leaf', 'args: {N: a}'], b: ['context: leaf', 'args: {N: b}'] }),
      'base/Dockerfile': ['FROM busybox', `LABEL mbt.project=${name}`, `RUN echo "${name} base" > /base.txt`, ''].join('\n'),
      'leaf/Dockerfile': ['FROM base', 'ARG N', `LABEL mbt.project=${name}`, 'RUN sleep 1 && cat /base.txt > /leaf && echo $N >> /leaf', ''].join('\n'),
    }));
    const cache = `${registry!.host}/${p.name}-cache`;
    const r = await up(p.dir, ['--cache-to', cache, ...engineFlags(['e2'])]);
    expect(r.code, show(r)).toBe(0);
    const events = parseEvents(r.stdout);
    // base on home; a and b ready at once: one on home (which holds base), the other on e2.
    const on = startedOn(events);
    expect(['a', 'b'].map((l) => on[l]![0]).sort(), JSON.stringify(on)).toEqual(['e2', 'home']);
    const moved = ofType(events, 'image-moved').filter((m) => m.image === 'base' && m.to === 'e2');
    expect(moved, JSON.stringify(moved)).toHaveLength(1);
    expect(moved[0]!.via).toBe('cache');
    expect(moved[0]!.from.startsWith(`${cache}:`), moved[0]!.from).toBe(true);
    for (const l of ['a', 'b']) expect(fileInImage(`${p.name}/${l}:t`, '/leaf')).toBe(`${p.name} base\n${l}\n`);
  });
});
