#!/usr/bin/env node
// Registries (issue 17): the shared cache on a fresh CI runner, and pushing, with real
// components only, all on loopback.
//
//   node bench/registry.mjs            # 30 images, 3 rounds of scenario 1, 6 push rounds (+1 warm-up)
//   node bench/registry.mjs --quick    # 9 images, 1 round, 2 push rounds (< 3 min): checks the script
//   node bench/registry.mjs --rounds N --push-rounds M
//   node bench/registry.mjs --scenario 1 [--tools a,d] # scenario 1 only (no pushes), optionally only some of its runs
//                                                      # ((d) is always run); written to bench/results/registry-partial.json
//
// Components: a plain `docker-registry serve` (Debian's distribution 2.8) on 127.0.0.1 with
// filesystem storage in a temp folder (test/helpers/registry-server.mjs, shared with the engine tests), a counting HTTP proxy in
// front of it (bench/registry-proxy.mjs: requests by kind, body bytes each way; every tag and
// the cache repository name the proxy's address, so all registry traffic passes it), and for
// each measured run a second `dockerd` with a fresh data root, busybox loaded from the main
// engine (test/helpers/second-engine.mjs), behind the Engine API counting proxy (bench/proxy.mjs).
//
// The project: bench/gen.mjs generateMonorepo, `levels` x `width` images (each image FROM the
// one above it, an {image:} arg edge on every 3rd image from level 2, a mount edge on every
// 4th from level 1), each RUN step sleeping 1 s and writing random bytes (a layer worth
// moving), tags `127.0.0.1:PORT/benchreg-<tool>/<image>:1`. Classic builder everywhere
// (DOCKER_BUILDKIT=0, `mbuild up --builder classic`): docker-compose v1 cannot use BuildKit.
//
// Scenario 1, "fresh CI runner": the shared cache is warmed by `mbuild up --cache-to
// REG/cache` on the main engine, then on an empty second engine (a new one for every run):
//   (a) mbuild, no cache flags          (b) docker-compose build (if installed)
//   (c) make -j 4 of `docker build`     (d) mbuild --cache-from REG/cache
//   (e) mbuild --cache-from REG/cache --push (hits left in the registry, tags copied there)
// the five interleaved in every round. Counted: wall time, POST /build and POST /images/create
// (pulls) at the second engine, and what the registry served (response bodies: layers,
// configs, manifests) and received. Each run's result is checked (mbuild's --metadata-file,
// the engine's tags): a run that did not do what it should fails the bench (exit 1).
//
// Scenario 2, "push of N images": the images built on the main engine, pushed to an empty
// registry (a new one, at the same address, for every push) by `mbuild push --push-jobs 4`
// and by `docker push` of the same tags, 4 at a time (xargs -P 4), alternating which goes
// first; ratios paired by round. Every repository must then hold its tag.
//
// Prints the tables on stdout (progress on stderr) and writes bench/results/registry[-quick].json.
// Stops everything it started by PID, also on Ctrl-C, and removes the bench's images from the
// main engine (by label io.mbuild.project / bench.project, and by tag) and its temp folders.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineApi } from './engine-api.mjs';
import { processRunner } from './exec.mjs';
import { generateMonorepo, registryMonorepo } from './gen.mjs';
import { startProxy } from './proxy.mjs';
import { startRegistryProxy } from './registry-proxy.mjs';
import { freePort, startRegistry, tagsOf } from '../test/helpers/registry-server.mjs';
import { startEngine } from '../test/helpers/second-engine.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '..');
const BIN = join(REPO, 'bin', 'mbuild.js');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const ROUNDS = Number(opt('--rounds') ?? (QUICK ? 1 : 3));
const PUSH_ROUNDS = Number(opt('--push-rounds') ?? (QUICK ? 2 : 6));
const PUSH_WARMUP = QUICK ? 0 : 1;
/** `--scenario 1`: scenario 1 only (scenario 2 pushes the images scenario 1 built, so it cannot run alone). */
const SCENARIO = opt('--scenario');
if (SCENARIO !== undefined && SCENARIO !== '1') throw new Error('--scenario: only 1 can run alone');
/** `--tools a,d,f`: only those runs of scenario 1 ((d) always: the ratios are against it). */
const TOOL_IDS = opt('--tools')?.split(',');
const PARTIAL = SCENARIO !== undefined || TOOL_IDS !== undefined;
const JOBS = 4;
const PUSH_JOBS = 4;
const NAME = 'benchreg';
const MiB = 1024 * 1024;
/** No tool run may take longer than this (then it is stopped and the bench fails). */
const RUN_TIMEOUT_MS = 15 * 60_000;
const { shape: SHAPE, sizes: SIZES } = registryMonorepo(QUICK);
const MAIN_SOCKET = '/var/run/docker.sock';

const log = (m) => process.stderr.write(`bench: ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtBytes = (b) => (b === 0 ? '0' : b < MiB ? `${(b / 1024).toFixed(1)} KiB` : `${(b / MiB).toFixed(2)} MiB`);
const fmtRatio = (x) => `${x.median.toFixed(2)} (min ${x.min.toFixed(2)}, max ${x.max.toFixed(2)})`;

// ---------------------------------------------------------------------------------------
// What is running, for Ctrl-C: child processes, and everything with a stop().

/** Started and not yet stopped: name -> stop(). */
const live = new Map();

/** Runs `fn` with something started, then stops it (also when `fn` throws, or the bench was interrupted meanwhile). */
async function using(name, started, fn) {
  live.set(name, () => started.stop?.() ?? started.close());
  try {
    if (interrupted()) throw new Error('interrupted');
    return await fn(started);
  } finally {
    live.delete(name);
    await (started.stop?.() ?? started.close());
  }
}

const { exec, children, interrupted, stopOnSignals } = processRunner({ spawn, timeoutMs: RUN_TIMEOUT_MS, log });

const sh = (script, o = {}) => exec('sh', ['-c', script], o);

// ---------------------------------------------------------------------------------------
// Engines

/** Every tag the engine at `socket` has. */
async function engineTags(socket) {
  const images = await engineApi('GET', '/images/json', socket);
  return new Set(images.flatMap((i) => i.RepoTags ?? []));
}

/** The bench's images on the main engine: this project's labels, or a tag under this bench's registry address. */
async function benchImageIds(registryHost) {
  const images = await engineApi('GET', '/images/json?all=1');
  const ours = (i) =>
    i.Labels?.['io.mbuild.project'] === NAME ||
    i.Labels?.['bench.project'] === NAME ||
    (registryHost !== undefined && (i.RepoTags ?? []).some((t) => t.startsWith(`${registryHost}/`)));
  return images.filter(ours).map((i) => i.Id);
}

/** Removes the bench's containers and images from the main engine (children before parents: passes until none is left). */
async function cleanMainEngine(registryHost) {
  for (let pass = 0; pass < 20; pass++) {
    const ids = await benchImageIds(registryHost);
    if (ids.length === 0) return;
    const containers = await engineApi('GET', '/containers/json?all=1');
    for (const c of containers.filter((c) => ids.includes(c.ImageID))) await engineApi('DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
    for (const id of ids) await engineApi('DELETE', `/images/${id}?force=1`).catch(() => undefined);
  }
  const left = await benchImageIds(registryHost);
  if (left.length > 0) log(`warning: ${left.length} images of the bench are still on the main engine: ${left.join(' ')}`);
}

// ---------------------------------------------------------------------------------------
// Scenario 1: a fresh CI runner

const runnerEnv = (socket) => ({
  ...process.env,
  DOCKER_HOST: `unix://${socket}`,
  DOCKER_BUILDKIT: '0',
  COMPOSE_DOCKER_CLI_BUILD: '0',
  DOCKER_CLI_HINTS: 'false',
});

const mbuildUp = (extra) => (p) => [process.execPath, [BIN, 'up', '--builder', 'classic', '-j', String(JOBS), '-q', '--metadata-file', p.metadata, ...extra]];

/** The runs of scenario 1, in the order of every round. */
function runnerTools(p, compose) {
  const cache = `${p.registry}/cache`;
  const tools = [
    { id: 'a', label: '(a) mbuild, cold', kind: 'mbuild', command: mbuildUp([]) },
    compose && {
      id: 'b',
      label: `(b) ${compose.join(' ')} build`,
      kind: 'compose',
      command: () => [compose[0], [...compose.slice(1), '-p', NAME, 'build', '-q']],
    },
    { id: 'c', label: '(c) make -j 4 (docker build)', kind: 'make', command: () => ['make', ['-s', '-j', String(JOBS)]] },
    { id: 'd', label: '(d) mbuild --cache-from', kind: 'mbuild', command: mbuildUp(['--cache-from', cache]) },
    { id: 'e', label: '(e) mbuild --cache-from --push', kind: 'mbuild', command: mbuildUp(['--cache-from', cache, '--push']) },
    // For scale: the engine pulling the same entries, 4 at a time, in no particular order (a pull-based cache's work without mbuild).
    {
      id: 'f',
      label: '(f) reference: docker pull of the same entries, -P 4',
      kind: 'pull',
      command: () => ['sh', ['-c', `xargs -P ${JOBS} -n 1 docker pull -q < cache-refs.txt > /dev/null`]],
    },
  ];
  return tools.filter((t) => t && (TOOL_IDS === undefined || t.id === 'd' || TOOL_IDS.includes(t.id)));
}

const commandLine = (tool, p) => {
  const [cmd, args] = tool.command(p);
  return `${cmd === process.execPath ? 'node' : cmd} ${args
    .map((a) => a.replace(`${REPO}/`, '').replace(p.metadata, '<file>'))
    .join(' ')
    .replace(p.registry, 'REG')}`;
};

/** What the registry proxy counted, summarised. */
function registryFigures(s) {
  const sum = (table, pred = () => true) => Object.entries(table).reduce((a, [k, v]) => a + (pred(k) ? v : 0), 0);
  return {
    served: sum(s.served),
    blobBytesServed: sum(s.served, (k) => k === 'GET blob'),
    received: sum(s.received),
    blobGets: s.requests['GET blob'] ?? 0,
    manifestPuts: s.requests['PUT manifest'] ?? 0,
    mounts: s.requests['POST mount'] ?? 0,
    uploads: s.requests['POST upload'] ?? 0,
    requests: sum(s.requests),
    detail: s,
  };
}

/** One tool on a new empty engine: its figures, and what was wrong with its result (if anything). */
async function onFreshRunner(tool, p, regProxy) {
  const engine = await startEngine({ prefix: 'mbb-dockerd-' });
  return using(`dockerd ${engine.pid}`, engine, async () => {
    const proxy = await startProxy({ path: join(p.work, 'engine.sock'), upstream: engine.socket });
    return using('engine proxy', proxy, async () => {
      rmSync(join(p.dir, '.mbuild'), { recursive: true, force: true });
      rmSync(join(p.dir, '.stamps'), { recursive: true, force: true });
      rmSync(p.metadata, { force: true });
      const [cmd, args] = tool.command(p);
      regProxy.reset();
      proxy.reset();
      const t0 = performance.now();
      const r = await exec(cmd, args, { cwd: p.dir, env: runnerEnv(proxy.path), allowFail: true });
      if (interrupted()) throw new Error('interrupted');
      const s = proxy.snapshot();
      const reg = registryFigures(regProxy.snapshot());
      const pulls = s.trace.filter((t) => t.method === 'POST' && /\/images\/create/.test(t.path));
      const figures = {
        wallMs: r.wallMs,
        code: r.code,
        builds: s.builds.length,
        /** The engine's time inside POST /build, summed over the builds. */
        buildMs: s.builds.reduce((a, b) => a + b.ms, 0),
        pulls: pulls.length,
        pullMs: pulls.reduce((a, t) => a + t.ms, 0),
        /** Each pull: start after the run's start, and duration (ms). */
        pullTimeline: pulls.map((t) => ({ at: Math.round(t.start - t0), ms: Math.round(t.ms) })),
        engineRequests: s.requests,
        registry: reg,
      };
      const problem = r.code !== 0 ? `exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-1500)}` : await checkRunner(tool, p, engine.socket, figures);
      return { ...figures, problem };
    });
  });
}

/** What is wrong with a run's result, or undefined. */
async function checkRunner(tool, p, socket, f) {
  const tags = await engineTags(socket);
  const missing = (kind) => p.images.filter((m) => !tags.has(p.tagOf(kind, m.name))).map((m) => m.name);
  if (tool.kind === 'pull') {
    const gone = p.cacheRefs.filter((ref) => !tags.has(ref));
    return gone.length > 0 ? `the engine lacks ${gone.join(', ')}` : undefined;
  }
  if (tool.kind !== 'mbuild') {
    const gone = missing(tool.kind);
    return gone.length > 0 ? `the engine lacks the tags of ${gone.join(', ')}` : undefined;
  }
  const meta = JSON.parse(readFileSync(p.metadata, 'utf8')).images;
  const wrong = (pred) =>
    p.images
      .filter((m) => !pred(meta[m.name] ?? {}))
      .map((m) => `${m.name} ${JSON.stringify(meta[m.name])}`)
      .join('; ');
  const fromCache = (e) => e.result === 'up-to-date' && typeof e.cache === 'string';
  if (tool.id === 'a') return wrong((e) => e.result === 'built') || (missing('mbuild').length > 0 ? 'tags missing' : undefined);
  if (tool.id === 'd') {
    const bad = wrong(fromCache);
    if (bad) return `not from the cache: ${bad}`;
    if (f.builds !== 0) return `${f.builds} POST /build`;
    const cacheTags = [...tags].filter((t) => t.startsWith(`${p.registry}/cache:`));
    if (cacheTags.length > 0) return `cache tags left on the engine: ${cacheTags.join(', ')}`;
    return missing('mbuild').length > 0 ? `the engine lacks the tags of ${missing('mbuild').join(', ')}` : undefined;
  }
  const bad = wrong((e) => fromCache(e) && e.pushed?.length === 1 && e.pushed[0].via === 'copy');
  if (bad) return `not copied from the cache: ${bad}`;
  if (f.builds !== 0 || f.pulls !== 0) return `${f.builds} POST /build, ${f.pulls} pulls`;
  for (const m of p.images) {
    const [repo, tag] = p
      .tagOf('mbuild', m.name)
      .slice(p.registry.length + 1)
      .split(':');
    if (!(await tagsOf(p.registry, repo)).includes(tag)) return `the registry lacks ${p.tagOf('mbuild', m.name)}`;
  }
  return undefined;
}

async function scenario1(p, regProxy, compose) {
  log(`warming the shared cache: mbuild up --cache-to ${p.registry}/cache on the main engine`);
  regProxy.reset();
  const warm = await exec(
    process.execPath,
    [BIN, 'up', '--builder', 'classic', '-j', String(JOBS), '-q', '--cache-to', `${p.registry}/cache`, '--metadata-file', p.metadata],
    {
      cwd: p.dir,
      env: { ...process.env, DOCKER_HOST: `unix://${MAIN_SOCKET}`, DOCKER_BUILDKIT: '0' },
    },
  );
  p.cacheRefs = Object.values(JSON.parse(readFileSync(p.metadata, 'utf8')).images)
    .map((e) => e.cacheStored)
    .filter((ref) => typeof ref === 'string');
  writeFileSync(join(p.dir, 'cache-refs.txt'), `${p.cacheRefs.join('\n')}\n`);
  const stored = p.cacheRefs.length;
  const cacheTags = [...(await engineTags(MAIN_SOCKET))].filter((t) => t.startsWith(`${p.registry}/cache:`));
  if (cacheTags.length > 0) results.failures.push(`warm-up: cache tags left on the main engine: ${cacheTags.join(', ')}`);
  const warmFigures = { wallMs: warm.wallMs, stored, registry: registryFigures(regProxy.snapshot()) };
  log(`  ${fmtS(warm.wallMs)}, ${stored}/${p.images.length} stored, registry received ${fmtBytes(warmFigures.registry.received)}`);
  if (stored !== p.images.length) throw new Error(`the warm-up stored ${stored} of ${p.images.length} images in the cache`);

  const tools = runnerTools(p, compose);
  const rows = Object.fromEntries(tools.map((t) => [t.id, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const tool of tools) {
      const r = await onFreshRunner(tool, p, regProxy);
      rows[tool.id].push(r);
      log(
        `  round ${round} ${tool.label}: ${fmtS(r.wallMs)}, ${r.builds} /build, ${r.pulls} pulls, registry served ${fmtBytes(r.registry.served)}${r.problem ? `; PROBLEM: ${r.problem}` : ''}`,
      );
      if (r.problem) results.failures.push(`scenario 1 round ${round} ${tool.label}: ${r.problem}`);
    }
  }
  return {
    warm: warmFigures,
    tools: tools.map((t) => ({ id: t.id, label: t.label, command: commandLine(t, p) })),
    rows,
  };
}

// ---------------------------------------------------------------------------------------
// Scenario 2: pushing the built images

/** The blobs the registry stored (layers and configs, each once): count and bytes. */
function storedBlobs(dataDir) {
  const root = join(dataDir, 'docker', 'registry', 'v2', 'blobs', 'sha256');
  let count = 0;
  let bytes = 0;
  for (const prefix of existsSync(root) ? readdirSync(root) : []) {
    for (const digest of readdirSync(join(root, prefix))) {
      const data = join(root, prefix, digest, 'data');
      if (!existsSync(data)) continue;
      count++;
      bytes += statSync(data).size;
    }
  }
  return { count, bytes };
}

async function pushOnce(side, p, port) {
  const reg = await startRegistry({ port, prefix: 'mbb-registry-' });
  return using(`registry ${reg.pid}`, reg, async () => {
    const env = { ...process.env, DOCKER_HOST: `unix://${MAIN_SOCKET}`, DOCKER_CLI_HINTS: 'false' };
    const r =
      side === 'mbuild'
        ? await exec(process.execPath, [BIN, 'push', '--push-jobs', String(PUSH_JOBS), '-q'], { cwd: p.dir, env, allowFail: true })
        : await sh(`xargs -P ${PUSH_JOBS} -n 1 docker push -q < tags.txt > /dev/null`, { cwd: p.dir, env, allowFail: true });
    if (interrupted()) throw new Error('interrupted');
    let problem = r.code !== 0 ? `exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-1500)}` : undefined;
    for (const m of p.images) {
      if (problem) break;
      const [repo, tag] = p
        .tagOf('mbuild', m.name)
        .slice(reg.host.length + 1)
        .split(':');
      if (!(await tagsOf(reg.host, repo)).includes(tag)) problem = `the registry lacks ${p.tagOf('mbuild', m.name)}`;
    }
    return { wallMs: r.wallMs, stored: storedBlobs(join(reg.dir, 'data')), problem };
  });
}

async function scenario2(p, port) {
  writeFileSync(join(p.dir, 'tags.txt'), `${p.images.map((m) => p.tagOf('mbuild', m.name)).join('\n')}\n`);
  const rows = { mbuild: [], docker: [] };
  for (let round = 1 - PUSH_WARMUP; round <= PUSH_ROUNDS; round++) {
    const order = round % 2 === 0 ? ['docker', 'mbuild'] : ['mbuild', 'docker'];
    for (const side of order) {
      const r = await pushOnce(side, p, port);
      if (round > 0) rows[side].push(r);
      log(
        `  ${round <= 0 ? 'warm-up' : `round ${round}`} ${side}: ${fmtS(r.wallMs)}, registry stored ${r.stored.count} blobs, ${fmtBytes(r.stored.bytes)}${r.problem ? `; PROBLEM: ${r.problem}` : ''}`,
      );
      if (r.problem) results.failures.push(`scenario 2 round ${round} ${side}: ${r.problem}`);
    }
  }
  return {
    commands: {
      mbuild: `node bin/mbuild.js push --push-jobs ${PUSH_JOBS} -q`,
      docker: `xargs -P ${PUSH_JOBS} -n 1 docker push -q < tags.txt`,
    },
    rows,
  };
}

// ---------------------------------------------------------------------------------------
// Report

function report(r) {
  const L = [];
  const s1 = r.scenario1;
  const n = r.sizes.images;
  L.push(
    `Registries (issue 17): ${n} images (${SHAPE.levels} levels x ${SHAPE.width}), RUN sleep ${SIZES.sleep} + ${fmtBytes(SIZES.randomBytes)} random per image, classic builder, -j ${JOBS}`,
    `machine: ${r.machine.cpus} CPUs, load average ${r.machine.loadStart} at the start, ${r.machine.loadEnd} at the end (1-min mean during the run ${r.machine.loadMean.toFixed(2)}, max ${r.machine.loadMax.toFixed(2)}); ${r.machine.engine}; compose: ${r.machine.compose}`,
    '',
    `Scenario 1, fresh CI runner: an empty second dockerd per run (busybox loaded), ${ROUNDS} round(s), the runs interleaved; medians (min-max).`,
    `Shared cache warmed first on the main engine: mbuild up --cache-to REG/cache, ${fmtS(s1.warm.wallMs)}, ${s1.warm.stored} images stored, ${fmtBytes(s1.warm.registry.received)} received by the registry.`,
    '',
  );
  const d = s1.rows.d;
  const row = (...cells) => L.push(`| ${cells.join(' | ')} |`);
  row('run', 'wall', 'POST /build', 'pulls', 'registry served', 'layer+config GETs', 'manifest PUTs', 'wall / (d)');
  row('---', '---', '---', '---', '---', '---', '---', '---');
  for (const t of s1.tools) {
    const rs = s1.rows[t.id];
    const w = stats(rs.map((x) => x.wallMs));
    const ratio = stats(rs.map((x, i) => x.wallMs / d[i].wallMs));
    row(
      t.label,
      `${fmtS(w.median)} (${fmtS(w.min)}-${fmtS(w.max)})`,
      String(median(rs.map((x) => x.builds))),
      String(median(rs.map((x) => x.pulls))),
      fmtBytes(median(rs.map((x) => x.registry.served))),
      String(median(rs.map((x) => x.registry.blobGets))),
      String(median(rs.map((x) => x.registry.manifestPuts))),
      t.id === 'd' ? '1' : fmtRatio(ratio),
    );
  }
  if (!s1.tools.some((t) => t.id === 'b') && (TOOL_IDS === undefined || TOOL_IDS.includes('b')))
    L.push('', '(b) skipped: neither docker-compose nor `docker compose` is installed.');
  L.push('', 'Commands (in the project folder; DOCKER_HOST = the counting proxy of the second engine, DOCKER_BUILDKIT=0, COMPOSE_DOCKER_CLI_BUILD=0):');
  for (const t of s1.tools) L.push(`  ${t.label}: ${t.command}`);

  const s2 = r.scenario2 ?? { rows: { mbuild: [], docker: [] }, commands: {} };
  if (r.scenario2 !== undefined)
    L.push(
      '',
      `Scenario 2, push of ${n} images (built on the main engine) to an empty registry (a new one per push), ${PUSH_ROUNDS} round(s) after ${PUSH_WARMUP} warm-up, order alternating; medians (min-max).`,
      '',
    );
  if (r.scenario2 !== undefined) row('side', 'wall', 'blobs the registry stored');
  if (r.scenario2 !== undefined) row('---', '---', '---');
  for (const side of r.scenario2 === undefined ? [] : ['mbuild', 'docker']) {
    const w = stats(s2.rows[side].map((x) => x.wallMs));
    row(
      `${side}: ${s2.commands[side]}`,
      `${fmtS(w.median)} (${fmtS(w.min)}-${fmtS(w.max)})`,
      `${median(s2.rows[side].map((x) => x.stored.count))}, ${fmtBytes(median(s2.rows[side].map((x) => x.stored.bytes)))}`,
    );
  }
  const pushRatio = stats(s2.rows.mbuild.map((x, i) => x.wallMs / s2.rows.docker[i].wallMs));
  if (r.scenario2 !== undefined) L.push('', `mbuild push / docker push, paired by round: ${fmtRatio(pushRatio)}`);

  const dBuilds = Math.max(...d.map((x) => x.builds));
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  L.push('', 'Goals:');
  if (s1.rows.a !== undefined) {
    const speedup = stats(s1.rows.a.map((x, i) => x.wallMs / d[i].wallMs));
    L.push(`  (d) at least 5x faster than (a): (a)/(d) ${fmtRatio(speedup)}: ${verdict(speedup.median >= 5)}`);
  }
  L.push(`  (d) makes no POST /build: most in a round ${dBuilds}: ${verdict(dBuilds === 0)}`);
  if (s1.rows.e !== undefined) {
    const eMoved = Math.max(...s1.rows.e.map((x) => x.pulls));
    L.push(`  (e) pulls nothing: most pulls in a round ${eMoved}: ${verdict(eMoved === 0)}`);
  }
  if (r.scenario2 !== undefined) L.push(`  mbuild push within 1.2x of docker push: ${pushRatio.median.toFixed(2)}: ${verdict(pushRatio.median <= 1.2)}`);
  if (r.failures.length > 0) L.push('', 'FAILURES:', ...r.failures.map((f) => `  ${f}`));
  return `${L.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------

const results = { quick: QUICK, rounds: ROUNDS, pushRounds: PUSH_ROUNDS, sizes: SIZES, scenario: SCENARIO, tools: TOOL_IDS, failures: [] };

async function composeCommand() {
  if ((await sh('command -v docker-compose', { allowFail: true })).code === 0) return ['docker-compose'];
  if ((await sh('docker compose version', { allowFail: true })).code === 0) return ['docker', 'compose'];
  return undefined;
}

async function machine(compose) {
  const v = await engineApi('GET', '/version');
  const info = await engineApi('GET', '/info');
  const composeVersion = compose ? (await exec(compose[0], [...compose.slice(1), 'version', '--short'], { allowFail: true })).stdout.trim() : 'not installed';
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memGiB: totalmem() / 1024 ** 3,
    engine: `Docker Engine ${v.Version} (API ${v.ApiVersion}), storage driver ${info.Driver}`,
    compose: compose ? `${compose.join(' ')} ${composeVersion}` : 'not installed',
    node: process.version,
    loadStart: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

/** Stops everything still running (children, engines, proxies, registries), removes the bench's images and temp folder. */
async function cleanup(work, registryHost) {
  for (const child of children) child.kill('SIGTERM');
  for (const [name, stop] of [...live].reverse()) {
    try {
      await stop();
    } catch (e) {
      log(`warning: stopping ${name}: ${e.message}`);
    }
  }
  live.clear();
  try {
    await cleanMainEngine(registryHost);
  } catch (e) {
    log(`warning: cleaning the main engine: ${e.message}`);
  }
  rmSync(work, { recursive: true, force: true });
}

async function main() {
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'mbuild-bench-registry-'));
  let registryHost;
  stopOnSignals();

  const loads = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 5_000);
  try {
    const compose = await composeCommand();
    results.machine = await machine(compose);
    log(`machine: ${JSON.stringify(results.machine)}`);
    if (!compose) log('neither docker-compose nor `docker compose` is installed: (b) is skipped');

    // Scenario 1: a registry behind the counting proxy; tags and the cache name the proxy.
    const reg = await startRegistry({ prefix: 'mbb-registry-' });
    const port = await using(`registry ${reg.pid}`, reg, async () => {
      const regProxy = await startRegistryProxy({ port: await freePort(), upstream: reg.host });
      registryHost = regProxy.host;
      return using('registry proxy', regProxy, async () => {
        const dir = join(work, NAME);
        log(`generating ${NAME}: ${JSON.stringify(SIZES)}, tags under ${regProxy.host}`);
        const g = generateMonorepo({ dir, name: NAME, ...SIZES, registry: regProxy.host, tag: '1' });
        const p = { ...g, dir, work, registry: regProxy.host, metadata: join(work, 'metadata.json') };
        results.project = p;
        log(`scenario 1: fresh CI runner (${ROUNDS} round(s))`);
        results.scenario1 = await scenario1(p, regProxy, compose);
        return Number(regProxy.host.split(':')[1]);
      });
    });

    // Scenario 2: an empty registry at the address the tags name, directly (no proxy), per push.
    if (SCENARIO === undefined) log(`scenario 2: push of ${results.project.images.length} images (${PUSH_WARMUP} warm-up + ${PUSH_ROUNDS} rounds)`);
    if (SCENARIO === undefined) results.scenario2 = await scenario2(results.project, port);
  } finally {
    clearInterval(sampler);
    await cleanup(work, registryHost);
  }
  results.machine.loadEnd = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  results.machine.loadMean = loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : loadavg()[0];
  results.machine.loadMax = loads.length ? Math.max(...loads) : loadavg()[0];
  results.totalMin = (performance.now() - t0) / 60_000;
  const { dir, registry } = results.project;
  results.project = { dir, registry, images: results.project.images.map((m) => m.name) };
  const text = report(results);
  results.text = text;
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(
    join(HERE, 'results', PARTIAL ? 'registry-partial.json' : QUICK ? 'registry-quick.json' : 'registry.json'),
    `${JSON.stringify(results, null, 1)}\n`,
  );
  process.stdout.write(`${text}total ${results.totalMin.toFixed(1)} min\n`);
  if (results.failures.length > 0) process.exitCode = 1;
}

main().then(
  () => {
    if (interrupted()) process.exitCode = 130;
  },
  (e) => {
    if (interrupted()) {
      log('interrupted; everything it started is stopped');
      process.exitCode = 130;
    } else {
      log(`error: ${e.stack ?? e}`);
      process.exitCode = 2;
    }
  },
);
