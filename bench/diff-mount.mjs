#!/usr/bin/env node
// Diff mounts: the fast path (B's extra layers out of `docker save`) against the fallback
// (archives of the path from a container of A and of B), on the same pair of images.
//
//   npm run build                     # it runs dist/
//   node bench/diff-mount.mjs         # A = busybox + 10 layers of 10 MiB below /data
//   node bench/diff-mount.mjs --mib 40 --runs 5 [--clean]
//
// Builds (once, reused; classic builder, no network) mbuild-bench-diff-a:<mib>, with 10
// RUN layers each adding <mib>/10 MiB of random files below /data, and
// mbuild-bench-diff-b:<mib> = A + 1 small layer (a new file, one changed file). Then runs
// diffEntries(A, B, '/data') R times each way, alternating, reading every entry's content,
// and prints median wall time, bytes read from the engine, requests, containers, and for
// the fast path how many layer tarballs of the export were parsed, drained without parsing,
// and never read (the export is dropped once the extra layer is in).
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';

const DIST = new URL('../dist/', import.meta.url);
const args = process.argv.slice(2);
const value = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const mib = value('--mib', 100);
const runs = value('--runs', 3);
const LAYERS = 10;

const { createEngine } = await import(new URL('docker/connect.js', DIST).href);
const { diffEntries, withTuning } = await import(new URL('mounts/diff.js', DIST).href);
const { newStats } = await import(new URL('mounts/diff-tar.js', DIST).href);
const engine = createEngine();

async function build(tag, dockerfile) {
  if (await engine.inspectImage(tag)) return;
  const p = pack();
  p.entry({ name: 'Dockerfile' }, dockerfile);
  p.finalize();
  const outcome = await engine.build(
    {
      context: Readable.from(p),
      dockerfile: 'Dockerfile',
      builder: 'classic',
      buildId: `mbuild-bench-${randomUUID()}`,
      buildArgs: {},
      labels: {},
      network: 'none',
      pull: false,
      noCache: false,
    },
    { signal: new AbortController().signal, onEvent: () => {} },
  );
  if (outcome.kind !== 'succeeded') throw new Error(`${tag} did not build: ${JSON.stringify(outcome)}`);
  await engine.tagImage(outcome.imageId, tag);
}

const A = `mbuild-bench-diff-a:${mib}`;
const B = `mbuild-bench-diff-b:${mib}`;
const perLayerKiB = Math.round((mib * 1024) / LAYERS);
const files = 20;
const layer = (i) =>
  `RUN mkdir -p /data/L${i} && for f in $(seq 1 ${files}); do head -c ${Math.round((perLayerKiB * 1024) / files)} /dev/urandom > /data/L${i}/f$f; done`;
process.stdout.write(`building ${A} (${LAYERS} layers, ${mib} MiB below /data) and ${B} (+1 small layer)... `);
await build(A, `FROM busybox\n${Array.from({ length: LAYERS }, (_, i) => layer(i)).join('\n')}\n`);
await build(B, `FROM ${A}\nRUN echo new > /data/new.txt && echo changed > /data/L3/f1\n`);
const [a, b] = await Promise.all([engine.inspectImage(A), engine.inspectImage(B)]);
console.log(`done\nA: ${a.layers.length} layers, ${(a.size / 2 ** 20).toFixed(1)} MiB; B: ${b.layers.length} layers, ${(b.size / 2 ** 20).toFixed(1)} MiB`);

async function once(mode) {
  const stats = newStats();
  const labels = { 'mbuild-bench-diff': randomUUID() };
  const t0 = performance.now();
  const r = diffEntries(A, B, '/data', withTuning({ engine, signal: new AbortController().signal, labels }, { mode, stats }));
  const names = [];
  let content = 0;
  for await (const e of r.entries) {
    names.push(e.name);
    if (e.content) for await (const c of e.content) content += c.length;
  }
  const ms = performance.now() - t0;
  const left = await engine.listContainers({ labels: [`mbuild-bench-diff=${labels['mbuild-bench-diff']}`] });
  if (left.length > 0) throw new Error('temporary containers were left behind');
  return { ms, stats, fast: await r.fastPath, names, deletions: await r.deletions, content };
}

const results = { auto: [], fallback: [] };
for (let i = 0; i < runs; i++) for (const mode of ['auto', 'fallback']) results[mode].push(await once(mode));

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const same = JSON.stringify(results.auto[0].names) === JSON.stringify(results.fallback[0].names);
console.log(`entries: ${JSON.stringify(results.auto[0].names)} (same both ways: ${same}), deletions: ${JSON.stringify(results.auto[0].deletions)}`);
console.log(
  `\n${'path'.padEnd(10)}${'median ms'.padStart(11)}${'MiB read'.padStart(10)}${'requests'.padStart(10)}${'containers'.padStart(12)}   layer tarballs of the export`,
);
for (const [mode, rs] of Object.entries(results)) {
  const s = rs[0].stats;
  const unread = b.layers.length - s.layersParsed - s.layersSkipped;
  const layers =
    mode === 'auto' ? `parsed ${s.layersParsed}, drained unparsed ${s.layersSkipped}, never read ${unread} (of ${b.layers.length})` : 'none (no export)';
  const name = mode === 'auto' ? (rs[0].fast ? 'fast' : 'auto→fb') : 'fallback';
  const mibRead = median(rs.map((r) => r.stats.bytesRead)) / 2 ** 20;
  console.log(
    `${name.padEnd(10)}${median(rs.map((r) => r.ms))
      .toFixed(0)
      .padStart(11)}${mibRead.toFixed(1).padStart(10)}${String(s.requests).padStart(10)}${String(s.containers).padStart(12)}   ${layers}`,
  );
}
const t0 = performance.now();
const save = await engine.exportImage(B);
const ttfb = performance.now() - t0;
save.destroy();
console.log(`\nexport of B: first byte after ${ttfb.toFixed(0)} ms (Engine 20.10 stages the whole save before sending)`);
console.log(`per run (ms): fast ${results.auto.map((r) => r.ms.toFixed(0)).join(' ')}; fallback ${results.fallback.map((r) => r.ms.toFixed(0)).join(' ')}`);
if (args.includes('--clean')) for (const t of [B, A]) await engine.removeImage(t, { force: true });
