#!/usr/bin/env node
// Mounting a big folder out of an image, side by side with `docker cp`.
//
//   node bench/mounts.mjs                 # 5,000 files, 100 MiB (quick)
//   node bench/mounts.mjs --full          # 50,000 files, 1 GiB (the figure of issue 4)
//   node bench/mounts.mjs --files N --mib M [--runs R] [--clean]
//
// Needs `npm run build` first (it runs dist/). Builds (once, reused) an image
// mbuild-bench-mounts:<files>-<mib> whose /data holds the files, then alternates R times:
//   docker cp   `docker cp <container>:/data - > /dev/null`
//   mbuild      a child process that packs a one-file context with /data mounted under
//               `data/` (temporary container, GET archive, entry checks, splice into the
//               context tar) and pipes the tar into a sink that discards it (as the upload
//               of POST /build would consume it)
// and prints the median times, their ratio, and the child's peak RSS (getrusage maxrss).
// The image is kept for the next run; --clean removes it at the end.
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../dist/', import.meta.url);
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};

if (flag('--child')) await child();
else await main();

async function main() {
  const full = flag('--full');
  const files = value('--files', full ? 50_000 : 5_000);
  const mib = value('--mib', full ? 1024 : 100);
  const runs = value('--runs', 3);
  const tag = `mbuild-bench-mounts:${files}-${mib}`;
  if (!imageExists(tag)) await buildImage(tag, files, mib);
  const cid = execFileSync('docker', ['create', '--network', 'none', '--label', 'mbuild-bench=1', tag, '/x'], { encoding: 'utf8' }).trim();
  const cp = [];
  const ours = [];
  let rss = 0;
  try {
    await dockerCp(cid); // warm the page cache once
    for (let r = 0; r < runs; r++) {
      cp.push(await dockerCp(cid));
      const o = await runChild(tag);
      ours.push(o.ms);
      rss = Math.max(rss, o.maxRssKb);
      if (o.bytes < mib * 1024 * 1024) throw new Error(`the context carried only ${o.bytes} bytes`);
    }
  } finally {
    execFileSync('docker', ['rm', '-f', cid], { stdio: 'ignore' });
    if (flag('--clean')) execFileSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const a = median(cp);
  const b = median(ours);
  console.log(`folder: ${files} files, ${mib} MiB (${tag}); ${runs} runs each, medians`);
  console.log(`docker cp -> /dev/null   ${(a / 1000).toFixed(2)} s   runs: ${cp.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
  console.log(`mbuild mount -> tar      ${(b / 1000).toFixed(2)} s   runs: ${ours.map((x) => (x / 1000).toFixed(2)).join(' ')}`);
  console.log(`ratio mbuild / docker cp ${(b / a).toFixed(2)}  (budget 1.5)`);
  console.log(`peak RSS of the mbuild process ${(rss / 1024).toFixed(0)} MB  (budget 200)`);
}

function imageExists(tag) {
  try {
    execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Builds the image from a generated context tar: `COPY data /data`, files of random bytes in folders of 1000. */
async function buildImage(tag, files, mib) {
  const { pack } = await import('tar-stream');
  const { createEngine } = await import(new URL('docker/connect.js', DIST).href);
  const size = Math.floor((mib * 1024 * 1024) / files);
  const p = pack();
  const buf = Buffer.alloc(size);
  (async () => {
    p.entry({ name: 'Dockerfile' }, 'FROM busybox\nCOPY data /data\n');
    for (let i = 0; i < files; i++) {
      randomFillSync(buf);
      await new Promise((resolve, reject) => p.entry({ name: `data/d${Math.floor(i / 1000)}/f${i}`, mode: 0o644 }, buf, (e) => (e ? reject(e) : resolve())));
    }
    p.finalize();
  })().catch((e) => p.destroy(e));
  console.error(`building ${tag}: ${files} files of ${size} bytes ...`);
  const engine = createEngine();
  const outcome = await engine.build(
    {
      context: Readable.from(p),
      dockerfile: 'Dockerfile',
      builder: 'classic',
      buildId: `bench-${Date.now()}`,
      buildArgs: {},
      labels: { 'mbuild-bench': '1' },
      network: 'none',
      pull: false,
      noCache: false,
    },
    { signal: new AbortController().signal, onEvent: () => {} },
  );
  if (outcome.kind !== 'succeeded') throw new Error(`building the bench image failed: ${JSON.stringify(outcome)}`);
  await engine.tagImage(outcome.imageId, tag);
}

function dockerCp(cid) {
  const devnull = openSync('/dev/null', 'w');
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn('docker', ['cp', `${cid}:/data`, '-'], { stdio: ['ignore', devnull, 'inherit'] });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`docker cp exited ${code}`))));
  });
}

function runChild(tag) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', tag], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`bench child exited ${code}`))));
  });
}

/** In a fresh process: the real mount pipeline into a context tar, read to the end. */
async function child() {
  const tag = args[args.indexOf('--child') + 1];
  const { createEngine } = await import(new URL('docker/connect.js', DIST).href);
  const { packContext } = await import(new URL('context/tar.js', DIST).href);
  const { allMountEntries } = await import(new URL('mounts/splice.js', DIST).href);
  const { TempContainers } = await import(new URL('mounts/temp-containers.js', DIST).href);
  const engine = createEngine();
  const info = await engine.inspectImage(tag);
  const dir = mkdtempSync(join(tmpdir(), 'mbuild-bench-mounts-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY data /data\n');
  const containers = new TempContainers(engine);
  const spec = { from: tag, source: { kind: 'external', ref: tag }, path: '/data', to: 'data', origin: [] };
  const signal = new AbortController().signal;
  try {
    const t0 = performance.now();
    const packed = await packContext({
      contextDir: dir,
      dockerfile: { path: join(dir, 'Dockerfile') },
      extra: allMountEntries([{ spec, source: { kind: 'image', image: { ref: info.id, name: tag } } }], {
        engine,
        signal,
        labels: containers.labels,
        containers,
      }),
    });
    if (!packed.ok) throw new Error(JSON.stringify(packed.error));
    // Consumed like POST /build does (docker-modem pipes it into the request), bytes discarded.
    let bytes = 0;
    const sink = new Writable({
      write(chunk, _enc, cb) {
        bytes += chunk.length;
        cb();
      },
    });
    await pipeline(packed.value.stream, sink);
    await packed.value.done;
    const ms = performance.now() - t0;
    await containers.close();
    process.stdout.write(JSON.stringify({ ms, bytes, maxRssKb: process.resourceUsage().maxRSS }));
  } finally {
    await containers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
