#!/usr/bin/env node
// The benchmark suite (issue 7): mbuild against `docker-compose build` (compose v1, Debian's
// docker-compose package) and `make -j` over a generated Makefile of `docker build`
// commands, on the same engine, in the same run, with the same builder: the classic one
// (compose v1 cannot use BuildKit through the Engine API, and the docker CLI here has no
// buildx), so DOCKER_BUILDKIT=0 and `mbuild up --builder classic` everywhere. The cold build
// and the root edit also run `mbuild up --builder buildkit` (an extra row, on its own copy of
// the project), whose images must have the same file trees.
//
// The separately written scripts are parts of the run (bench/parts.mjs): precise inputs,
// registries, BuildKit sessions, the engine pool and the no-op at the limit; each saves its
// JSON under bench/results/, from which the docs are rendered.
//
//   npm run bench                  # the full run; writes docs/benchmarks.md and docs/bench-*.svg
//   node bench/run.mjs --quick     # smaller sizes, fewer runs; writes bench/results/quick.* and quick-*.svg;
//                                  # a part runs (in its quick mode) only when its quick JSON is missing
//   node bench/run.mjs --only noop,leaf   # some scenarios (cold runs first when needed); or parts by id
//   node bench/run.mjs --runs N    # counted runs per tool (default 5 full, 1 quick)
//   node bench/run.mjs --refresh watch,registry   # rerun those parts into bench/results/ and
//                                  # docs/benchmarks.md, which then says so (the rest stays as measured)
//   node bench/run.mjs --only noop && node bench/run.mjs --refresh partial
//                                  # the same for scenarios: the --only run's replace the full run's
//   node bench/run.mjs --suffix x  # projects benchmonox, ... and /tmp/mbuild-benchx: beside another bench on the engine
//   node bench/run.mjs --render    # render docs/benchmarks.md and the charts again from the saved JSON
//                                  # (with --quick: bench/results/quick.md from quick.json); runs nothing
//
// docs/benchmarks.md keeps the blocks written by hand between `<!-- hand: ID -->` and
// `<!-- /hand: ID -->`: each render puts them back in their places (an unknown ID at the end).
//
// Every tool talks to the engine through a counting proxy (proxy.mjs): /build calls,
// context bytes and the engine's time inside each /build are counted per run. Each
// scenario has a warm-up round, then counted rounds, the tools interleaved (A B C A B C);
// ratios are paired by round. After each scenario the file systems of every tool's images
// are compared (fs-digest.mjs); any difference fails the bench (exit 1).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { familyCharts } from './chart.mjs';
import { engineApi, INSTALL_COMPOSE, pruneLabelled } from './engine-api.mjs';
import { imageDigest } from './fs-digest.mjs';
import { editFile, generateMonorepo, TOOLS } from './gen.mjs';
import { loadPart, PARTS, partSection, partTargets, runPart } from './parts.mjs';
import { startProxy } from './proxy.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '..');
const BIN = join(REPO, 'bin', 'mbuild.js');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const ONLY = opt('--only')?.split(',');
/** Reruns only these separately owned parts (sleepDag, mounts, watch), or merges the last --only run (partial), into the last full run's figures. */
const REFRESH = opt('--refresh')?.split(',');
/** Renders the docs from the saved JSON, running nothing. */
const RENDER = argv.includes('--render');
const RESULTS = join(HERE, 'results');
const RUNS = Number(opt('--runs') ?? (QUICK ? 1 : 5));
/** Warm-up rounds before the counted ones (the quick run skips them). */
const WARMUP = QUICK ? 0 : 1;
const JOBS = 4;
/**
 * `--suffix S`: appended to every project name and to the work folder, so that a second bench on
 * the same engine (another checkout, a lab) neither prunes nor overwrites this one's images.
 */
const SUFFIX = opt('--suffix') ?? '';
if (!/^[a-z0-9]*$/.test(SUFFIX)) throw new Error('--suffix takes lower-case letters and digits');
const WORK = join(tmpdir(), `mbuild-bench${SUFFIX}`);
const MiB = 1024 * 1024;

const SIZES = QUICK
  ? {
      mono: { images: 5, depth: 3, fanout: 2, files: 20, fileBytes: 512, argEvery: 3, mountEvery: 2 },
      sleep: { images: 4, depth: 2, fanout: 1, roots: 2, sleep: 1 },
      plan: { images: 500, depth: 5, fanout: 5 },
      plan20k: { images: 2000, depth: 6, fanout: 5, defaultTags: true, argEvery: 8, mountEvery: 16 },
      many: { files: 2_000, fileBytes: 64 },
      big: { files: 16, fileBytes: MiB },
      mounts: ['--files', '1000', '--mib', '20', '--runs', '1'],
    }
  : {
      mono: { images: 30, depth: 4, fanout: 3, files: 200, fileBytes: 1024, argEvery: 3, mountEvery: 4 },
      sleep: { images: 20, depth: 4, fanout: 1, roots: 5, sleep: 1 },
      plan: { images: 5000, depth: 6, fanout: 5 },
      // About 0.8 MB of mbuild.yaml (default tags: 20,000 images fit under the 1 MiB limit).
      plan20k: { images: 20000, depth: 6, fanout: 5, defaultTags: true, argEvery: 8, mountEvery: 16 },
      many: { files: 100_000, fileBytes: 64 },
      big: { files: 2048, fileBytes: MiB },
      mounts: ['--full'],
    };

const log = (m) => process.stderr.write(`bench: ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

// ---------------------------------------------------------------------------------------
// Processes

/** Runs a command under GNU time; resolves with wall time (ms), peak RSS (KiB), output. */
function exec(cmd, args, o = {}) {
  const timeFile = join(WORK, `time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, cmd, ...args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      let maxRssKb = NaN;
      try {
        maxRssKb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
        rmSync(timeFile, { force: true });
      } catch {
        /* no figure */
      }
      if (code !== 0 && !o.allowFail)
        reject(new Error(`${cmd} ${args.join(' ')} (in ${o.cwd ?? '.'}) exited ${code}\n${stderr.slice(-4000)}${stdout.slice(-2000)}`));
      else resolve({ code, wallMs, maxRssKb, stdout, stderr });
    });
  });
}

const sh = (script, o = {}) => exec('sh', ['-c', script], o);

/** Removes every image a tool built for a project (untagged layers too): prunes until nothing is left. */
async function pruneImages(tool, project) {
  const left = await pruneLabelled(tool, project);
  if (left.length > 0) throw new Error(`could not remove ${left.length} images of ${tool} in ${project}`);
}

// ---------------------------------------------------------------------------------------
// Tools

let proxy;
const toolEnv = () => ({
  ...process.env,
  DOCKER_HOST: `unix://${proxy.path}`,
  DOCKER_BUILDKIT: '0',
  COMPOSE_DOCKER_CLI_BUILD: '0',
  DOCKER_CLI_HINTS: 'false',
});

/** The command each tool runs, in the project folder. */
const COMMANDS = {
  mbuild: (p, extra = []) => [process.execPath, [BIN, 'up', '--builder', 'classic', '-j', String(p.jobs ?? JOBS), '-q', ...extra]],
  // On the project's BuildKit copy (p.bk). A cold run says --no-cache: BuildKit's cache is not in images, so pruning them leaves it.
  'mbuild buildkit': (p) => [process.execPath, [BIN, 'up', '--builder', 'buildkit', '-j', String(p.jobs ?? JOBS), '-q', ...(p.cold ? ['--no-cache'] : [])]],
  compose: (p, extra = []) => ['docker-compose', ['-p', p.name, 'build', '-q', ...extra]],
  make: (p) => ['make', ['-s', '-j', String(p.jobs ?? JOBS)]],
  bare: (p) => [process.execPath, [join(HERE, 'bare-walk.mjs'), p.dir]],
  node: () => [process.execPath, ['-e', '0']],
  'mbuild validate': () => [process.execPath, [BIN, 'validate']],
  // The builder the bench builds with: the prediction then finds the images the no-op reuses (and inspects them).
  'mbuild plan': () => [process.execPath, [BIN, 'plan', '--builder', 'classic']],
};
const commandLine = (tool, p) => {
  const [cmd, args] = COMMANDS[tool](p);
  return `${cmd === process.execPath ? 'node' : cmd} ${args.map((a) => a.replace(REPO + '/', '').replace(p.dir, '<project>')).join(' ')}${tool === 'mbuild buildkit' ? ' (in a copy of the project)' : ''}`;
};

/** Tools that build images, and the tag each gives an image of `p` (mbuild buildkit: in its copy of the project). */
const BUILDERS = [...TOOLS, 'mbuild buildkit'];
const tagOf = (tool, p, image) => (tool === 'mbuild buildkit' ? p.bk.tagOf('mbuild', image) : p.tagOf(tool, image));
/** The folder a tool runs in. */
const dirOf = (tool, p) => (tool === 'mbuild buildkit' ? p.bk.dir : p.dir);
/** Edits a file of `image` the same way in the project and in its BuildKit copy. */
function edit(p, image, text) {
  editFile(p.dir, image, text);
  if (p.bk) editFile(p.bk.dir, image, text);
}

/** Runs a tool once through the proxy; the figures of that run. */
async function runTool(tool, p) {
  const [cmd, args] = COMMANDS[tool](p);
  proxy.reset();
  const r = await exec(cmd, args, { cwd: dirOf(tool, p), env: toolEnv() });
  const s = proxy.snapshot();
  return {
    wallMs: r.wallMs,
    maxRssKb: r.maxRssKb,
    requests: s.requests,
    builds: s.builds.length,
    bytes: s.builds.reduce((a, b) => a + b.bytes, 0),
    engineMs: s.builds.reduce((a, b) => a + b.ms, 0),
    perBuild: s.builds.map((b) => ({ image: imageOfBuild(b, p), ms: b.ms })),
  };
}

function imageOfBuild(b, p) {
  // mbuild names every build `mbuild-<image>-<pid>-<ms>` (its classic builds carry their labels in the Dockerfile).
  const fromId = /^mbuild-(.+)-\d+-\d+$/.exec(b.buildId ?? '')?.[1];
  if (fromId) return fromId;
  const fromLabel = b.labels?.['io.mbuild.image'];
  if (fromLabel) return fromLabel;
  const tag = b.tags[0] ?? '';
  return p.images.find((m) => tag === p.tagOf('compose', m.name) || tag === p.tagOf('make', m.name))?.name ?? '?';
}

/** Back to nothing built: the tool's images, mbuild's local state, make's stamps. */
async function reset(tool, p) {
  if (tool === 'mbuild buildkit') {
    rmSync(join(p.bk.dir, '.mbuild'), { recursive: true, force: true });
    return pruneImages('mbuild', p.bk.name);
  }
  if (tool === 'mbuild') rmSync(join(p.dir, '.mbuild'), { recursive: true, force: true });
  if (tool === 'make') rmSync(join(p.dir, '.stamps'), { recursive: true, force: true });
  if (TOOLS.includes(tool)) await pruneImages(tool, p.name);
}

/** Every project made in this run, for the clean-up at the end. */
const made = [];

// ---------------------------------------------------------------------------------------
// Projects and scenarios

function project(base, sizes, jobs) {
  const name = `${base}${SUFFIX}`;
  const dir = join(WORK, name);
  log(`generating ${name}: ${JSON.stringify(sizes)}`);
  const g = generateMonorepo({ dir, name, ...sizes });
  const p = { ...g, dir, name, jobs, sizes };
  made.push(p);
  return p;
}

const results = { scenarios: [], targets: [], digests: [], failures: [], texts: {} };

/**
 * One scenario: `prime()` brings the tools to the starting state (untimed), then rounds:
 * WARMUP warm-up rounds, then RUNS counted rounds; in each round `before(tool, round)`
 * prepares (untimed) and the tool runs, the tools interleaved.
 */
async function scenario(id, title, p, tools, before, o = {}) {
  const runs = o.runs ?? RUNS;
  log(`scenario ${id}: ${title} (${tools.join(', ')}; ${WARMUP} warm-up + ${runs} counted rounds)`);
  if (o.prime) await o.prime();
  const rows = Object.fromEntries(tools.map((t) => [t, []]));
  for (let round = 1 - WARMUP; round <= runs; round++) {
    for (const tool of tools) {
      await before(tool, round);
      const r = await runTool(tool, p);
      if (round > 0) rows[tool].push(r);
      log(`  ${round <= 0 ? 'warm-up' : `round ${round}`} ${tool}: ${(r.wallMs / 1000).toFixed(2)} s, ${r.builds} /build, ${(r.bytes / MiB).toFixed(1)} MiB`);
    }
  }
  const s = {
    id,
    title,
    project: p.name,
    sizes: p.sizes,
    jobs: p.jobs ?? JOBS,
    warmup: WARMUP,
    tools,
    commands: Object.fromEntries(tools.map((t) => [t, commandLine(t, p)])),
    rows,
  };
  results.scenarios.push(s);
  if (o.digest !== false)
    await compareImages(
      id,
      p,
      tools.filter((t) => BUILDERS.includes(t)),
    );
  save();
  return s;
}

/** Every tool has built everything (from scratch when `fresh`). */
async function buildAll(p, fresh) {
  for (const t of p.bk ? BUILDERS : TOOLS) {
    if (fresh) await reset(t, p);
    await runTool(t, p);
  }
}

/** The same file tree in every tool's image of every generated image, or a failure. */
async function compareImages(id, p, tools) {
  if (tools.length < 2) return;
  let same = 0;
  for (const m of p.images) {
    const d = {};
    for (const t of tools) d[t] = await imageDigest(tagOf(t, p, m.name));
    const digests = new Set(Object.values(d).map((x) => x.digest));
    if (digests.size === 1) same++;
    else results.failures.push(`${id}: ${m.name} differs: ${JSON.stringify(d)}`);
  }
  results.digests.push({ scenario: id, images: p.images.length, tools, same });
  log(`  file trees: ${same}/${p.images.length} images identical across ${tools.join(', ')}`);
  if (same !== p.images.length) log(`  FAILURE: ${results.failures.slice(-3).join('\n')}`);
}

const want = (id) => !ONLY || ONLY.includes(id);

function save() {
  if (RENDER) return;
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results', `${QUICK ? 'quick' : ONLY ? 'partial' : 'full'}.json`), `${JSON.stringify(results, null, 1)}\n`);
}

async function machine() {
  const v = await engineApi('GET', '/version');
  const info = await engineApi('GET', '/info');
  const out = async (c) => (await sh(c, { allowFail: true })).stdout.trim() || (await sh(c, { allowFail: true })).stderr.trim();
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memGiB: totalmem() / 1024 ** 3,
    kernel: await out('uname -r'),
    engine: `Docker Engine ${v.Version} (API ${v.ApiVersion}), storage driver ${info.Driver}`,
    dockerCli: await out('docker version --format "{{.Client.Version}}"'),
    compose: await out('docker-compose version --short'),
    make: await out('make --version | head -1'),
    node: process.version,
    loadStart: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

async function ensureCompose() {
  if ((await sh('command -v docker-compose', { allowFail: true })).code === 0) return;
  log('installing docker-compose (Debian package) with apt-get');
  await sh(INSTALL_COMPOSE);
}

// ---------------------------------------------------------------------------------------

/** The parts owned by their own scripts: each stores that script's output. */
const TEXTS = {
  sleepDag: async () => {
    results.texts.sleepDag = (await exec(process.execPath, [join(HERE, 'sleep-dag.mjs'), '--runs', String(RUNS)], { cwd: REPO })).stdout.trim();
  },
  mounts: async () => {
    results.texts.mounts = (await exec(process.execPath, [join(HERE, 'mounts.mjs'), ...SIZES.mounts], { cwd: REPO })).stdout.trim();
  },
  watch: async () => {
    const w = await exec(process.execPath, [join(HERE, 'watch.mjs')], { cwd: REPO, allowFail: !REFRESH });
    results.texts.watch = w.code === 0 ? w.stdout.trim() : `bench/watch.mjs exited ${w.code}:\n${(w.stderr || w.stdout).trim().slice(-2000)}`;
  },
};

/** Runs part `id` (bench/parts.mjs), saving its JSON under bench/results/; a failure is noted in the results, not fatal. */
async function part(id) {
  const r = await runPart(id, { repo: REPO, resultsDir: RESULTS, quick: QUICK, exec, log });
  results.partNotes = { ...results.partNotes, [id]: r.ok ? undefined : r.note };
  if (r.ok) results.refreshed = REFRESH ? { ...results.refreshed, [id]: new Date().toISOString() } : results.refreshed;
  return r;
}

/** The saved JSON of every part. */
const loadParts = () => Object.fromEntries(Object.keys(PARTS).map((id) => [id, loadPart(id, RESULTS, QUICK)]));

/** `--refresh partial`: the scenarios of the last `--only` run replace the full run's of the same ids. */
function mergePartial() {
  const partial = JSON.parse(readFileSync(join(HERE, 'results', 'partial.json'), 'utf8'));
  for (const sc of partial.scenarios) {
    const at = results.scenarios.findIndex((x) => x.id === sc.id);
    if (at === -1) results.scenarios.push(sc);
    else results.scenarios[at] = sc;
    results.digests = [...results.digests.filter((d) => d.scenario !== sc.id), ...partial.digests.filter((d) => d.scenario === sc.id)];
    results.failures = [...results.failures.filter((f) => !f.startsWith(`${sc.id}: `)), ...partial.failures.filter((f) => f.startsWith(`${sc.id}: `))];
    results.refreshed = { ...results.refreshed, [sc.id]: partial.machine.date };
  }
}

/** Writes the report and the charts: docs/ for a full run, bench/results/ for a quick or --only one. */
function writeReport() {
  results.targets = [];
  evaluateTargets();
  const parts = loadParts();
  results.targets.push(...partTargets(parts, QUICK));
  const toDocs = !QUICK && !ONLY;
  const charts = familyCharts(results, parts, QUICK);
  for (const c of charts) c.file = toDocs ? `bench-${c.family}.svg` : `${QUICK ? 'quick' : 'partial'}-${c.family}.svg`;
  const md = renderMarkdown(parts, charts);
  const dir = toDocs ? join(REPO, 'docs') : RESULTS;
  mkdirSync(dir, { recursive: true });
  for (const c of charts) writeFileSync(join(dir, c.file), c.svg);
  const mdFile = toDocs ? join(REPO, 'docs', 'benchmarks.md') : join(RESULTS, `${QUICK ? 'quick' : 'partial'}.md`);
  writeFileSync(mdFile, md);
  log(`wrote ${mdFile.replace(REPO + '/', '')} and ${charts.map((c) => c.file).join(', ')} in ${dir.replace(REPO + '/', '')}`);
  return md;
}

/**
 * `--refresh a,b`: reruns those parts into the last full (or, with --quick, quick) run and
 * rewrites the docs. A part is one of TEXTS, one of bench/parts.mjs's PARTS, or `partial`:
 * the scenarios of the last `--only` run (bench/results/partial.json) replace the full run's
 * scenarios of the same ids. `--render` reruns nothing.
 */
async function refresh() {
  const known = [...Object.keys(TEXTS), ...Object.keys(PARTS), 'partial'];
  const unknown = (REFRESH ?? []).filter((id) => !known.includes(id));
  if (unknown.length > 0 || ONLY || (QUICK && REFRESH?.some((id) => id in TEXTS || id === 'partial')))
    throw new Error(`--refresh takes ${known.join(', ')} (not ${unknown.join(', ') || 'with --only, nor a scenario text with --quick'})`);
  Object.assign(results, JSON.parse(readFileSync(join(RESULTS, `${QUICK ? 'quick' : 'full'}.json`), 'utf8')));
  if (REFRESH) mkdirSync(WORK, { recursive: true });
  if (REFRESH && !existsSync(join(REPO, 'dist', 'bundle', 'main.cjs'))) await exec('npm', ['run', 'build'], { cwd: REPO });
  try {
    for (const id of REFRESH ?? []) {
      log(`refreshing ${id}`);
      if (id === 'partial') mergePartial();
      else if (id in PARTS) await part(id);
      else {
        await TEXTS[id]();
        results.refreshed = { ...results.refreshed, [id]: new Date().toISOString() };
      }
    }
  } finally {
    if (REFRESH) rmSync(WORK, { recursive: true, force: true });
  }
  save();
  writeReport();
}

async function main() {
  if (REFRESH || RENDER) return refresh();
  const t0 = performance.now();
  mkdirSync(WORK, { recursive: true });
  await ensureCompose();
  if (!existsSync(join(REPO, 'dist', 'bundle', 'main.cjs'))) await exec('npm', ['run', 'build'], { cwd: REPO });
  proxy = await startProxy({ path: join(WORK, 'engine.sock') });
  results.quick = QUICK;
  results.runs = RUNS;
  results.machine = await machine();
  log(`machine: ${JSON.stringify(results.machine)}`);
  try {
    await scenarios();
    // The parts: every one in a full run (or those --only names); in a quick run those without a saved quick JSON.
    for (const id of Object.keys(PARTS)) {
      if (ONLY ? !ONLY.includes(id) : QUICK && loadPart(id, RESULTS, true)) continue;
      if (QUICK && ONLY === undefined) log(`part ${id}: no bench/results/${PARTS[id].file(true)} yet`);
      await part(id);
    }
  } finally {
    await cleanup();
  }
  results.machine.loadEnd = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  results.machine.totalMin = (performance.now() - t0) / 60000;
  save();
  const md = writeReport();
  process.stdout.write(md);
  await proxy.close();
  rmSync(WORK, { recursive: true, force: true });
  log(`done in ${results.machine.totalMin.toFixed(1)} min`);
  if (results.failures.length > 0) {
    log(`FAILED: ${results.failures.length} image(s) differ between tools`);
    process.exitCode = 1;
  }
}

/** Removes every image this run built (each tool's, each project's) and its projects' folders. */
async function cleanup() {
  for (const p of made) {
    for (const t of TOOLS) await pruneImages(t, p.name).catch((e) => log(`warning: ${e.message}`));
    rmSync(p.dir, { recursive: true, force: true });
  }
}

/** The scenarios of bench/run.mjs itself. */
async function scenarios() {
  // The monorepo: cold, no-op, leaf edit, root edit; a copy of it for mbuild on BuildKit (cold and root edit).
  const mono = project('benchmono', SIZES.mono);
  if (want('cold') || want('root')) mono.bk = project('benchmonobk', SIZES.mono);
  let primed = false;
  const prime = async () => {
    if (!primed) await buildAll(mono, true);
    primed = true;
  };
  if (want('cold')) {
    await scenario('cold', 'cold build (no images, no local state, no layer cache)', { ...mono, cold: true }, [...TOOLS, 'mbuild buildkit'], (t) =>
      reset(t, mono),
    );
    primed = true;
  }
  const monoOnly = { ...mono, bk: undefined };
  if (want('noop')) {
    await scenario('noop', 'no-op rebuild (nothing changed)', monoOnly, [...TOOLS, 'bare', 'node', 'mbuild validate', 'mbuild plan'], async () => {}, {
      prime,
    });
  }
  // The edit is made once per round, before the first tool runs: every tool sees one changed file (the BuildKit copy too).
  if (want('leaf')) {
    await scenario(
      'leaf',
      `one-file edit in a leaf (${mono.leaf})`,
      monoOnly,
      TOOLS,
      async (t, round) => {
        if (t === 'mbuild') edit(mono, mono.leaf, `leaf round ${round}`);
      },
      { prime },
    );
  }
  if (want('root')) {
    await scenario(
      'root',
      `one-file edit in the root base (${mono.root}; every image rebuilds)`,
      mono,
      [...TOOLS, 'mbuild buildkit'],
      async (t, round) => {
        if (t === 'mbuild') edit(mono, mono.root, `root round ${round}`);
      },
      { prime },
    );
  }

  // The sleep DAG: critical-path bound and per-image overhead, every tool cold each round.
  if (want('sleep')) {
    const dag = project('benchsleep', SIZES.sleep, 5);
    const s5 = await scenario('sleep-j5', 'sleep DAG, -j 5, cold (no layer cache)', dag, TOOLS, (t) => reset(t, dag));
    s5.bounds = Object.fromEntries(TOOLS.map((t) => [t, s5.rows[t].map((r) => r.wallMs / criticalPath(dag, r.perBuild))]));
    const serial = { ...dag, jobs: 1 };
    const s1 = QUICK ? undefined : await scenario('sleep-j1', 'sleep DAG, -j 1 (compose is serial anyway), cold', serial, TOOLS, (t) => reset(t, dag));
    if (s1) s1.overheads = Object.fromEntries(TOOLS.map((t) => [t, s1.rows[t].map((r) => (r.wallMs - r.engineMs) / dag.images.length)]));
    save();
    if (!QUICK) {
      log('running bench/sleep-dag.mjs');
      await TEXTS.sleepDag();
    }
  }

  // Scale: planning a big graph.
  if (want('plan')) {
    const big = project('benchplan', { ...SIZES.plan, files: 1, fileBytes: 16 });
    await scenario('plan', `planning a ${SIZES.plan.images}-image graph`, big, ['mbuild plan', 'mbuild validate', 'node'], async () => {}, { digest: false });
    const huge = project('benchplan20k', { ...SIZES.plan20k, files: 1, fileBytes: 16 });
    await scenario('plan20k', `validating a ${SIZES.plan20k.images}-image build file`, huge, ['mbuild validate', 'node'], async () => {}, { digest: false });
    log('profiling mbuild validate (bench/profile-validate.mjs)');
    results.texts.planProfile = (await exec(process.execPath, [join(HERE, 'profile-validate.mjs'), huge.dir], { cwd: REPO })).stdout.trim();
  }

  // Scale: a no-op over one context of many files.
  if (want('many')) {
    const many = project('benchmany', { images: 1, depth: 1, fanout: 1, ...SIZES.many });
    await scenario('many', `no-op over one ${SIZES.many.files.toLocaleString('en')}-file context`, many, [...TOOLS, 'bare'], async () => {}, {
      prime: () => buildAll(many, true),
    });
  }

  // Scale: peak RSS while building a big context (cold each round).
  if (want('big')) {
    const big = project('benchbig', { images: 1, depth: 1, fanout: 1, filesPerDir: 256, ...SIZES.big });
    await scenario(
      'big',
      `cold build of one ${((SIZES.big.files * SIZES.big.fileBytes) / 1024 ** 3).toFixed(SIZES.big.files * SIZES.big.fileBytes >= 1024 ** 3 ? 0 : 2)} GiB context (peak RSS)`,
      big,
      TOOLS,
      (t) => reset(t, big),
    );
    for (const t of TOOLS) await reset(t, big);
  }

  // Issue 4: the mount figures.
  if (want('mounts')) {
    log(`running bench/mounts.mjs ${SIZES.mounts.join(' ')}`);
    await TEXTS.mounts();
  }

  // Watch latency is bench/watch.mjs's (owned separately): run it and keep its output.
  if (want('watch') && !QUICK) {
    log('running bench/watch.mjs (latency, then idle CPU over 100,000 files)');
    await TEXTS.watch();
  }
}

/** The longest chain of /build times through the DAG (each image's engine build time). */
function criticalPath(p, perBuild) {
  const ms = new Map();
  for (const b of perBuild) ms.set(b.image, (ms.get(b.image) ?? 0) + b.ms);
  const bound = new Map();
  for (const m of p.images) {
    const up = Math.max(0, ...[m.parent, m.up, m.mount].filter(Boolean).map((d) => bound.get(d) ?? 0));
    bound.set(m.name, up + (ms.get(m.name) ?? 0));
  }
  return Math.max(...bound.values());
}

// ---------------------------------------------------------------------------------------
// Targets

const sc = (id) => results.scenarios.find((s) => s.id === id);
const med = (id, tool, f = (r) => r.wallMs) => {
  const s = sc(id);
  return s?.rows[tool] ? median(s.rows[tool].map(f)) : NaN;
};
/** Ratios A/B paired by round. */
const paired = (id, a, b) => {
  const s = sc(id);
  if (!s?.rows[a] || !s?.rows[b]) return [];
  return s.rows[a].map((r, i) => r.wallMs / s.rows[b][i].wallMs);
};
const day = (iso) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
/** The command that made a scenario's figures, and when. */
const madeBy = (id) =>
  `\`${QUICK ? 'node bench/run.mjs --quick' : 'npm run bench'}\`, scenario \`${id}\` (${day(results.refreshed?.[id] ?? results.machine.date)})`;

/** A row of the Targets table; `met` null (with `measured` undefined) when the figure is missing: "not measured". */
function target(issue, what, goal, command, measured, met) {
  results.targets.push({ issue, what, goal, command, measured: measured ?? 'not measured', met: measured === undefined ? null : met });
}

function evaluateTargets() {
  const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const r2 = (xs, d = 2) => `${median(xs).toFixed(d)} (paired min ${Math.min(...xs).toFixed(d)}, max ${Math.max(...xs).toFixed(d)})`;
  const n = (id) => sc(id)?.sizes.images ?? SIZES.mono.images;
  const notRun = (id) => (sc(id) ? madeBy(id) : `\`npm run bench\`, scenario \`${id}\``);

  // Issue 3.
  const s5 = sc('sleep-j5');
  const b = s5?.bounds?.mbuild;
  target(
    3,
    `sleep DAG (${n('sleep-j5')} images) -j 5, classic: wall / critical-path bound`,
    '<= 1.15',
    notRun('sleep-j5'),
    b && r2(b, 3),
    b && median(b) <= 1.15,
  );
  const s1 = sc('sleep-j1');
  const o = s1?.overheads?.mbuild;
  const oFig = o && `${median(o).toFixed(1)} ms (min ${Math.min(...o).toFixed(1)}, max ${Math.max(...o).toFixed(1)})`;
  target(3, 'per-image overhead at -j 1, classic: (wall - engine /build time) / images', '< 50 ms', notRun('sleep-j1'), oFig, o && median(o) < 50);
  const dag = results.texts.sleepDag;
  const bk = dag && /-j 5 wall \/ critical-path bound: ([0-9.]+) \(min ([0-9.]+), max ([0-9.]+)\)/.exec(dag);
  const bko = dag && /-j 1 overhead per image[^:]*: ([0-9.]+) ms \(min ([0-9.]+) ms, max ([0-9.]+) ms\)/.exec(dag);
  const dagCmd = `\`node bench/sleep-dag.mjs --runs ${RUNS}\`${results.refreshed?.sleepDag ? ` (${day(results.refreshed.sleepDag)})` : ''}`;
  target(
    3,
    'sleep DAG -j 5, BuildKit (bench/sleep-dag.mjs): wall / critical-path bound',
    '<= 1.15',
    dagCmd,
    bk?.[1] && `${bk[1]} (min ${bk[2]}, max ${bk[3]})`,
    bk && Number(bk[1]) <= 1.15,
  );
  target(
    3,
    'per-image overhead at -j 1, BuildKit (bench/sleep-dag.mjs)',
    '< 50 ms',
    dagCmd,
    bko?.[1] && `${bko[1]} ms (min ${bko[2]}, max ${bko[3]})`,
    bko && Number(bko[1]) < 50,
  );

  // Issue 5.
  const noop = sc('noop');
  const nb = noop?.rows.mbuild;
  target(
    5,
    `no-op on the ${n('noop')}-image monorepo: /build calls`,
    '0',
    notRun('noop'),
    nb && String(Math.max(...nb.map((r) => r.builds))),
    nb && nb.every((r) => r.builds === 0),
  );
  target(
    5,
    `no-op on the ${n('noop')}-image monorepo: context bytes sent`,
    '0',
    notRun('noop'),
    nb && String(Math.max(...nb.map((r) => r.bytes))),
    nb && nb.every((r) => r.bytes === 0),
  );
  const vsBare = paired('noop', 'mbuild', 'bare');
  target(
    5,
    `no-op on the ${n('noop')}-image monorepo vs a bare walk (stat every context file + ping)`,
    '<= 2x',
    notRun('noop'),
    vsBare.length ? `${r2(vsBare)}; ${fmtS(med('noop', 'mbuild'))} vs ${fmtS(med('noop', 'bare'))}` : undefined,
    median(vsBare) <= 2,
  );
  const vsCompose = paired('noop', 'compose', 'mbuild');
  target(
    5,
    `no-op on the ${n('noop')}-image monorepo: faster than docker-compose build`,
    '>= 20x',
    notRun('noop'),
    vsCompose.length ? r2(vsCompose, 1) : undefined,
    median(vsCompose) >= 20,
  );
  const many = sc('many');
  const mm = many && med('many', 'mbuild');
  target(
    5,
    `no-op on one ${(many?.sizes.files ?? SIZES.many.files).toLocaleString('en')}-file context`,
    '< 1.5 s',
    notRun('many'),
    many && fmtS(mm),
    mm < 1500,
  );

  // Issue 22 (bench/run.mjs's own figures; the parts add theirs).
  for (const [id, what] of [
    ['cold', 'cold build'],
    ['root', 'root edit (every image rebuilds)'],
  ]) {
    const r = paired(id, 'make', 'mbuild');
    target(
      22,
      `${what}, ${n(id)}-image monorepo, classic: make -j / mbuild wall`,
      '>= 1 (mbuild not behind make -j)',
      notRun(id),
      r.length ? r2(r) : undefined,
      median(r) >= 1,
    );
  }
  target(22, 'per-image overhead at -j 1, classic (sleep DAG)', '< 25 ms', notRun('sleep-j1'), oFig, o && median(o) < 25);
  const plan = sc('plan');
  target(
    22,
    `plan of ${n('plan').toLocaleString('en')} images (\`mbuild plan\`)`,
    '< 1 s',
    notRun('plan'),
    plan && fmtS(med('plan', 'mbuild plan')),
    med('plan', 'mbuild plan') < 1000,
  );
  target(
    22,
    `validate of ${n('plan').toLocaleString('en')} images`,
    '< 0.5 s',
    notRun('plan'),
    plan && fmtS(med('plan', 'mbuild validate')),
    med('plan', 'mbuild validate') < 500,
  );
  const p20 = sc('plan20k');
  target(
    22,
    `validate of ${(p20?.sizes.images ?? SIZES.plan20k.images).toLocaleString('en')} images${(p20?.sizes.images ?? SIZES.plan20k.images) === 20000 ? ' (about 0.8 MB)' : ''}`,
    '< 2 s',
    notRun('plan20k'),
    p20 && fmtS(med('plan20k', 'mbuild validate')),
    med('plan20k', 'mbuild validate') < 2000,
  );
  target(
    22,
    `no-op on the ${n('noop')}-image monorepo: faster than docker-compose build (bench/run.mjs)`,
    '>= 25x',
    notRun('noop'),
    vsCompose.length ? r2(vsCompose, 1) : undefined,
    median(vsCompose) >= 25,
  );
}

// ---------------------------------------------------------------------------------------
// Report

/** The blocks written by hand in docs/benchmarks.md, by ID (kept across renders). */
function handBlocks() {
  const file = join(REPO, 'docs', 'benchmarks.md');
  const blocks = new Map();
  if (!existsSync(file)) return blocks;
  for (const m of readFileSync(file, 'utf8').matchAll(/<!-- hand: (\S+) -->\n([\s\S]*?)<!-- \/hand: \1 -->/g)) blocks.set(m[1], m[2].replace(/\n+$/, ''));
  return blocks;
}

function renderMarkdown(parts, charts) {
  const m = results.machine;
  const hands = handBlocks();
  const L = [];
  /** Puts back the block written by hand under `id`, if the docs have one. */
  const hand = (id) => {
    if (!hands.has(id)) return;
    L.push('_Written by hand (each render keeps it as it is):_', '', `<!-- hand: ${id} -->`, hands.get(id), `<!-- /hand: ${id} -->`, '');
    hands.delete(id);
  };
  const chart = (family) => {
    const c = charts.find((x) => x.family === family);
    if (c?.groups.length) L.push(`![${c.title}](${c.file})`, '');
  };
  const scen = (id) => {
    const sce = sc(id);
    if (sce) renderScenario(L, sce);
  };
  const partOf = (id, heading, handId) => {
    L.push(`### ${heading}`, '');
    L.push(...partSection(id, parts[id], QUICK));
    if (results.partNotes?.[id]) L.push(`Not run by the last bench: ${results.partNotes[id]}.`, '');
    hand(handId);
  };

  L.push('# Benchmarks', '');
  L.push(
    `Generated by \`${QUICK ? 'node bench/run.mjs --quick' : 'npm run bench'}\` (bench/run.mjs) on ${day(m.date)}; the raw figures are in`,
    `\`bench/results/${QUICK ? 'quick' : 'full'}.json\` and, for the parts run by their own scripts, in their JSON files under \`bench/results/\`.`,
    'The sections marked "written by hand" (between `<!-- hand: … -->` markers) say themselves what run they describe; every other line is',
    'rendered from those files: rerun the bench, or `node bench/run.mjs --render` to render them again.',
    '',
  );
  const refreshed = Object.entries(results.refreshed ?? {});
  if (refreshed.length > 0) {
    L.push(
      `Rerun later, on the same machine, after a code change (\`node bench/run.mjs --refresh <part>\`; a scenario: \`--only <id>\`, then \`--refresh partial\`): ${refreshed.map(([id, at]) => `${id} on ${day(at)}`).join(', ')}. Everything else is from the run above.`,
      '',
    );
  }
  L.push('## Machine and method', '');
  L.push(
    `* ${m.cpus} CPUs (${m.cpuModel}), ${m.memGiB.toFixed(1)} GiB memory, Linux ${m.kernel}; load average ${m.loadStart} at the start, ${m.loadEnd} at the end (the machine is shared: treat small differences as noise).`,
  );
  L.push(`* ${m.engine}; docker CLI ${m.dockerCli}; docker-compose ${m.compose}; ${m.make}; Node ${m.node}. Total time ${m.totalMin.toFixed(1)} min.`);
  L.push(
    '* **Builder: the classic builder for all three tools.** Compose v1 builds through the Engine API with docker-py,',
    '  which cannot use BuildKit (and the docker CLI here has no buildx), so every tool runs with `DOCKER_BUILDKIT=0`,',
    '  compose with `COMPOSE_DOCKER_CLI_BUILD=0` (its own API client), and mbuild with `--builder classic`. All builds use `network: none`, FROM busybox.',
    '  The cold build and the root edit add a row for `mbuild up --builder buildkit`, on a copy of the project (its own tags and state);',
    "  its cold runs say `--no-cache`, since BuildKit's cache is not in the images that are pruned. make and compose stay classic.",
  );
  L.push(
    `* The same generated tree (bench/gen.mjs) is built by \`mbuild up -j ${JOBS}\` (mbuild.yaml), \`docker-compose build\` (docker-compose.yml;`,
    '  compose v1 builds one service at a time, in depends_on order) and `make -j 4` (a Makefile of `docker build` with one stamp file',
    '  per image, rebuilt when a context file or an upstream stamp is newer). Mount edges become, for compose and make, a staging stage',
    '  FROM the source image and `COPY --from=staging`. Each tool tags in its own namespace and its Dockerfiles carry a',
    "  `LABEL bench.tool=…`, so no tool can hit another tool's layer cache.",
  );
  L.push(
    `* Each scenario: ${results.quick ? 'no' : 'one'} warm-up round, then ${results.runs ?? RUNS} counted round(s); in each round the tools run one after the other (A B C A B C).`,
    '  Tables give the median wall time with min and max; ratios are computed round by round and summarised the same way.',
    '* Every tool talks to the engine through a counting proxy (bench/proxy.mjs, a unix socket forwarding to /var/run/docker.sock):',
    '  it counts `POST /build` calls, their request body bytes (the context) and the time from request to the end of the response',
    '  ("engine time"). Peak RSS is GNU time\'s maximum resident set size of the tool\'s process tree (`/usr/bin/time -f %M`).',
    '* After each scenario the file systems of every image of every tool are compared (bench/fs-digest.mjs: `docker export` of a created',
    '  container; path, type, mode, owner, content hash, link target; not mtimes). Any difference fails the bench.',
    '* The parts (bench/parts.mjs) are separate scripts with their own method, described in their sections; `npm run bench` runs each',
    '  and saves its JSON, `node bench/run.mjs --refresh <part>` reruns one.',
  );
  L.push('');

  L.push('## Targets', '');
  L.push(
    'Every target of issues 3, 5, 16, 17, 18, 21 and 22, from the figures this page is rendered from. "not measured": no saved figure',
    '(the command in the last column makes it). The date in that column says how old a figure is: code changed since then is not in it.',
    'Figures measured by hand (the sections marked as written by hand, e.g. planning before and after issue 22 item 2) are not repeated here.',
    '',
  );
  L.push('| issue | target | measured | goal | verdict | made by |', '|---|---|---|---|---|---|');
  const verdict = (t) => (t.met === null ? 'not measured' : t.met ? '**met**' : '**missed**');
  for (const t of [...results.targets].sort((a, b) => a.issue - b.issue))
    L.push(`| ${t.issue} | ${t.what} | ${t.measured} | ${t.goal} | ${verdict(t)} | ${t.command} |`);
  L.push('');
  if (results.digests.length > 0) {
    L.push(
      'File trees: ' +
        results.digests.map((d) => `${d.scenario} ${d.same}/${d.images}${d.tools.includes('mbuild buildkit') ? ' (BuildKit row included)' : ''}`).join(', ') +
        ' images identical across the tools' +
        (results.failures.length ? ` — **${results.failures.length} DIFFERENCES (bench failed)**` : '.'),
      '',
    );
  }

  L.push('## Build', '');
  chart('build');
  for (const id of ['cold', 'root']) scen(id);
  hand('cold-suspects');
  for (const id of ['sleep-j5', 'sleep-j1']) scen(id);
  if (results.texts.sleepDag) {
    L.push(
      "### bench/sleep-dag.mjs (issue 3: the bound from the engine's /build times, seen by the counting proxy; default builder)",
      '',
      '```',
      `$ node bench/sleep-dag.mjs --runs ${RUNS}`,
      results.texts.sleepDag,
      '```',
      '',
    );
  }

  L.push('## No-op and edits', '');
  chart('noop');
  scen('noop');
  whereNoopGoes(L);
  for (const id of ['leaf', 'many']) scen(id);
  partOf('noopLimit', 'No-op at the limit (issue 22 item 3): bench/noop-limit.mjs', 'noop-limit');
  partOf('inputs', 'Precise inputs (issue 16): bench/inputs.mjs', 'inputs');

  L.push('## CI', '');
  chart('ci');
  partOf('registry', 'Registries (issue 17): bench/registry.mjs', 'registry');

  L.push('## Scale', '');
  chart('scale');
  scen('plan');
  hand('plan-item2');
  scen('plan20k');
  if (results.texts.planProfile && !sc('plan20k')) L.push(results.texts.planProfile, '');
  scen('big');
  partOf('pool', 'Engine pool (issue 21): bench/pool.mjs', 'pool');

  L.push('## Other measurements', '');
  if (results.texts.mounts) {
    L.push('### Mounts (issue 4): bench/mounts.mjs', '', '```', `$ node bench/mounts.mjs ${SIZES.mounts.join(' ')}`.trimEnd(), results.texts.mounts, '```', '');
  }
  L.push(
    '### Watch latency',
    '',
    'Measured by [bench/watch.mjs](../bench/watch.mjs), which is maintained separately; its targets and method are in its header.',
  );
  if (results.texts.watch) L.push('Its output in this run:', '', '```', '$ node bench/watch.mjs', results.texts.watch, '```', '');
  else L.push('Not run here: run `npm run build && node bench/watch.mjs` for its figures.', '');
  partOf('session', 'BuildKit sessions (issue 18): bench/session.mjs', 'session');
  for (const id of ['dedupe', 'mount-fanout', 'design-costs']) hand(id);
  for (const id of [...hands.keys()]) hand(id);
  return `${L.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

const s3 = (ms) => (ms / 1000).toFixed(ms < 10_000 ? 3 : 1);

function renderScenario(L, sce) {
  L.push(`### ${sce.title}`, '');
  const counted = sce.rows[sce.tools[0]].length;
  L.push(`Project \`${sce.project}\`: ${describe(sce.sizes)}.${counted !== (results.runs ?? RUNS) ? ` ${counted} counted rounds for this scenario.` : ''}`, '');
  L.push('| tool | median | min | max | /build calls | context sent | engine time in /build | peak RSS |', '|---|---|---|---|---|---|---|---|');
  for (const tool of sce.tools) {
    const rows = sce.rows[tool];
    const w = stats(rows.map((r) => r.wallMs));
    const builds = stats(rows.map((r) => r.builds));
    const bytes = median(rows.map((r) => r.bytes));
    const eng = median(rows.map((r) => r.engineMs));
    const rss = median(rows.map((r) => r.maxRssKb));
    L.push(
      `| ${tool} | ${s3(w.median)} s | ${s3(w.min)} s | ${s3(w.max)} s | ${builds.median}${builds.min !== builds.max ? ` (${builds.min}–${builds.max})` : ''} | ${fmtBytes(bytes)} | ${s3(eng)} s | ${(rss / 1024).toFixed(0)} MB |`,
    );
  }
  L.push('');
  const ratios = [];
  const pairs = [
    ['compose', 'mbuild'],
    ['make', 'mbuild'],
    ['bare', 'mbuild'],
    ['mbuild buildkit', 'mbuild'],
    ['make', 'mbuild buildkit'],
    ['compose', 'mbuild buildkit'],
  ];
  for (const [a, b] of pairs) {
    if (!sce.rows[a] || !sce.rows[b]) continue;
    const r = stats(paired(sce.id, a, b));
    ratios.push(`${a} / ${b} ${r.median.toFixed(2)} (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})`);
  }
  if (ratios.length) L.push(`Wall-time ratios, paired by round: ${ratios.join('; ')}.`, '');
  if ((sce.id === 'cold' || sce.id === 'root') && !sce.rows['mbuild buildkit'])
    L.push(
      `No \`mbuild up --builder buildkit\` row: these figures predate it. \`node bench/run.mjs --only ${sce.id}\` then \`node bench/run.mjs --refresh partial\` adds it.`,
      '',
    );
  const dg = results.digests.find((d) => d.scenario === sce.id);
  if (dg) L.push(`File trees (fs-digest): ${dg.same}/${dg.images} images identical across ${dg.tools.join(', ')}.`, '');
  if (sce.id === 'plan20k' && results.texts.planProfile) {
    L.push(
      'Where the time of `mbuild validate` goes (`node bench/profile-validate.mjs <project>`: one run under node --cpu-prof, CPU time by phase of the load):',
      '',
      results.texts.planProfile,
      '',
    );
  }
  if (sce.bounds) {
    L.push(
      "Wall time / critical-path bound (the longest chain of this run's own /build times): " +
        Object.entries(sce.bounds)
          .map(([t, xs]) => `${t} ${fmtStats(stats(xs), 3)}`)
          .join('; ') +
        '.',
      '',
    );
  }
  if (sce.overheads) {
    L.push(
      'Overhead per image, (wall - engine time in /build) / images: ' +
        Object.entries(sce.overheads)
          .map(([t, xs]) => `${t} ${fmtStats(stats(xs), 1)} ms`)
          .join('; ') +
        '.',
      '',
    );
  }
  L.push('Commands (in the project folder, `DOCKER_HOST=unix://<proxy>`, `DOCKER_BUILDKIT=0`, `COMPOSE_DOCKER_CLI_BUILD=0`):', '');
  for (const [t, c] of Object.entries(sce.commands)) L.push(`* ${t}: \`${c}\``);
  L.push('');
}

function whereNoopGoes(L) {
  if (!sc('noop')?.rows['mbuild plan']) return;
  L.push('### Where a no-op goes', '');
  const part = (t) => med('noop', t);
  L.push(
    `On the ${sc('noop').sizes.images}-image monorepo, medians: \`node -e 0\` ${s3(part('node'))} s; \`mbuild validate\` (start-up, modules, YAML, schema, rules) ${s3(part('mbuild validate'))} s;`,
    `\`mbuild plan\` (also Dockerfiles, the graph, the engine connection and the freshness prediction: every context walked, stat cache, keys, key index) ${s3(part('mbuild plan'))} s;`,
    `\`mbuild up\` no-op ${s3(part('mbuild'))} s; the bare walk (node start-up, lstat of every context entry, one ping) ${s3(part('bare'))} s.`,
    `So start-up and loading the build file take ${s3(part('mbuild validate') - part('node'))} s beyond node's own start-up, and planning with the cache check`,
    `${s3(part('mbuild plan') - part('mbuild validate'))} s more. \`up\` does the same checks (one engine call per up-to-date image: an inspect of the image recorded last time; no tag is moved when it already names the image)`,
    `plus the executor and the reporter, but starts those inspects and the stat cache's read before it parses the build file, which \`plan\` does not:`,
    `${part('mbuild') >= part('mbuild plan') ? `${s3(part('mbuild') - part('mbuild plan'))} s more than \`plan\`` : `${s3(part('mbuild plan') - part('mbuild'))} s less than \`plan\``}.`,
    '',
  );
}

const fmtStats = (x, d) => `${x.median.toFixed(d)} (min ${x.min.toFixed(d)}, max ${x.max.toFixed(d)})`;
const fmtBytes = (b) => (b === 0 ? '0' : b < MiB ? `${(b / 1024).toFixed(1)} KiB` : `${(b / MiB).toFixed(1)} MiB`);
const ordinal = (n) => (n === 1 ? '' : `${n}${n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`);
function describe(z) {
  const parts = [`${z.images} image${z.images === 1 ? '' : 's'}`];
  if (z.images > 1) parts.push(`depth ${z.depth}, fan-out ${z.fanout}${z.roots > 1 ? `, ${z.roots} roots` : ''}`);
  parts.push(`${(z.files ?? 4).toLocaleString('en')} file(s) of ${fmtBytes(z.fileBytes ?? 64)} per context`);
  if (z.argEvery) parts.push(`an {image:} arg edge on every ${ordinal(z.argEvery)} image from level 2`);
  if (z.mountEvery) parts.push(`a mount edge on every ${ordinal(z.mountEvery)} image from level 1`);
  if (z.defaultTags) parts.push('default tags (no `tags:` in mbuild.yaml)');
  if (z.sleep) parts.push(`\`RUN sleep ${z.sleep}\` in each image`);
  return parts.join(', ');
}

main().catch(async (e) => {
  log(`error: ${e.stack ?? e}`);
  if (!REFRESH) save(); // a failed refresh leaves the last full run as it was
  await proxy?.close();
  if (!REFRESH && !RENDER) rmSync(WORK, { recursive: true, force: true });
  process.exit(2);
});
