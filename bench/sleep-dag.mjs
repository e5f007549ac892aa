// Issue 3 speed targets, measured in one run on the engine `npm run engine` provides:
//  1. A DAG of 4 levels x 5 images, each `RUN sleep 1`, built with -j 5 and --no-cache:
//     wall time / critical-path bound <= 1.15. The bound is the largest sum of per-image
//     engine build times along any dependency chain, measured in the same run.
//  2. Overhead per image: mbuild's wall time minus the engine's build time (the time
//     inside POST /build), over a serial (-j 1) run, divided by the number of images.
// Engine build times come from a counting proxy in front of the engine (proxy.mjs): the
// time from each POST /build request to the end of its response, mapped to its image by
// the build ID mbuild sends. Default builder (BuildKit here).
// Usage: node bench/sleep-dag.mjs [--runs N]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startProxy } from './proxy.mjs';
import { pruneByLabel } from './engine-api.mjs';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen.mjs';

const BIN = fileURLToPath(new URL('../bin/mbuild.js', import.meta.url));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const dir = join(tmpdir(), 'mbuild-bench-sleep-dag');
const { images } = generate({ dir, name: 'benchdag', levels: 4, width: 5, sleep: 1 });

const proxy = await startProxy({ path: join(tmpdir(), `mbuild-bench-sleep-dag-${process.pid}.sock`) });
const run = promisify(execFile);

async function up(args) {
  proxy.reset();
  const started = performance.now();
  const { stdout: out } = await run(process.execPath, [BIN, 'up', '--progress', 'json', '--no-cache', ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, DOCKER_HOST: `unix://${proxy.path}` },
  });
  const wall = performance.now() - started;
  const events = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const done = events.filter((e) => e.type === 'image-done');
  if (done.some((e) => e.outcome.kind !== 'built')) throw new Error('a build failed');
  const plan = JSON.parse(execFileSync(process.execPath, [BIN, 'plan', '--format', 'json'], { cwd: dir, encoding: 'utf8' }));
  const engineMs = new Map(proxy.snapshot().builds.map((b) => [/^mbuild-(.+)-\d+-\d+$/.exec(b.buildId)?.[1], b.ms]));
  if (plan.images.some((i) => !engineMs.has(i.name))) throw new Error('a build was not seen by the proxy');
  const bound = new Map();
  for (const image of plan.images) {
    const up = Math.max(0, ...image.dependsOn.map((d) => bound.get(d.image)));
    bound.set(image.name, up + engineMs.get(image.name));
  }
  const engineTotal = [...engineMs.values()].reduce((a, b) => a + b, 0);
  return { wall, bound: Math.max(...bound.values()), engineTotal };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, f = (x) => x.toFixed(3)) => `${f(median(xs))} (min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))})`;

await up(['-j', '5']); // warm-up
const ratios = [];
const overheads = [];
for (let i = 0; i < runs; i++) {
  const parallel = await up(['-j', '5']);
  ratios.push(parallel.wall / parallel.bound);
  const serial = await up(['-j', '1']);
  overheads.push((serial.wall - serial.engineTotal) / images.length);
}
console.log(`sleep DAG: ${images.length} images, 4 levels x 5, RUN sleep 1, --no-cache, ${runs} counted runs after 1 warm-up`);
console.log(`  -j 5 wall / critical-path bound: ${fmt(ratios)}   target <= 1.15`);
console.log(`  -j 1 overhead per image (wall - engine build time) / images: ${fmt(overheads, (x) => `${x.toFixed(1)} ms`)}   target < 50 ms`);
await proxy.close();
execFileSync('sh', ['-c', `docker images --format '{{.Repository}}:{{.Tag}}' | grep '^benchdag/' | xargs -r docker rmi -f >/dev/null`]);
// Every --no-cache round left the last round's builds untagged, and the project folder is ours: both go.
await pruneByLabel('io.mbuild.project=benchdag');
rmSync(dir, { recursive: true, force: true });
