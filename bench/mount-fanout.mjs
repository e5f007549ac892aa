#!/usr/bin/env node
// One mount source, many consumers (issue 23): image `src` holds /srv/data (a few MiB of
// files) and N images mount src:/srv/data. Cold `mbuild up` wall time and the engine requests
// that reading mounts costs (POST /containers/create, GET /containers/{id}/archive), counted
// by the bench proxy; paired rounds against an older mbuild when --before is given.
//
//   node bench/mount-fanout.mjs                       # 10 consumers, 4 MiB in 200 files, 3 rounds
//   node bench/mount-fanout.mjs --consumers N --mib M --files F --runs R
//   node bench/mount-fanout.mjs --before BIN          # e.g. main's bin/mbuild.js, built
//
// Needs `npm run build` first (it runs bin/mbuild.js). Classic builder, -j 4. Before every run
// the project's images are pruned and .mbuild/ removed (src is built again too). Prints a
// table (stdout; progress on stderr); removes its images and folder.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneLabelled } from './engine-api.mjs';
import { startProxy } from './proxy.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const RUNS = Number(opt('--runs', 3));
const CONSUMERS = Number(opt('--consumers', 10));
const MIB = Number(opt('--mib', 4));
const FILES = Number(opt('--files', 200));
const BEFORE = opt('--before');
const JOBS = 4;
const NAME = 'benchfan';
const WORK = join(tmpdir(), 'mbuild-bench-fanout');
const log = (m) => process.stderr.write(`mount-fanout: ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function generate() {
  rmSync(WORK, { recursive: true, force: true });
  const label = `LABEL bench.tool=mbuild bench.project=${NAME}`;
  mkdirSync(join(WORK, 'src', 'data'), { recursive: true });
  const buf = Buffer.alloc(Math.floor((MIB * 2 ** 20) / FILES));
  for (let i = 0; i < FILES; i++) writeFileSync(join(WORK, 'src', 'data', `f${i}.bin`), randomFillSync(buf));
  writeFileSync(join(WORK, 'src', 'Dockerfile'), `FROM busybox\n${label}\nCOPY data/ /srv/data/\n`);
  const yaml = ['version: 1', `name: ${NAME}`, 'defaults: {network: none}', 'images:', '  src: {context: src}'];
  for (let c = 0; c < CONSUMERS; c++) {
    mkdirSync(join(WORK, `c${c}`), { recursive: true });
    writeFileSync(join(WORK, `c${c}`, 'Dockerfile'), `FROM busybox\n${label}\nCOPY mounted/ /m/\nRUN echo c${c} > /built\n`);
    yaml.push(`  c${c}:`, `    context: c${c}`, '    mounts:', '      - {from: src, path: /srv/data, to: mounted}');
  }
  writeFileSync(join(WORK, 'mbuild.yaml'), `${yaml.join('\n')}\n`);
}

function run(bin, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, 'up', '--builder', 'classic', '-j', String(JOBS), '-q'], {
      cwd: WORK,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`mbuild exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

async function reset() {
  rmSync(join(WORK, '.mbuild'), { recursive: true, force: true });
  const left = await pruneLabelled('mbuild', NAME);
  if (left.length > 0) throw new Error(`${left.length} images left`);
}

const CREATE = /^(?:\/v[0-9.]+)?\/containers\/create/;
const ARCHIVE = /^(?:\/v[0-9.]+)?\/containers\/[^/]+\/archive/;

async function main() {
  generate();
  const proxy = await startProxy({ path: join(WORK, 'proxy.sock') });
  const env = { ...process.env, DOCKER_HOST: `unix://${proxy.path}` };
  const tools = { ...(BEFORE && { before: BEFORE }), after: join(REPO, 'bin', 'mbuild.js') };
  const names = Object.keys(tools);
  const rows = Object.fromEntries(names.map((t) => [t, { ms: [], creates: [], archives: [] }]));
  try {
    for (let round = 1; round <= RUNS; round++) {
      for (const tool of names.map((_, i) => names[(i + round) % names.length])) {
        await reset();
        proxy.reset();
        const ms = await run(tools[tool], env);
        const trace = proxy.snapshot().trace;
        const creates = trace.filter((t) => t.method === 'POST' && CREATE.test(t.path)).length;
        const archives = trace.filter((t) => t.method === 'GET' && ARCHIVE.test(t.path)).length;
        Object.entries({ ms, creates, archives }).forEach(([k, v]) => rows[tool][k].push(v));
        log(`round ${round}: ${tool} ${(ms / 1000).toFixed(2)} s, ${creates} container creates, ${archives} archive reads`);
      }
    }
  } finally {
    await reset().catch((e) => log(String(e)));
    await proxy.close();
    rmSync(WORK, { recursive: true, force: true });
  }
  const out = [
    `1 source (${FILES} files, ${MIB} MiB), ${CONSUMERS} consumers of src:/srv/data; classic builder; -j ${JOBS}; ${cpus().length} cores; ${RUNS} cold runs each, paired, median (min-max)`,
    '',
    '| mbuild | cold up | POST /containers/create | GET .../archive |',
    '|---|---|---|---|',
  ];
  for (const tool of names) {
    const { ms, creates, archives } = rows[tool];
    const set = (xs) => [...new Set(xs)].join(', ');
    out.push(
      `| ${tool} | ${(median(ms) / 1000).toFixed(2)} s (${(Math.min(...ms) / 1000).toFixed(2)}-${(Math.max(...ms) / 1000).toFixed(2)}) | ${set(creates)} | ${set(archives)} |`,
    );
  }
  if (BEFORE) {
    const d = rows.after.ms.map((a, i) => a - rows.before.ms[i]);
    out.push('', `paired difference after - before: median ${(median(d) / 1000).toFixed(2)} s (${d.map((x) => (x / 1000).toFixed(2)).join(' ')})`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((e) => {
  log(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
