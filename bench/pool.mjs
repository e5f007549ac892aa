#!/usr/bin/env node
// Engine pool (issue 21): one image graph built across several Docker engines, with real
// engines only, all on this machine.
//
//   node bench/pool.mjs              # sleep 2 s per step, 3 scaling rounds, 64 MiB move, 7 move rounds (+1 warm-up)
//   node bench/pool.mjs --quick      # sleep 1 s, 1 scaling round, 16 MiB, 3 move rounds (< 3 min): checks the script
//   node bench/pool.mjs --sleep S --rounds N --move-mib M --move-rounds K --builder classic|buildkit|auto
//
// Engines: the home engine is the main one (unix:///var/run/docker.sock); two more are
// `dockerd`s with their own data roots, busybox loaded from the main engine
// (test/helpers/second-engine.mjs `startEngine()`), started once and stopped by PID at the end.
//
// Part 1, scaling: a sleep DAG of 8 chains x 3 levels (each image FROM busybox or the image
// above it by its name in the file, `RUN sleep S`), built cold by `mbuild up --engine SPEC ...` on 1, 2 and 3 engines
// with `slots=1` each. Cold: every run writes a new project whose Dockerfiles carry a new
// nonce (so no layer cache can hit), and the project's images are removed from every engine
// after it. Bound = max(depth x S, ceil(images / slots) x S): the longest chain, or the total
// work spread evenly over the slots, whichever is longer; the figure is wall / bound (goal
// <= 1.2 each). Why sleeps: this machine has 2 cores and every engine of the pool runs on
// it, so a CPU-bound step could not get faster with more engines here; a sleeping step holds
// its slot without a core, as a step on another machine looks from here.
//
// Part 2, move cost: one image with a layer of M MiB of random bytes, built on the home
// engine; then, paired and alternating which goes first, on an engine B that lacks it:
//   (a) `mbuild up --engine HOME --engine B --tag-everywhere` (the image up to date on home:
//       mbuild moves it once, GET /images/{id}/get -> POST /images/load), minus a no-op
//       `mbuild up --engine HOME` run right after it: the move's own time;
//   (b) `docker save IMG | docker -H B load` of the same image.
// B's copy is removed after each. Both are divided by the size of the `docker save` tar (ms
// per MiB); the ratio (a)/(b) is paired by round. Each (a) and (b) is checked: B then holds
// the image under its tag, with the same ID as on home.
//
// Prints the tables on stdout (progress on stderr) and writes bench/results/pool[-quick].json.
// Stops everything it started by PID, also on Ctrl-C (exit 130), and removes the bench's
// images (label bench.project=benchpool) from every engine and its temp folder.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineApi } from './engine-api.mjs';
import { processRunner } from './exec.mjs';
import { startEngine } from '../test/helpers/second-engine.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(HERE, '..', 'bin', 'mbuild.js');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const SLEEP = Number(opt('--sleep') ?? (QUICK ? 1 : 2));
const ROUNDS = Number(opt('--rounds') ?? (QUICK ? 1 : 3));
const MOVE_MIB = Number(opt('--move-mib') ?? (QUICK ? 16 : 64));
const MOVE_ROUNDS = Number(opt('--move-rounds') ?? (QUICK ? 3 : 7));
const MOVE_WARMUP = QUICK ? 0 : 1;
const BUILDER = opt('--builder') ?? 'auto';
const WIDTH = 8;
const DEPTH = 3;
const ENGINE_COUNTS = [1, 2, 3];
const NAME = 'benchpool';
const LABEL = `bench.project=${NAME}`;
const HOME = 'unix:///var/run/docker.sock';
const HOME_SOCKET = '/var/run/docker.sock';
const MOVE_TAG = `${NAME}-move/big:1`;
const MiB = 1024 * 1024;
/** No command may take longer than this (then it is stopped and the bench fails). */
const RUN_TIMEOUT_MS = 10 * 60_000;

const log = (m) => process.stderr.write(`bench: ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
const fmtStat = (x, f) => (x.n > 1 ? `${f(x.median)} (${f(x.min)}-${f(x.max)})` : f(x.median));

// ---------------------------------------------------------------------------------------
// What is running, for Ctrl-C: child processes, and the engines started.

const engines = [];

const { exec, children, interrupted, stopOnSignals } = processRunner({ spawn, timeoutMs: RUN_TIMEOUT_MS, log });

/**
 * `mbuild up ARGS` in `dir`, --progress json: wall time, the image-done events, where each
 * image was built (its last image-started's `engine`) and the moves (image-moved events).
 */
async function mbuildUp(dir, args) {
  const r = await exec(process.execPath, [BIN, 'up', '--progress', 'json', '--builder', BUILDER, ...args], { cwd: dir });
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const builtOn = new Map(events.filter((e) => e.type === 'image-started' && e.engine !== undefined).map((e) => [e.image, e.engine]));
  return {
    wallMs: r.wallMs,
    done: events.filter((e) => e.type === 'image-done'),
    builtOn,
    moves: events.filter((e) => e.type === 'image-moved'),
  };
}

/** An engine of the pool as `--engine` takes it. */
const spec = (host, name, slots) => `${host}${slots === undefined ? '' : `,slots=${slots}`},name=${name}`;

// ---------------------------------------------------------------------------------------
// Engines

/** The bench's images on the engine at `socket` (every Dockerfile sets the label; moved images keep it). */
const ourImages = (socket) => engineApi('GET', `/images/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [LABEL] }))}`, socket);

/** Removes the bench's containers and images from the engine at `socket` (children before parents: passes until none is left). */
async function removeOurs(socket) {
  for (let pass = 0; pass < 20; pass++) {
    const ids = (await ourImages(socket)).map((i) => i.Id);
    if (ids.length === 0) return;
    const containers = await engineApi('GET', '/containers/json?all=1', socket);
    for (const c of containers.filter((c) => ids.includes(c.ImageID))) await engineApi('DELETE', `/containers/${c.Id}?force=1`, socket).catch(() => undefined);
    for (const id of ids) await engineApi('DELETE', `/images/${id}?force=1`, socket).catch(() => undefined);
  }
  const left = await ourImages(socket);
  if (left.length > 0) throw new Error(`could not remove ${left.length} images of the bench from ${socket}`);
}

/** The image ID of `ref` on the engine at `socket`, or undefined. */
const imageId = (socket, ref) =>
  engineApi('GET', `/images/${encodeURIComponent(ref)}/json`, socket).then(
    (i) => i.Id,
    () => undefined,
  );

/** Bytes of `GET /images/{ref}/get` (the `docker save` tar) from the engine at `socket`. */
function saveBytes(socket, ref) {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: socket, path: `/images/${encodeURIComponent(ref)}/get` }, (res) => {
      let bytes = 0;
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET /images/${ref}/get: ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------
// Part 1: scaling

/** Writes the sleep DAG (WIDTH chains x DEPTH levels) with `nonce` in every Dockerfile; its image names. */
function writeDag(dir, nonce) {
  rmSync(dir, { recursive: true, force: true });
  const lines = ['version: 1', `name: ${NAME}`, 'defaults:', '  network: none', 'images:'];
  const tagOf = (image) => `${NAME}/${image}:bench`;
  const images = [];
  for (let level = 0; level < DEPTH; level++) {
    for (let i = 0; i < WIDTH; i++) {
      const image = `l${level}i${i}`;
      images.push(image);
      mkdirSync(join(dir, image), { recursive: true });
      // The image above by its name in the file (rewritten to what the engine that builds it holds), not by its tag: the tags land on home only.
      const from = level === 0 ? 'busybox' : `l${level - 1}i${i}`;
      // prettier-ignore
      writeFileSync(join(dir, image, 'Dockerfile'), [
        `FROM ${from}`, `LABEL ${LABEL}`, `ARG NONCE=${nonce}`, `RUN sleep ${SLEEP} && echo "${image} $NONCE" > /built-${image}`, '',
      ].join('\n'));
      lines.push(`  ${image}:`, `    context: ${image}`, `    tags: ["${tagOf(image)}"]`);
    }
  }
  writeFileSync(join(dir, 'mbuild.yaml'), `${lines.join('\n')}\n`);
  return { images, tagOf };
}

/** max(depth x S, ceil(images / slots) x S), in ms. */
const boundMs = (slots) => Math.max(DEPTH * SLEEP, Math.ceil((WIDTH * DEPTH) / slots) * SLEEP) * 1000;

async function scaleRun(work, pool, round) {
  const n = pool.length;
  const dir = join(work, `dag-${n}-${round}`);
  const nonce = `${process.pid}-${n}-${round}-${Date.now()}`;
  const { images, tagOf } = writeDag(dir, nonce);
  for (const e of pool) await removeOurs(e.socket);
  const args = ['-j', String(n), ...pool.flatMap((e) => ['--engine', spec(e.host, e.name, 1)])];
  const r = await mbuildUp(dir, args);
  const problems = [];
  const notBuilt = images.filter((m) => r.done.find((e) => e.image === m)?.outcome?.kind !== 'built');
  if (notBuilt.length > 0) problems.push(`not built: ${notBuilt.join(', ')}`);
  const homeTags = new Set((await engineApi('GET', '/images/json', HOME_SOCKET)).flatMap((i) => i.RepoTags ?? []));
  const untagged = images.filter((m) => !homeTags.has(tagOf(m)));
  if (untagged.length > 0) problems.push(`tags missing on home: ${untagged.join(', ')}`);
  const where = {};
  for (const engine of r.builtOn.values()) where[engine] = (where[engine] ?? 0) + 1;
  const moves = { count: r.moves.length, bytes: r.moves.reduce((a, m) => a + m.bytes, 0), ms: r.moves.reduce((a, m) => a + m.durationMs, 0) };
  for (const e of pool) await removeOurs(e.socket);
  rmSync(dir, { recursive: true, force: true });
  return { engines: n, round, wallMs: r.wallMs, boundMs: boundMs(n), where, moves, problem: problems.join('; ') || undefined };
}

async function scaling(work, all) {
  const rows = Object.fromEntries(ENGINE_COUNTS.map((n) => [n, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order (1 2 3, 3 2 1, ...), so a drift in the machine's speed does not favour one count.
    const order = round % 2 === 1 ? ENGINE_COUNTS : [...ENGINE_COUNTS].reverse();
    for (const n of order) {
      const r = await scaleRun(work, all.slice(0, n), round);
      rows[n].push(r);
      const where = `, built on ${JSON.stringify(r.where)}, ${r.moves.count} moves (${(r.moves.bytes / MiB).toFixed(1)} MiB, ${fmtS(r.moves.ms)} summed)`;
      log(
        `  round ${round}, ${n} engine(s): ${fmtS(r.wallMs)}, wall/bound ${(r.wallMs / r.boundMs).toFixed(3)}${where}${r.problem ? `; PROBLEM: ${r.problem}` : ''}`,
      );
      if (r.problem) results.failures.push(`scaling round ${round}, ${n} engine(s): ${r.problem}`);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// Part 2: move cost

async function moveRound(dir, b, round) {
  const homeOnly = ['--engine', spec(HOME, 'home')];
  const both = ['--engine', spec(HOME, 'home'), '--engine', spec(b.host, b.name), '--tag-everywhere'];
  const homeId = await imageId(HOME_SOCKET, MOVE_TAG);
  const check = async (what) => {
    const id = await imageId(b.socket, MOVE_TAG);
    if (id !== homeId) results.failures.push(`move round ${round} ${what}: B has ${id ?? 'no image'} under ${MOVE_TAG}, home ${homeId}`);
  };
  const sides = {
    mbuild: async () => {
      if ((await imageId(b.socket, MOVE_TAG)) !== undefined) throw new Error('B already has the image');
      const moved = await mbuildUp(dir, both);
      await check('(a) mbuild');
      const noopBoth = await mbuildUp(dir, both); // for scale: the same command with nothing to move
      const noop = await mbuildUp(dir, homeOnly);
      for (const [r, what] of [
        [moved, 'move'],
        [noopBoth, 'no-op on both'],
        [noop, 'no-op on home'],
      ])
        if (r.done.some((e) => e.outcome?.kind !== 'up-to-date')) results.failures.push(`move round ${round} ${what}: ${JSON.stringify(r.done)}`);
      if (moved.moves.length !== 1 || noopBoth.moves.length !== 0)
        results.failures.push(`move round ${round}: ${moved.moves.length} moves in (a), ${noopBoth.moves.length} in the no-op on both (expected 1 and 0)`);
      await removeOurs(b.socket);
      const reported = moved.moves[0];
      return {
        wallMs: moved.wallMs,
        noopMs: noop.wallMs,
        noopBothMs: noopBoth.wallMs,
        moveMs: moved.wallMs - noop.wallMs,
        reportedMs: reported?.durationMs,
        reportedBytes: reported?.bytes,
      };
    },
    docker: async () => {
      if ((await imageId(b.socket, MOVE_TAG)) !== undefined) throw new Error('B already has the image');
      const r = await exec('bash', ['-c', `set -o pipefail; docker -H ${HOME} save ${MOVE_TAG} | docker -H ${b.host} load -q >/dev/null`]);
      await check('(b) docker save | load');
      await removeOurs(b.socket);
      return { wallMs: r.wallMs };
    },
  };
  const order = round % 2 === 0 ? ['docker', 'mbuild'] : ['mbuild', 'docker'];
  const out = {};
  for (const side of order) out[side] = await sides[side]();
  return out;
}

async function moveCost(work, b) {
  const dir = join(work, 'move');
  mkdirSync(join(dir, 'big'), { recursive: true });
  writeFileSync(
    join(dir, 'mbuild.yaml'),
    ['version: 1', `name: ${NAME}-move`, 'defaults:', '  network: none', 'images:', '  big:', '    context: big', `    tags: ["${MOVE_TAG}"]`, ''].join('\n'),
  );
  // prettier-ignore
  writeFileSync(join(dir, 'big', 'Dockerfile'), [
    'FROM busybox', `LABEL ${LABEL}`, `ARG NONCE=${process.pid}-${Date.now()}`, `RUN head -c ${MOVE_MIB * MiB} /dev/urandom > /blob && echo "$NONCE" > /nonce`, '',
  ].join('\n'));
  await removeOurs(b.socket);
  const built = await mbuildUp(dir, ['--engine', spec(HOME, 'home')]);
  if (built.done.length !== 1 || built.done[0].outcome?.kind !== 'built') throw new Error(`the move image was not built: ${JSON.stringify(built.done)}`);
  const tarBytes = await saveBytes(HOME_SOCKET, MOVE_TAG);
  log(`  built ${MOVE_TAG} on home (${fmtS(built.wallMs)}); its docker save tar is ${(tarBytes / MiB).toFixed(2)} MiB`);
  const rows = [];
  for (let round = 1 - MOVE_WARMUP; round <= MOVE_ROUNDS; round++) {
    const r = await moveRound(dir, b, round);
    if (round > 0) rows.push(r);
    log(
      `  ${round <= 0 ? 'warm-up' : `round ${round}`}: (a) ${fmtS(r.mbuild.wallMs)} - no-op ${fmtS(r.mbuild.noopMs)} = ${fmtS(r.mbuild.moveMs)}; (b) ${fmtS(r.docker.wallMs)}`,
    );
  }
  return { tarBytes, rows };
}

// ---------------------------------------------------------------------------------------
// Report

/** Part 1's table: one row per engine count. */
function scalingTable(L, row, s, cores) {
  L.push(
    '',
    `Part 1, scaling: sleep DAG of ${WIDTH * DEPTH} images (${WIDTH} chains x ${DEPTH} levels, each RUN sleep ${SLEEP}), cold, ${ROUNDS} round(s), order alternating; medians (min-max).`,
    `  mbuild up -j N --engine unix:///var/run/docker.sock,slots=1,name=home [--engine unix://<dockerd B>/docker.sock,slots=1,name=b1 [--engine ...,name=b2]]`,
    `  bound = max(depth x S, ceil(images / slots) x S) = max(${DEPTH} x ${SLEEP} s, ceil(${WIDTH * DEPTH} / slots) x ${SLEEP} s)`,
    `  build bound = the same with S replaced by the one-engine run's wall / images of the same round (each build's own`,
    `  cost on the engine, BuildKit's included): what a perfect placement of these very builds could reach; on one engine it is 1 by construction.`,
    `  Why sleep steps: this machine has ${cores} cores and every engine of the pool runs on it, so a CPU-bound step`,
    `  could not get faster with more engines here; a sleeping step holds its slot without a core, as a step on another machine would.`,
    '',
  );
  row('engines', 'slots', 'wall', 'bound', 'wall / bound (goal <= 1.2)', 'wall / build bound', 'speedup vs 1 engine', 'built on', 'moves (MiB)');
  row('---', '---', '---', '---', '---', '---', '---', '---', '---');
  for (const n of ENGINE_COUNTS) {
    const rs = s[n];
    if (!rs?.length) continue;
    const wall = stats(rs.map((x) => x.wallMs));
    const ratio = stats(rs.map((x) => x.wallMs / x.boundMs));
    const speedup = stats(rs.map((x, i) => s[1][i].wallMs / x.wallMs));
    const perImage = (i) => s[1][i].wallMs / (WIDTH * DEPTH);
    const buildBound = (i) => Math.max(DEPTH * perImage(i), Math.ceil((WIDTH * DEPTH) / n) * perImage(i));
    const buildRatio = stats(rs.map((x, i) => x.wallMs / buildBound(i)));
    const whereOf = (x) =>
      Object.entries(x.where)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || (n === 1 ? 'home' : '?');
    row(
      String(n),
      String(n),
      fmtStat(wall, fmtS),
      fmtS(rs[0].boundMs),
      `${fmtStat(ratio, (x) => x.toFixed(3))}: ${ratio.median <= 1.2 ? 'met' : 'MISSED'}`,
      n === 1 ? '1 (by construction)' : `${fmtStat(buildRatio, (x) => x.toFixed(3))}: ${buildRatio.median <= 1.2 ? 'met' : 'MISSED'}`,
      n === 1 ? '1' : fmtStat(speedup, (x) => `${x.toFixed(2)}x`),
      rs.map(whereOf).join('; '),
      rs.map((x) => `${x.moves.count} (${(x.moves.bytes / MiB).toFixed(1)})`).join('; '),
    );
  }
}

function report(r) {
  const L = [];
  const row = (...cells) => L.push(`| ${cells.join(' | ')} |`);
  L.push(
    `Engine pool (issue 21); builder ${BUILDER}; ${r.machine.cpus} CPUs; load average ${r.machine.loadStart} at the start, ${r.machine.loadEnd} at the end`,
  );
  if (r.scaling !== undefined) scalingTable(L, row, r.scaling, r.machine.cpus);
  const m = r.move;
  if (m?.rows.length) {
    const tarMiB = m.tarBytes / MiB;
    const a = stats(m.rows.map((x) => x.mbuild.moveMs / tarMiB));
    const b = stats(m.rows.map((x) => x.docker.wallMs / tarMiB));
    const ratio = stats(m.rows.map((x) => x.mbuild.moveMs / x.docker.wallMs));
    const ms = (x) => `${x.toFixed(1)} ms`;
    L.push(
      '',
      `Part 2, move cost: one image, FROM busybox + ${MOVE_MIB} MiB of random bytes (docker save tar ${tarMiB.toFixed(2)} MiB), up to date on home, absent from B;`,
      `${m.rows.length} round(s) after ${MOVE_WARMUP} warm-up, (a) and (b) alternating which goes first; medians (min-max), ratio paired by round.`,
      '',
    );
    row('side', 'wall', 'ms per MiB');
    row('---', '---', '---');
    row('(a) mbuild up --engine HOME --engine B --tag-everywhere', fmtStat(stats(m.rows.map((x) => x.mbuild.wallMs)), fmtS), '');
    row('    the same, B already has it (no-op)', fmtStat(stats(m.rows.map((x) => x.mbuild.noopBothMs)), fmtS), '');
    row('    mbuild up --engine HOME (no-op, home alone)', fmtStat(stats(m.rows.map((x) => x.mbuild.noopMs)), fmtS), '');
    row('    (a) minus the no-op on home: the move', fmtStat(stats(m.rows.map((x) => x.mbuild.moveMs)), fmtS), fmtStat(a, ms));
    const reported = m.rows.filter((x) => x.mbuild.reportedMs !== undefined);
    if (reported.length > 0) {
      const bytes = median(reported.map((x) => x.mbuild.reportedBytes));
      row(
        `    the move as mbuild times it (image-moved durationMs; ${(bytes / MiB).toFixed(2)} MiB)`,
        fmtStat(stats(reported.map((x) => x.mbuild.reportedMs)), fmtS),
        fmtStat(stats(reported.map((x) => x.mbuild.reportedMs / (x.mbuild.reportedBytes / MiB))), ms),
      );
    }
    row('(b) docker save IMG | docker -H B load', fmtStat(stats(m.rows.map((x) => x.docker.wallMs)), fmtS), fmtStat(b, ms));
    L.push('', `(a) move / (b), paired by round: ${fmtStat(ratio, (x) => x.toFixed(2))}`);
  }
  if (r.failures.length > 0) L.push('', 'FAILURES:', ...r.failures.map((f) => `  ${f}`));
  return `${L.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------

const results = { quick: QUICK, builder: BUILDER, sleep: SLEEP, rounds: ROUNDS, moveMiB: MOVE_MIB, moveRounds: MOVE_ROUNDS, failures: [] };

/** Stops everything still running (children, engines), removes the bench's images from home and the temp folder. */
async function cleanup(work) {
  for (const child of children) child.kill('SIGTERM');
  for (const e of engines.splice(0).reverse()) {
    try {
      await e.stop();
    } catch (err) {
      log(`warning: stopping dockerd ${e.pid}: ${err.message}`);
    }
  }
  try {
    await removeOurs(HOME_SOCKET);
  } catch (e) {
    log(`warning: cleaning the main engine: ${e.message}`);
  }
  rmSync(work, { recursive: true, force: true });
}

async function main() {
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), 'mbuild-bench-pool-'));
  stopOnSignals();
  try {
    const v = await engineApi('GET', '/version');
    results.machine = {
      date: new Date().toISOString(),
      cpus: cpus().length,
      engine: `Docker Engine ${v.Version} (API ${v.ApiVersion})`,
      node: process.version,
    };
    results.machine.loadStart = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const help = await exec(process.execPath, [BIN, 'up', '--help']);
    const pool = /--engine\b/.test(help.stdout);
    if (!pool) results.failures.push('this build of mbuild has no `up --engine` (the pool runtime): part 1 and side (a) of part 2 were not run');
    await removeOurs(HOME_SOCKET);
    const home = { name: 'home', host: HOME, socket: HOME_SOCKET };
    for (const name of ['b1', 'b2']) {
      if (interrupted()) throw new Error('interrupted');
      const e = await startEngine({ prefix: 'mbb-pool-' });
      engines.push(e);
      log(`started dockerd ${e.pid} (${name}) at ${e.host}`);
    }
    const all = [home, ...engines.map((e, i) => ({ name: `b${i + 1}`, host: e.host, socket: e.socket }))];
    if (pool) {
      log(`part 1: scaling, ${ROUNDS} round(s) on ${ENGINE_COUNTS.join(', ')} engine(s)`);
      results.scaling = await scaling(work, all);
      log(`part 2: move cost, ${MOVE_MIB} MiB, ${MOVE_WARMUP} warm-up + ${MOVE_ROUNDS} round(s)`);
      results.move = await moveCost(work, all[1]);
    } else {
      results.dockerOnly = await dockerOnly(work, all[1]);
    }
  } finally {
    await cleanup(work);
  }
  results.machine.loadEnd = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  results.totalMin = (performance.now() - t0) / 60_000;
  const text = report(results) + (results.dockerOnly ? dockerOnlyText(results.dockerOnly) : '');
  results.text = text;
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', QUICK ? 'pool-quick.json' : 'pool.json'), `${JSON.stringify(results, null, 1)}\n`);
  process.stdout.write(`${text}total ${results.totalMin.toFixed(1)} min\n`);
  if (results.failures.length > 0) process.exitCode = 1;
}

/** Without the pool runtime: side (b) of part 2 alone (the image built with `docker build`), so the script's engine handling can be checked. */
async function dockerOnly(work, b) {
  const dir = join(work, 'move-docker');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), `FROM busybox\nLABEL ${LABEL}\nRUN head -c ${MOVE_MIB * MiB} /dev/urandom > /blob\n`);
  await exec('docker', ['-H', HOME, 'build', '-q', '--network', 'none', '-t', MOVE_TAG, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  const tarBytes = await saveBytes(HOME_SOCKET, MOVE_TAG);
  const walls = [];
  for (let round = 1; round <= MOVE_ROUNDS; round++) {
    const r = await exec('bash', ['-c', `set -o pipefail; docker -H ${HOME} save ${MOVE_TAG} | docker -H ${b.host} load -q >/dev/null`]);
    if ((await imageId(b.socket, MOVE_TAG)) !== (await imageId(HOME_SOCKET, MOVE_TAG))) results.failures.push(`round ${round}: B lacks ${MOVE_TAG}`);
    await removeOurs(b.socket);
    walls.push(r.wallMs);
    log(`  round ${round}: docker save | load ${fmtS(r.wallMs)}`);
  }
  return { tarBytes, walls };
}

const dockerOnlyText = (d) =>
  `\n(b) alone: docker save IMG | docker -H B load, tar ${(d.tarBytes / MiB).toFixed(2)} MiB: ${fmtStat(stats(d.walls), fmtS)}, ${fmtStat(
    stats(d.walls.map((w) => w / (d.tarBytes / MiB))),
    (x) => `${x.toFixed(1)} ms`,
  )} per MiB\n`;

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
