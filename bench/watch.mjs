#!/usr/bin/env node
// Benchmark of `mbuild watch` (issue 6). Not a test: it prints figures.
//
//   npm run build && node bench/watch.mjs                # both parts
//   node bench/watch.mjs --only latency --runs 9          # save -> tagged latency only
//   node bench/watch.mjs --only latency --builder classic # one builder (default: buildkit,classic)
//   node bench/watch.mjs --only idle --files 100000 --idle-seconds 20
//
// 1. Latency: a chain base -> app (app is built FROM base through an {image:} arg), 200
//    files each. Per round, one file of base is saved with new content; measured from just
//    before the write until watch reports app built and tagged (its image-done event, sent
//    after tagging). Against it, in the same round, bare `docker build` of the same chain
//    (base, then app FROM it) on a copy of the files with an edit of its own, and the same
//    with one label (mbuild's labels reach the classic builder as one LABEL step: that cost
//    is mbuild's cache labels, not watch). Same engine, same
//    builder: the classic one, because the docker CLI here has no buildx (so no BuildKit),
//    hence `watch --builder classic` and DOCKER_BUILDKIT=0. One warm-up round, then --runs
//    counted rounds (default 7); medians, min/max, paired overhead (watch - bare) and ratio.
//    Target: overhead <= 300 ms (watch includes its 150 ms debounce).
// 2. Idle CPU: watch over a context of --files generated files (default 100,000 in folders
//    of 1,000). After watch is idle, its CPU time (utime + stime from /proc) over
//    --idle-seconds (default 20) of wall time. Target < 2 %. Also: inotify watches held,
//    RSS, time to ready, and how long a save deep in the tree takes to be seen.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../bin/mbuild.js', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : def);
const ONLY = opt('--only');
const RUNS = Number(opt('--runs', 7));
const FILES = Number(opt('--files', 100_000));
const IDLE_S = Number(opt('--idle-seconds', 20));
const run = promisify(execFile);
const CLK_TCK = 100; // Linux USER_HZ
const BUILDERS = (opt('--builder') ?? 'buildkit,classic').split(',');

/**
 * The bare BuildKit build: the folder's tar (GNU tar) posted to `POST /build?version=2` with
 * curl, as mbuild does but with nothing else (the docker CLI here has no buildx). Resolves
 * with the image ID; rejects on an error in the stream.
 */
async function apiBuild(dir, tag, buildargs, label) {
  const q = new URLSearchParams({
    version: '2',
    networkmode: 'none',
    t: tag,
    buildargs: JSON.stringify(buildargs),
    buildid: `bare-${randomBytes(6).toString('hex')}`,
  });
  if (label) q.set('labels', JSON.stringify(Object.fromEntries([label.split('=')])));
  const sock = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
  const { stdout } = await run(
    'bash',
    [
      '-c',
      `tar -C "$1" -c . | curl -sS --unix-socket "$2" -X POST -H 'Content-Type: application/x-tar' --data-binary @- "http://localhost/v1.41/build?$3"`,
      'bare',
      dir,
      sock,
      q.toString(),
    ],
    { maxBuffer: 64 << 20 },
  );
  if (stdout.includes('"errorDetail"')) throw new Error(`bare BuildKit build of ${dir} failed: ${stdout.slice(-500)}`);
  const id = /"moby\.image\.id","aux":\{"ID":"(sha256:[0-9a-f]{64})"/.exec(stdout)?.[1];
  if (!id) throw new Error(`bare BuildKit build of ${dir}: no image ID in the stream`);
  return id;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${Math.round(x)} ms`;

/** `mbuild watch --progress json` as a child; events parsed as they arrive, with their arrival time. */
function startWatch(dir, args) {
  const child = spawn(process.execPath, [BIN, 'watch', '--progress', 'json', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1' },
  });
  const events = [];
  const waiters = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  child.stdout.on('data', (c) => {
    buf += c;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) {
      if (!l.trim()) continue;
      const e = { ...JSON.parse(l), at: performance.now() };
      events.push(e);
      for (const w of [...waiters]) if (events.length - 1 >= w.from && w.test(e)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(e);
    }
  });
  const waitFor = (test, from = 0, deadline = Number(process.env.MBW_DEADLINE ?? 300_000)) => {
    const found = events.slice(from).find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `watch: condition not met in ${deadline} ms\n${events
                .slice(-15)
                .map((e) => JSON.stringify(e).slice(0, 200))
                .join('\n')}\n${stderr}`,
            ),
          ),
        deadline,
      );
      waiters.push({ from, test, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  };
  const exited = new Promise((resolve) => child.on('close', resolve));
  return {
    child,
    events,
    waitFor,
    mark: () => events.length,
    ready: async () => {
      const r = await waitFor((e) => e.type === 'watch-ready');
      await waitFor((e) => e.type === 'watch-idle', events.indexOf(r));
      return r;
    },
    stop: async () => (child.kill('SIGINT'), exited),
  };
}

async function removeImages(project) {
  const ids = new Set();
  for (const filter of [`label=io.mbuild.project=${project}`]) {
    const { stdout } = await run('docker', ['image', 'ls', '-a', '-q', '--no-trunc', '--filter', filter]);
    stdout
      .split('\n')
      .filter(Boolean)
      .forEach((id) => ids.add(id));
  }
  const { stdout } = await run('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
  const tags = stdout.split('\n').filter((t) => t.startsWith(`${project}/`) || t.startsWith(`${project}-`) || t.startsWith(`mbuild-pin/${project}-`));
  if (tags.length) await run('docker', ['rmi', '-f', ...tags]).catch(() => undefined);
  for (let round = 0; round < 4 && ids.size; round++) {
    for (const id of [...ids])
      await run('docker', ['rmi', '-f', id]).then(
        () => ids.delete(id),
        () => undefined,
      );
  }
}

async function latency(builder) {
  const project = `mbw-lat-${builder}-${randomBytes(3).toString('hex')}`;
  const root = mkdtempSync(join(tmpdir(), 'mbw-lat-'));
  const dir = join(root, 'watched');
  const bare = join(root, 'bare');
  for (const [img, df] of [
    ['base', 'FROM busybox\nCOPY . /srv/base/\n'],
    ['app', 'ARG BASE\nFROM ${BASE}\nCOPY . /srv/app/\n'],
  ]) {
    mkdirSync(join(dir, img), { recursive: true });
    writeFileSync(join(dir, img, 'Dockerfile'), df);
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, img, `f${i}.txt`), randomBytes(512).toString('hex'));
    writeFileSync(join(dir, img, 'v.txt'), 'v0\n');
  }
  writeFileSync(
    join(dir, 'mbuild.yaml'),
    `version: 1\nname: ${project}\ndefaults:\n  network: none\nimages:\n  base:\n    context: base\n    tags: ["${project}/base:t"]\n  app:\n    context: app\n    tags: ["${project}/app:t"]\n    args: {BASE: {image: base}}\n`,
  );
  cpSync(dir, bare, { recursive: true });
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  const bareIds = new Set();
  // `labels`: also one label (mbuild gives the classic builder its labels as one LABEL step).
  const bareChain = async (labels) => {
    const label = (img) => `io.mbuild.key=${img}-${randomBytes(8).toString('hex')}`;
    if (builder === 'buildkit') {
      bareIds.add(await apiBuild(join(bare, 'base'), `${project}-bare/base:t`, {}, labels ? label('base') : undefined));
      bareIds.add(await apiBuild(join(bare, 'app'), `${project}-bare/app:t`, { BASE: `${project}-bare/base:t` }, labels ? label('app') : undefined));
      return;
    }
    const extra = (img) => (labels ? ['--label', label(img)] : []);
    const b = await run('docker', ['build', '-q', '--network', 'none', ...extra('base'), '-t', `${project}-bare/base:t`, join(bare, 'base')], { env });
    const a = await run(
      'docker',
      ['build', '-q', '--network', 'none', ...extra('app'), '--build-arg', `BASE=${project}-bare/base:t`, '-t', `${project}-bare/app:t`, join(bare, 'app')],
      { env },
    );
    bareIds.add(b.stdout.trim()).add(a.stdout.trim());
  };
  const timedBare = async (content, labels) => {
    writeFileSync(join(bare, 'base', 'v.txt'), content);
    const b0 = performance.now();
    await bareChain(labels);
    return performance.now() - b0;
  };
  const w = startWatch(dir, ['--builder', builder]);
  const rows = [];
  try {
    await w.ready();
    await bareChain(false);
    for (let round = 0; round <= RUNS; round++) {
      const tag = randomBytes(8).toString('hex');
      // watch: save -> app tagged
      const m = w.mark();
      const t0 = performance.now();
      writeFileSync(join(dir, 'base', 'v.txt'), `edit ${round} ${tag}\n`);
      const done = await w.waitFor((e) => e.type === 'image-done' && e.image === 'app', m);
      if (done.outcome.kind !== 'built') throw new Error(`app was not built: ${JSON.stringify(done.outcome)}`);
      const watchMs = done.at - t0;
      const started = w.events.slice(m).find((e) => e.type === 'run-started');
      await w.waitFor((e) => e.type === 'watch-idle', m);
      // bare docker build of the same chain, same kind of edit (content differs: no cache hit)
      const bareMs = await timedBare(`edit ${round} ${tag} bare\n`, false);
      const labelledMs = await timedBare(`edit ${round} ${tag} labelled\n`, true);
      const row = { watchMs, bareMs, labelledMs, runStartMs: started.at - t0 };
      if (round > 0) rows.push(row);
      console.log(
        `  ${(round === 0 ? 'warm-up' : `run ${round}`).padEnd(7)}  watch ${ms(watchMs).padStart(8)} (run started at ${ms(row.runStartMs)})   bare ${ms(bareMs).padStart(8)}   bare + one LABEL ${ms(labelledMs).padStart(8)}`,
      );
    }
  } finally {
    await w.stop();
    rmSync(root, { recursive: true, force: true });
    await removeImages(project);
    await removeImages(`${project}-bare`);
    for (const id of bareIds) await run('docker', ['rmi', '-f', id]).catch(() => undefined);
  }
  const stat = (k) =>
    `median ${ms(median(rows.map((r) => r[k])))}  (min .. max ${ms(Math.min(...rows.map((r) => r[k])))} .. ${ms(Math.max(...rows.map((r) => r[k])))})`;
  const overBare = median(rows.map((r) => r.watchMs - r.bareMs));
  const overLabelled = median(rows.map((r) => r.watchMs - r.labelledMs));
  console.log(`\nsave -> tagged, chain base -> app (200 files each), ${builder} builder, ${rows.length} runs after 1 warm-up:`);
  console.log(`  mbuild watch                     ${stat('watchMs')}`);
  console.log(`    of which: save -> run started  ${stat('runStartMs')}  (150 ms is the debounce)`);
  console.log(`  bare ${builder === 'buildkit' ? 'POST /build?version=2' : 'docker build       '}     ${stat('bareMs')}`);
  console.log(
    `  bare build + 1 label             ${stat('labelledMs')}  (${builder === 'buildkit' ? 'labels are image config for BuildKit: no step' : "mbuild's labels cost the classic builder one LABEL step"})`,
  );
  console.log(
    `  watch - bare (paired)            median ${ms(overBare)}, ratio ${(median(rows.map((r) => r.watchMs)) / median(rows.map((r) => r.bareMs))).toFixed(2)}  target <= 300 ms: ${overBare <= 300 ? 'met' : 'NOT met'}`,
  );
  console.log(`  watch - bare with labels         median ${ms(overLabelled)}  (watch's own overhead: debounce, change detection, cache decision, tagging)`);
}

const ticks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
};
const inotifyWatches = (pid) =>
  readdirSync(`/proc/${pid}/fdinfo`).reduce((n, fd) => {
    try {
      return (
        n +
        readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('inotify wd:')).length
      );
    } catch {
      return n;
    }
  }, 0);

async function idle() {
  const project = `mbw-idle-${randomBytes(3).toString('hex')}`;
  const root = mkdtempSync(join(tmpdir(), 'mbw-idle-'));
  const ctx = join(root, 'big');
  const g0 = performance.now();
  for (let d = 0; d < Math.ceil(FILES / 1000); d++) {
    mkdirSync(join(ctx, `d${d}`), { recursive: true });
    for (let i = 0; i < Math.min(1000, FILES - d * 1000); i++) writeFileSync(join(ctx, `d${d}`, `f${i}.txt`), `${d}/${i}\n`);
  }
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY d0/f0.txt /f0.txt\n');
  writeFileSync(
    join(root, 'mbuild.yaml'),
    `version: 1\nname: ${project}\ndefaults:\n  network: none\nimages:\n  big:\n    context: big\n    tags: ["${project}/big:t"]\n`,
  );
  console.log(`\ngenerated ${FILES.toLocaleString('en')} files in ${ms(performance.now() - g0)}`);
  const s0 = performance.now();
  const w = startWatch(root, []);
  try {
    const ready = await w.ready();
    const pid = w.child.pid;
    console.log(`  first build + watching ready in ${ms(performance.now() - s0)} (polling: ${ready.polling}${ready.note ? `; ${ready.note}` : ''})`);
    const c0 = ticks(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const cpuS = (ticks(pid) - c0) / CLK_TCK;
    const wallS = (performance.now() - t0) / 1000;
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1];
    console.log(
      `  idle: ${cpuS.toFixed(2)} s CPU over ${wallS.toFixed(1)} s = ${((100 * cpuS) / wallS).toFixed(2)} % CPU  target < 2 %: ${(100 * cpuS) / wallS < 2 ? 'met' : 'NOT met'}`,
    );
    console.log(`  inotify watches held: ${inotifyWatches(pid).toLocaleString('en')}, RSS ${Math.round(rss / 1024)} MiB`);
    const m = w.mark();
    const e0 = performance.now();
    writeFileSync(join(ctx, `d${Math.floor(FILES / 2000)}`, 'f7.txt'), 'edited\n');
    await w.waitFor((e) => e.type === 'watch-change', m);
    console.log(`  a save deep in the tree is seen in ${ms(performance.now() - e0)}`);
    await w.waitFor((e) => e.type === 'watch-idle', m);
  } finally {
    await w.stop();
    rmSync(root, { recursive: true, force: true });
    await removeImages(project);
  }
}

if (ONLY === undefined || ONLY === 'latency') {
  for (const builder of BUILDERS) {
    console.log(`latency (${builder}): save -> rebuilt image tagged`);
    await latency(builder);
  }
}
if (ONLY === undefined || ONLY === 'idle') await idle();
