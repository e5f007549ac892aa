#!/usr/bin/env node
// Issue 17, step 1: how can the shared cache's hits reach a fresh engine fastest? The 30
// images of bench/registry.mjs are stored as cache entries (mbuild up --cache-to on the main
// engine), then for every round and route a new empty dockerd (busybox loaded) gets all 30:
//   pull4     POST /images/create of each entry, 4 at a time (what mbuild does now)
//   pull30    the same, all 30 at once
//   load1     ONE POST /images/load of a docker-save tar assembled from the registry's blobs
//             (manifest.json, the configs, every layer blob once, gzip as stored)
//   load1omit the same, the layers the engine already has (busybox) left out of the tar
//   levels    one load per level of the graph (how hits arrive when a build's key waits for
//             its parents), each leaving out the layers loaded before
//   loadeach4 one load per image, 4 at a time, each with every layer of its chain
//   reload    the fixed part of load1: the same tar loaded again (every layer already there)
//   cli4, pull4px, mbuild, mbuildpx: docker pull -P 4; pull4 through the benches' counting
//             proxies; mbuild up --cache-from (directly, and through the proxies)
// The time counted includes reading the manifests and configs from the registry.
//
//   node bench/cache-load-probe.mjs [--rounds N] [--routes pull4,load1,...] [--quick]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { engineApi } from './engine-api.mjs';
import { processRunner } from './exec.mjs';
import { generateMonorepo, registryMonorepo } from './gen.mjs';
import { startProxy } from './proxy.mjs';
import { startRegistryProxy } from './registry-proxy.mjs';
import { freePort, startRegistry } from '../test/helpers/registry-server.mjs';
import { startEngine } from '../test/helpers/second-engine.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(HERE, '..', 'bin', 'mbuild.js');
const argv = process.argv.slice(2);
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const QUICK = argv.includes('--quick');
const ROUNDS = Number(opt('--rounds') ?? 3);
const ROUTES = (opt('--routes') ?? 'pull4,load1,load1omit,levels,loadeach4,pull30').split(',');
const NAME = 'cacheprobe';
const { sizes: SIZES } = registryMonorepo(QUICK);
const log = (m) => process.stderr.write(`probe: ${m}\n`);
const { exec, interrupted, stopOnSignals } = processRunner({ spawn, timeoutMs: 15 * 60_000, log });
const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `fn` over `items`, `n` at a time. */
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** An Engine API call with a streamed body; resolves with the response text, rejects on an error line. */
function engineCall(socket, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300 || /"error"/.test(text)) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(-500)}`));
        else resolve(text);
      });
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else body.pipe(req);
  });
}

// ---- the registry side: manifests, configs, blobs

async function entryOf(registry, ref) {
  const [repo, tag] = ref.slice(registry.length + 1).split(':');
  const m = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { headers: { Accept: MANIFEST_ACCEPT } });
  const manifest = await m.json();
  const c = await fetch(`http://${registry}/v2/${repo}/blobs/${manifest.config.digest}`);
  const configBytes = Buffer.from(await c.arrayBuffer());
  const config = JSON.parse(configBytes.toString('utf8'));
  return { ref, repo, manifest, configBytes, id: manifest.config.digest, diffIds: config.rootfs.diff_ids, labels: config.config.Labels };
}

/** Chain IDs of a list of diff IDs, as the layer store names them. */
function chainIds(diffIds) {
  const out = [];
  let chain;
  for (const d of diffIds) {
    chain = chain === undefined ? d : `sha256:${createHash('sha256').update(`${chain} ${d}`).digest('hex')}`;
    out.push(chain);
  }
  return out;
}

// ---- a docker-save tar, streamed

function header(name, size) {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  const oct = (off, v, digits) => b.write(`${v.toString(8).padStart(digits, '0')} `, off, digits + 1, 'latin1');
  oct(100, 0o644, 6);
  oct(108, 0, 6);
  oct(116, 0, 6);
  oct(124, size, 11);
  oct(136, Math.floor(Date.now() / 1000), 11);
  b[156] = 0x30;
  b.write('ustar\x0000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i];
  b.write(`${sum.toString(8).padStart(6, '0')}\x00 `, 148, 8, 'latin1');
  return b;
}
const pad = (size) => Buffer.alloc((512 - (size % 512)) % 512);

/** The tar of `entries` (one manifest.json), leaving out the layer files whose chain ID is in `have`. */
function saveTar(registry, entries, have) {
  return Readable.from(
    (async function* () {
      const items = [];
      const blobs = new Map();
      for (const e of entries) {
        const chains = chainIds(e.diffIds);
        const layers = e.manifest.layers.map((l, i) => {
          const file = `${l.digest.slice(7)}.tar.gz`;
          if (!have.has(chains[i])) blobs.set(l.digest, { file, size: l.size, repo: e.repo });
          return file;
        });
        items.push({ Config: `${e.id.slice(7)}.json`, RepoTags: [e.ref], Layers: layers });
        for (const c of chains) have.add(c);
      }
      const manifest = Buffer.from(JSON.stringify(items));
      for (const e of entries) {
        yield header(`${e.id.slice(7)}.json`, e.configBytes.length);
        yield e.configBytes;
        yield pad(e.configBytes.length);
      }
      yield header('manifest.json', manifest.length);
      yield manifest;
      yield pad(manifest.length);
      for (const [digest, b] of blobs) {
        yield header(b.file, b.size);
        const res = await fetch(`http://${registry}/v2/${b.repo}/blobs/${digest}`);
        let n = 0;
        for await (const chunk of res.body) {
          n += chunk.length;
          yield chunk;
        }
        if (n !== b.size) throw new Error(`blob ${digest}: ${n} bytes, not ${b.size}`);
        yield pad(b.size);
      }
      yield Buffer.alloc(1024);
    })(),
  );
}

const load = (socket, tar) => engineCall(socket, 'POST', '/images/load?quiet=1', tar, { 'Content-Type': 'application/x-tar' });
const pull = (socket, ref) => {
  const i = ref.lastIndexOf(':');
  return engineCall(socket, 'POST', `/images/create?fromImage=${encodeURIComponent(ref.slice(0, i))}&tag=${ref.slice(i + 1)}`, undefined, {
    'X-Registry-Auth': 'e30=',
  });
};

async function engineChains(socket) {
  const have = new Set();
  for (const img of await engineApi('GET', '/images/json', socket)) {
    const info = await engineApi('GET', `/images/${img.Id}/json`, socket);
    for (const c of chainIds(info.RootFS.Layers ?? [])) have.add(c);
  }
  return have;
}

const ROUTE = {
  pull4: (ctx) => pool(ctx.refs, 4, (ref) => pull(ctx.socket, ref)),
  pull30: (ctx) => pool(ctx.refs, 30, (ref) => pull(ctx.socket, ref)),
  load1: async (ctx) => {
    const entries = await readEntries(ctx);
    await load(ctx.socket, saveTar(ctx.registry, entries, new Set()));
  },
  load1omit: async (ctx) => {
    const have = await engineChains(ctx.socket);
    const entries = await readEntries(ctx);
    await load(ctx.socket, saveTar(ctx.registry, entries, have));
  },
  levels: async (ctx) => {
    const have = await engineChains(ctx.socket);
    for (const level of ctx.levels) {
      const entries = await readEntries({ ...ctx, refs: level });
      await load(ctx.socket, saveTar(ctx.registry, entries, have));
    }
  },
  // The fixed part of a load: the same tar again into an engine that has every layer (only untar, configs, tags);
  // the first load is not counted.
  reload: async (ctx) => {
    const entries = await readEntries(ctx);
    await load(ctx.socket, saveTar(ctx.registry, entries, new Set()));
    ctx.restart();
    await load(ctx.socket, saveTar(ctx.registry, entries, new Set()));
  },
  cli4: (ctx) =>
    exec('sh', ['-c', `xargs -P 4 -n 1 docker pull -q < ${ctx.refsFile} > /dev/null`], { env: { ...process.env, DOCKER_HOST: `unix://${ctx.socket}` } }),
  pull4px: (ctx) => viaProxies(ctx, (c) => ROUTE.pull4(c)),
  mbuild: (ctx) => mbuildUp(ctx, ctx.registry),
  mbuildpx: (ctx) => viaProxies(ctx, (c) => mbuildUp(c, c.proxyHost)),
  loadeach4: async (ctx) => {
    const entries = await readEntries(ctx);
    await pool(entries, 4, (e) => load(ctx.socket, saveTar(ctx.registry, [e], new Set())));
  },
};

async function viaProxies(ctx, fn) {
  const regProxy = await startRegistryProxy({ port: await freePort(), upstream: ctx.registry });
  const proxy = await startProxy({ path: join(ctx.work, 'engine.sock'), upstream: ctx.socket });
  try {
    const refs = ctx.refs.map((r) => r.replace(ctx.registry, regProxy.host));
    await fn({ ...ctx, refs, socket: proxy.path, proxyHost: regProxy.host });
  } finally {
    await proxy.close();
    await regProxy.close();
  }
}

async function mbuildUp(ctx, registry) {
  rmSync(join(ctx.dir, '.mbuild'), { recursive: true, force: true });
  rmSync(ctx.metadata, { force: true });
  await exec(process.execPath, [BIN, 'up', '--builder', 'classic', '-j', '4', '-q', '--cache-from', `${registry}/cache`, '--metadata-file', ctx.metadata], {
    cwd: ctx.dir,
    env: { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_HOST: `unix://${ctx.socket}` },
  });
  const meta = JSON.parse(readFileSync(ctx.metadata, 'utf8')).images;
  const bad = Object.entries(meta).filter(([, e]) => !(e.result === 'up-to-date' && typeof e.cache === 'string'));
  if (bad.length) throw new Error(`not from the cache: ${bad.map(([n]) => n).join(' ')}`);
  ctx.mbuild = true;
}

async function readEntries(ctx) {
  const out = new Array(ctx.refs.length);
  await pool(
    ctx.refs.map((r, i) => [r, i]),
    8,
    async ([r, i]) => (out[i] = await entryOf(ctx.registry, r)),
  );
  return out;
}

async function check(socket, refs, ids) {
  const images = await engineApi('GET', '/images/json', socket);
  const tags = new Set(images.flatMap((i) => i.RepoTags ?? []));
  const idset = new Set(images.map((i) => i.Id));
  const missing = refs.filter((r) => !tags.has(r));
  const noId = ids.filter((id) => !idset.has(id));
  if (missing.length || noId.length) throw new Error(`missing tags ${missing.join(' ')} ids ${noId.join(' ')}`);
}

async function main() {
  stopOnSignals();
  const work = mkdtempSync(join(tmpdir(), 'mbuild-probe-'));
  const reg = await startRegistry({ prefix: 'mbp-registry-' });
  const results = {};
  try {
    const dir = join(work, NAME);
    const g = generateMonorepo({
      dir,
      name: NAME,
      ...SIZES,
      registry: reg.host,
      tag: '1',
    });
    const metadata = join(work, 'metadata.json');
    log('warming the cache on the main engine');
    const warm = await exec(
      process.execPath,
      [BIN, 'up', '--builder', 'classic', '-j', '4', '-q', '--cache-to', `${reg.host}/cache`, '--metadata-file', metadata],
      {
        cwd: dir,
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      },
    );
    log(`warm ${(warm.wallMs / 1000).toFixed(1)} s`);
    const meta = JSON.parse(readFileSync(metadata, 'utf8')).images;
    const refs = g.images.map((m) => meta[m.name].cacheStored);
    const levels = [];
    g.images.forEach((m, i) => (levels[m.level] ??= []).push(refs[i]));
    const refsFile = join(work, 'refs.txt');
    writeFileSync(refsFile, `${refs.join('\n')}\n`);
    const ids = (await Promise.all(refs.map((r) => entryOf(reg.host, r)))).map((e) => e.id);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = ROUTES.map((_, i) => ROUTES[(i + round - 1) % ROUTES.length]);
      for (const route of order) {
        if (interrupted()) throw new Error('interrupted');
        const engine = await startEngine({ prefix: 'mbp-dockerd-' });
        try {
          const la = loadavg()[0];
          let t0 = performance.now();
          const ctx = { socket: engine.socket, registry: reg.host, refs, levels, refsFile, work, dir, metadata, restart: () => (t0 = performance.now()) };
          await ROUTE[route](ctx);
          const ms = performance.now() - t0;
          if (!route.startsWith('mbuild')) await check(engine.socket, route.endsWith('px') ? [] : refs, ids);
          (results[route] ??= []).push(ms);
          log(`round ${round} ${route}: ${(ms / 1000).toFixed(2)} s (load ${la.toFixed(2)})`);
        } finally {
          await engine.stop();
        }
      }
    }
  } finally {
    await reg.stop();
    for (let pass = 0; pass < 10; pass++) {
      const imgs = (await engineApi('GET', '/images/json?all=1')).filter(
        (i) => i.Labels?.['io.mbuild.project'] === NAME || (i.RepoTags ?? []).some((t) => t.startsWith(`${reg.host}/`)),
      );
      if (imgs.length === 0) break;
      for (const i of imgs) await engineApi('DELETE', `/images/${i.Id}?force=1`).catch(() => undefined);
    }
    rmSync(work, { recursive: true, force: true });
  }
  for (const [route, ms] of Object.entries(results))
    process.stdout.write(`${route}: median ${(median(ms) / 1000).toFixed(2)} s [${ms.map((x) => (x / 1000).toFixed(2)).join(', ')}]\n`);
  process.stdout.write(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
}

main().catch((e) => {
  log(`error: ${e.stack ?? e}`);
  process.exitCode = interrupted() ? 130 : 1;
});
