#!/usr/bin/env node
// Duplicates (issue 23): a monorepo of 30 images where 10 share one context and Dockerfile
// (equal keys), cold build wall time and POST /build calls of mbuild, docker-compose build and
// make -j (the classic builder for all three, through the counting proxy, as bench/run.mjs).
//
//   node bench/dedupe.mjs                     # 3 counted rounds per tool, interleaved
//   node bench/dedupe.mjs --runs N
//   node bench/dedupe.mjs --before BIN        # also an older mbuild (e.g. main's bin/mbuild.js, built)
//
// 20 images have their own context (4 small files, FROM busybox, COPY, RUN sleep 1); 10 images
// (s0..s9) all build shared/ with the same Dockerfile under their own tags. No image depends on
// another. Each tool's Dockerfiles carry its own LABEL (no tool hits another's layer cache);
// before every run the tool's images are pruned and its state removed (mbuild's .mbuild/,
// make's stamps). Prints a table (stdout; progress on stderr); removes its images and folder.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneLabelled } from './engine-api.mjs';
import { TOOLS } from './gen.mjs';
import { startProxy } from './proxy.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const RUNS = Number(opt('--runs') ?? 3);
const BEFORE = opt('--before');
const JOBS = 4;
const NAME = 'benchdd';
const WORK = join(tmpdir(), 'mbuild-bench-dedupe');
const log = (m) => process.stderr.write(`dedupe: ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** The tree: 20 own contexts, one shared; one Dockerfile per tool in each. */
function generate() {
  rmSync(WORK, { recursive: true, force: true });
  const images = [
    ...Array.from({ length: 20 }, (_, i) => ({ name: `u${i}`, ctx: `u${i}` })),
    ...Array.from({ length: 10 }, (_, i) => ({ name: `s${i}`, ctx: 'shared' })),
  ];
  const tag = (tool, image) => `${NAME}-${tool}/${image}:bench`;
  for (const ctx of new Set(images.map((m) => m.ctx))) {
    mkdirSync(join(WORK, ctx, 'src'), { recursive: true });
    for (let f = 0; f < 4; f++) writeFileSync(join(WORK, ctx, 'src', `f${f}.txt`), `${ctx} file ${f}\n`);
    for (const tool of TOOLS) {
      const df = ['FROM busybox', `LABEL bench.tool=${tool} bench.project=${NAME}`, `COPY src/ /srv/${ctx}/`, `RUN sleep 1 && echo ${ctx} > /built`];
      writeFileSync(join(WORK, ctx, tool === 'mbuild' ? 'Dockerfile' : `Dockerfile.${tool}`), `${df.join('\n')}\n`);
    }
  }
  const yaml = ['version: 1', `name: ${NAME}`, 'defaults: {network: none}', 'images:'];
  const compose = ['version: "2.4"', 'services:'];
  const make = [`all: ${images.map((m) => `.stamps/${m.name}`).join(' ')}`, '.stamps:', '\t@mkdir -p .stamps'];
  for (const m of images) {
    yaml.push(`  ${m.name}: {context: ${m.ctx}, tags: ["${tag('mbuild', m.name)}"]}`);
    compose.push(`  ${m.name}:`, `    image: ${tag('compose', m.name)}`, `    build: {context: ./${m.ctx}, dockerfile: Dockerfile.compose, network: none}`);
    make.push(
      `.stamps/${m.name}: | .stamps`,
      `\t@docker build --network none -f ${m.ctx}/Dockerfile.make -t ${tag('make', m.name)} ${m.ctx} >$@.log 2>&1 || { cat $@.log; exit 1; }`,
      '\t@touch $@',
    );
  }
  writeFileSync(join(WORK, 'mbuild.yaml'), `${yaml.join('\n')}\n`);
  writeFileSync(join(WORK, 'docker-compose.yml'), `${compose.join('\n')}\n`);
  writeFileSync(join(WORK, 'Makefile'), `${make.join('\n')}\n`);
}

const COMMANDS = {
  mbuild: [process.execPath, [join(REPO, 'bin', 'mbuild.js'), 'up', '--builder', 'classic', '-j', String(JOBS), '-q']],
  'mbuild (before)': [process.execPath, [BEFORE ?? '', 'up', '--builder', 'classic', '-j', String(JOBS), '-q']],
  compose: ['docker-compose', ['-p', NAME, 'build', '-q']],
  make: ['make', ['-s', '-j', String(JOBS)]],
};
const labelOf = (tool) => (tool.startsWith('mbuild') ? 'mbuild' : tool);

function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: WORK, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

async function reset(tool) {
  rmSync(join(WORK, '.mbuild'), { recursive: true, force: true });
  rmSync(join(WORK, '.stamps'), { recursive: true, force: true });
  const left = await pruneLabelled(labelOf(tool), NAME);
  if (left.length > 0) throw new Error(`${left.length} images of ${tool} left`);
}

async function main() {
  generate();
  const proxy = await startProxy({ path: join(WORK, 'proxy.sock') });
  const env = { ...process.env, DOCKER_HOST: `unix://${proxy.path}`, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_CLI_HINTS: 'false' };
  const tools = [...(BEFORE ? ['mbuild (before)'] : []), 'mbuild', 'compose', 'make'];
  const rows = Object.fromEntries(tools.map((t) => [t, { ms: [], builds: [] }]));
  try {
    for (let round = 1; round <= RUNS; round++) {
      // Rotated each round: no tool always runs first (a warm page cache, a busy daemon).
      for (const tool of tools.map((_, i) => tools[(i + round) % tools.length])) {
        await reset(tool);
        proxy.reset();
        const [cmd, args] = COMMANDS[tool];
        const ms = await run(cmd, args, env);
        const builds = proxy.snapshot().builds.length;
        rows[tool].ms.push(ms);
        rows[tool].builds.push(builds);
        log(`round ${round}: ${tool} ${(ms / 1000).toFixed(1)} s, ${builds} /build calls`);
      }
    }
  } finally {
    for (const tool of tools) await reset(tool).catch((e) => log(String(e)));
    await proxy.close();
    rmSync(WORK, { recursive: true, force: true });
  }
  const out = [
    `30 images, 10 of them one key (shared/), no edges; classic builder; -j ${JOBS}; ${cpus().length} cores; ${RUNS} cold runs per tool, median (min-max)`,
    '',
    '| tool | cold build | POST /build calls |',
    '|---|---|---|',
  ];
  for (const tool of tools) {
    const { ms, builds } = rows[tool];
    out.push(
      `| ${tool} | ${(median(ms) / 1000).toFixed(1)} s (${(Math.min(...ms) / 1000).toFixed(1)}-${(Math.max(...ms) / 1000).toFixed(1)}) | ${[...new Set(builds)].join(', ')} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
