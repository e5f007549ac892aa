#!/usr/bin/env node
// Issue 22, item 1: where a cold classic build of mbuild spends more than `make -j` of
// `docker build` on the same 30-image monorepo, suspect by suspect, in one run:
//   make        the suite's Makefile (bench/gen.mjs), Dockerfile.make
//   make+label  the same, each Dockerfile ending with one LABEL line like the one mbuild adds
//               (the image's project, name and key): the cost of that one classic step
//   mbuild      `mbuild up --builder classic -j 4`
// Per run: wall time; the engine's time inside POST /build (counting proxy); the engine's CPU
// (dockerd + containerd, from /proc); the tool's own CPU (its process tree); Engine API calls.
// Rounds interleave the tools (A B C A B C), one warm-up round first; ratios are paired by round.
//
//   node bench/cold-suspects.mjs [--runs N] [--json FILE]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneLabelled } from './engine-api.mjs';
import { processRunner } from './exec.mjs';
import { generateMonorepo } from './gen.mjs';
import { startProxy } from './proxy.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(HERE, '..', 'bin', 'mbuild.js');
const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RUNS = Number(opt('--runs') ?? 5);
const JSON_FILE = opt('--json');
const NAME = 'benchsuspects';
const WORK = join(tmpdir(), 'mbuild-bench-suspects');
const log = (m) => process.stderr.write(`cold-suspects: ${m}\n`);
const runner = processRunner({ spawn, timeoutMs: 15 * 60_000, log });
runner.stopOnSignals();

/** CPU seconds (user + system, with reaped children) of a process, from /proc. */
function cpuOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i]), 0) / 100;
}
/** The main engine's dockerd and its containerd, from their pid files. */
const ENGINE_PIDS = ['/var/run/docker.pid', '/var/run/docker/containerd/containerd.pid'];
const enginePids = () => ENGINE_PIDS.map((f) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined));

/** Writes the make+label variant beside the suite's files: Dockerfile.makelabel and Makefile.label. */
function addLabelVariant(dir, images) {
  for (const m of images) {
    const text = readFileSync(join(dir, m.name, 'Dockerfile.make'), 'utf8')
      .replaceAll(`${NAME}-mk/`, `${NAME}-ml/`)
      .replace('bench.tool=make', 'bench.tool=makelabel');
    const key = `v1-${'0'.repeat(64)}`;
    writeFileSync(
      join(dir, m.name, 'Dockerfile.makelabel'),
      `${text}LABEL "io.mbuild.project"="${NAME}" "io.mbuild.image"="${m.name}" "io.mbuild.key"="${key}"\n`,
    );
  }
  const makefile = readFileSync(join(dir, 'Makefile'), 'utf8');
  writeFileSync(
    join(dir, 'Makefile.label'),
    makefile
      .replaceAll('Dockerfile.make', 'Dockerfile.makelabel')
      .replaceAll(`${NAME}-mk/`, `${NAME}-ml/`)
      .replace('STAMPS := .stamps', 'STAMPS := .stamps-label'),
  );
}

const TOOLS = {
  mbuild: { cmd: () => [process.execPath, [BIN, 'up', '--builder', 'classic', '-j', '4', '-q']], prune: 'mbuild' },
  make: { cmd: () => ['make', ['-s', '-j', '4']], prune: 'make' },
  'make+label': { cmd: () => ['make', ['-s', '-j', '4', '-f', 'Makefile.label']], prune: 'makelabel' },
};

async function reset(dir, tool) {
  for (const d of ['.mbuild', '.stamps', '.stamps-label']) rmSync(join(dir, d), { recursive: true, force: true });
  await pruneLabelled(TOOLS[tool].prune, NAME);
}

async function runOnce(dir, proxy, tool, pids) {
  await reset(dir, tool);
  proxy.reset();
  const engine0 = pids.reduce((s, p) => s + cpuOf(p), 0);
  const [cmd, args] = TOOLS[tool].cmd();
  // GNU time gives the tool's own CPU, its children (the docker CLIs) included.
  const r = await runner.exec('/usr/bin/time', ['-f', 'MBB %U %S', cmd, ...args], {
    cwd: dir,
    env: { ...process.env, DOCKER_HOST: `unix://${proxy.path}`, DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' },
  });
  const engineCpu = pids.reduce((s, p) => s + cpuOf(p), 0) - engine0;
  const [, user, sys] = /MBB ([\d.]+) ([\d.]+)/.exec(r.stderr) ?? [];
  const s = proxy.snapshot();
  if (s.builds.length !== 30) throw new Error(`${tool}: ${s.builds.length} builds, not 30`);
  return {
    wall: r.wallMs / 1000,
    inBuild: s.builds.reduce((a, b) => a + b.ms, 0) / 1000,
    engineCpu,
    toolCpu: Number(user) + Number(sys),
    requests: s.requests,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmt = (xs, d = 2) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)})`;

async function main() {
  const pids = enginePids();
  if (pids.some((p) => p === undefined)) throw new Error('dockerd and containerd must run on this machine (bash scripts/engine.sh)');
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const dir = join(WORK, 'mono');
  const p = generateMonorepo({ dir, name: NAME, images: 30, depth: 4, fanout: 3, files: 200, fileBytes: 1024, argEvery: 3, mountEvery: 4 });
  addLabelVariant(dir, p.images);
  const proxy = await startProxy({ path: join(WORK, 'proxy.sock') });
  const order = Object.keys(TOOLS);
  const rows = Object.fromEntries(order.map((t) => [t, []]));
  const load = [loadavg()[0]];
  try {
    for (let round = 0; round <= RUNS; round++) {
      for (const tool of round % 2 ? [...order].reverse() : order) {
        const m = await runOnce(dir, proxy, tool, pids);
        log(`round ${round}${round === 0 ? ' (warm-up)' : ''} ${tool}: ${m.wall.toFixed(2)} s, engine CPU ${m.engineCpu.toFixed(2)} s`);
        if (round > 0) rows[tool].push(m);
      }
      load.push(loadavg()[0]);
    }
  } finally {
    for (const t of order) await reset(dir, t).catch(() => undefined);
    await proxy.close();
    rmSync(WORK, { recursive: true, force: true });
  }
  const col = (t, k) => rows[t].map((r) => r[k]);
  const paired = (a, b) => rows[a].map((r, i) => r.wall / rows[b][i].wall);
  console.log(
    `cold classic build, 30 images (bench/gen.mjs monorepo), -j 4, ${RUNS} rounds after a warm-up; medians (min-max); 1-min load ${load.map((l) => l.toFixed(1)).join(' ')}`,
  );
  console.log('| tool | wall s | engine time in /build s | engine CPU s (dockerd+containerd) | tool CPU s | API calls |');
  console.log('|---|---|---|---|---|---|');
  for (const t of order)
    console.log(
      `| ${t} | ${fmt(col(t, 'wall'))} | ${fmt(col(t, 'inBuild'), 1)} | ${fmt(col(t, 'engineCpu'))} | ${fmt(col(t, 'toolCpu'))} | ${median(col(t, 'requests'))} |`,
    );
  console.log(
    `paired wall ratios: make / mbuild ${fmt(paired('make', 'mbuild'))}; make+label / mbuild ${fmt(paired('make+label', 'mbuild'))}; make+label / make ${fmt(paired('make+label', 'make'))}`,
  );
  if (JSON_FILE !== undefined) writeFileSync(JSON_FILE, `${JSON.stringify({ runs: RUNS, load, rows }, null, 1)}\n`);
}

main().catch((e) => {
  log(runner.interrupted() ? 'interrupted' : (e.stack ?? String(e)));
  process.exit(runner.interrupted() ? 130 : 1);
});
