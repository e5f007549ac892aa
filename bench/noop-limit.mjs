#!/usr/bin/env node
// No-op at the limit (issue 22, item 3): with precise inputs, a no-op `mbuild up` should stat
// only the input sets (the files the Dockerfiles read). Measured on a generated monorepo whose
// contexts also hold files no instruction reads (bench/gen.mjs `unread`), against
//   bare     the floor: node started, every input set walked (lstat of each entry, readdir of
//            each folder in it) and one engine ping (GET /_ping), nothing else. The input sets
//            are found from the generated tree (each context's Dockerfile and src/), not with
//            mbuild's code;
//   compose  `docker-compose -p NAME build -q` (compose v1, DOCKER_BUILDKIT=0,
//            COMPOSE_DOCKER_CLI_BUILD=0), as in bench/run.mjs.
// Targets: mbuild <= 1.2x bare, and >= 25x faster than compose. Each round runs the three in
// the next rotation of their order; ratios are paired by round. After the rounds, `mbuild plan`
// must predict every image fresh (the runs were no-ops). Every image built and the temp folder
// are removed at the end, also on an error or Ctrl-C.
//
//   node bench/noop-limit.mjs [--quick] [--runs N] [--json FILE]
//     --quick   4 images, 20 read and 200 unread files per context, 3 rounds (about a minute)
//     default   30 images (bench/run.mjs's monorepo), 200 read and 2,000 unread files, 10 rounds
//     --json    also write the raw figures (every run's wall time) to FILE
// Exit 0 (targets met or missed: the table says which), 2 on an error.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { engineApi, pingEngine } from './engine-api.mjs';

/** The bare walk (run as its own process): `--walk LIST`, LIST a JSON array of input-set roots. */
async function bareWalk(list) {
  let entries = 0;
  const walk = (abs) => {
    const st = lstatSync(abs);
    entries++;
    if (!st.isDirectory()) return;
    for (const d of readdirSync(abs)) walk(`${abs}/${d}`);
  };
  for (const root of JSON.parse(readFileSync(list, 'utf8'))) walk(root);
  await pingEngine();
  process.stdout.write(`${entries}\n`);
}

/**
 * Removes every image of the project `name` (by the labels the generated Dockerfiles set), layers
 * included: children before parents, pass after pass (no prune: another bench's prune would make
 * it fail with 409). Says what is left.
 */
async function removeImages(engineApi, name) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`bench.project=${name}`] }));
  for (let pass = 0; pass < 20; pass++) {
    const left = await engineApi('GET', `/images/json?all=1&filters=${filters}`);
    if (left.length === 0) return;
    let removed = 0;
    for (const image of left) {
      const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      // An image with a child cannot go yet (409): the next pass, once the child is gone.
      for (const ref of tags.length > 0 ? tags : [image.Id]) {
        removed += await engineApi('DELETE', `/images/${encodeURIComponent(ref)}`).then(
          () => 1,
          () => 0,
        );
      }
    }
    if (removed === 0) throw new Error(`${left.length} image(s) left: ${left.map((i) => i.Id).join(' ')}`);
  }
}

async function main() {
  const { spawn } = await import('node:child_process');
  const { existsSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { loadavg, tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const { processRunner } = await import('./exec.mjs');
  const { generateMonorepo } = await import('./gen.mjs');

  const HERE = fileURLToPath(new URL('.', import.meta.url));
  const BIN = join(HERE, '..', 'bin', 'mbuild.js');
  const SELF = fileURLToPath(import.meta.url);
  const argv = process.argv.slice(2);
  const QUICK = argv.includes('--quick');
  const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const RUNS = Number(opt('--runs') ?? (QUICK ? 3 : 10));
  const JSON_OUT = opt('--json');
  const KiB = 1024;
  const SIZE = QUICK
    ? { images: 4, depth: 3, fanout: 2, files: 20, fileBytes: 512, argEvery: 3, mountEvery: 2, unread: { files: 200, bigFiles: 2, bigBytes: 64 * KiB } }
    : { images: 30, depth: 4, fanout: 3, files: 200, fileBytes: 1024, argEvery: 3, mountEvery: 4, unread: { files: 2000, bigFiles: 4, bigBytes: 256 * KiB } };
  const log = (m) => process.stderr.write(`noop-limit: ${m}\n`);
  const { exec, interrupted, stopOnSignals } = processRunner({ spawn, timeoutMs: 30 * 60_000, log });
  stopOnSignals();

  const env = { ...process.env, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_CLI_HINTS: 'false' };
  // A name of this run alone: images of other benches (or of a run killed earlier) are never touched.
  const name = `benchnl${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'mbuild-noop-limit-'));
  const COMMANDS = {
    mbuild: [process.execPath, [BIN, 'up', '--builder', 'classic', '-j', '4', '-q']],
    bare: [process.execPath, [SELF, '--walk', join(dir, 'inputs.json')]],
    compose: ['docker-compose', ['-p', name, 'build', '-q']],
  };
  const TOOLS = Object.keys(COMMANDS);
  try {
    if ((await exec('sh', ['-c', 'command -v docker-compose'], { allowFail: true })).code !== 0)
      throw new Error('docker-compose is not installed (bench/run.mjs installs it: apt-get install docker-compose)');
    const project = join(dir, 'p');
    log(`generating ${SIZE.images} images in ${project}`);
    const gen = generateMonorepo({ dir: project, name, ...SIZE });
    // The input sets, from the generated tree: what each Dockerfile reads of the host (mounted/ comes from an image).
    const roots = gen.images.flatMap((m) => [join(project, m.name, 'Dockerfile'), join(project, m.name, 'src')]);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify(roots));
    const run = async (tool) => (await exec(COMMANDS[tool][0], COMMANDS[tool][1], { cwd: project, env })).wallMs;
    log('priming: mbuild up and docker-compose build, then one untimed round');
    for (const tool of TOOLS) await run(tool);
    for (const tool of TOOLS) await run(tool);
    const entries = Number((await exec(COMMANDS.bare[0], COMMANDS.bare[1], { cwd: project, env })).stdout.trim());

    const times = Object.fromEntries(TOOLS.map((t) => [t, []]));
    for (let r = 0; r < RUNS; r++) {
      const order = TOOLS.map((_, i) => TOOLS[(i + r) % TOOLS.length]);
      for (const tool of order) times[tool].push(await run(tool));
      log(`round ${r + 1}/${RUNS}: ${order.map((t) => `${t} ${times[t][r].toFixed(0)} ms`).join(', ')}`);
    }
    // The runs were no-ops: the prediction finds every image fresh.
    const plan = JSON.parse((await exec(process.execPath, [BIN, 'plan', '--builder', 'classic', '--format', 'json'], { cwd: project, env })).stdout);
    const stale = plan.predictions.filter((p) => !p.fresh).map((p) => p.image);
    if (stale.length > 0) throw new Error(`after the no-ops, mbuild plan predicts builds: ${stale.join(', ')}`);

    const sorted = (a) => [...a].sort((x, y) => x - y);
    const med = (a) => {
      const s = sorted(a);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const vsBare = times.mbuild.map((t, i) => t / times.bare[i]);
    const vsCompose = times.compose.map((t, i) => t / times.mbuild[i]);
    const row = (label, a, unit, digits) =>
      `| ${label} | ${med(a).toFixed(digits)}${unit} | ${sorted(a)[0].toFixed(digits)}${unit} | ${sorted(a).at(-1).toFixed(digits)}${unit} |`;
    const bareRatio = med(vsBare);
    const composeRatio = med(vsCompose);
    const lines = [
      `No-op at the limit: ${SIZE.images} images, ${SIZE.files} read and ${SIZE.unread.files} unread files per context, ${RUNS} rounds` +
        `${QUICK ? ' (quick)' : ''}; bare walk: ${entries} input-set entries + one ping; load ${loadavg()[0].toFixed(2)}`,
      '',
      '| run | median | min | max |',
      '|---|---|---|---|',
      ...TOOLS.map((t) =>
        row(t === 'bare' ? 'bare walk of the input sets + ping' : t === 'mbuild' ? 'mbuild up (no-op)' : 'docker-compose build', times[t], ' ms', 0),
      ),
      row('mbuild / bare (paired)', vsBare, 'x', 2),
      row('compose / mbuild (paired)', vsCompose, 'x', 1),
      '',
      `* mbuild at most 1.2x the bare walk: ${bareRatio <= 1.2 ? 'met' : 'missed'} (${bareRatio.toFixed(2)}x)`,
      `* mbuild at least 25x faster than docker-compose build: ${composeRatio >= 25 ? 'met' : 'missed'} (${composeRatio.toFixed(1)}x)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (JSON_OUT)
      writeFileSync(JSON_OUT, `${JSON.stringify({ quick: QUICK, size: SIZE, runs: RUNS, entries, loadavg: loadavg(), times, vsBare, vsCompose }, null, 2)}\n`);
  } catch (e) {
    if (!interrupted()) log(`failed: ${e.message}`);
    process.exitCode = 2;
  } finally {
    log('removing the images and the temp folder');
    await removeImages(engineApi, name).catch((e) => log(`cannot remove the images: ${e.message}`));
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--walk') await bareWalk(process.argv[3]);
else await main();
