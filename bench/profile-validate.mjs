#!/usr/bin/env node
// Where the time of `mbuild validate` goes (issue 22): runs it once in a project folder under
// node's sampling profiler (--cpu-prof, node's own) and prints the CPU time by phase of the
// load: each step of config/load.ts and load/load-plan.ts (each rule, the Dockerfile reads,
// each check of load/), plus the garbage collector and the rest (node's start-up, modules,
// printing). A sample counts for the nearest function on its stack that load-plan.ts or
// config/load.ts calls directly. With --plan it profiles `mbuild plan --builder classic`
// instead, and also splits the prediction that follows the load (cache/predict.ts): each
// image's Dockerfile facts and args (readInputs, imageReads), the context's plan (planContext),
// the walk and hash of its input set through the stat cache (hashContext), the key (cacheKey),
// the reasons against the last build, and the rest of collectInputs and decide.
//
// With --against BIN (another copy's bin/mbuild.js, e.g. main's) it profiles nothing: it runs
// `validate` (or `plan --builder classic`) with this copy and BIN in turn, --runs N times each
// (default 7), and prints each one's median wall time, every run's time and their ratio; on
// a shared machine only runs made in turn compare.
//
//   node bench/profile-validate.mjs <project folder> [--top N] [--plan] [--against BIN [--runs N]]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/mbuild.js', import.meta.url));
const [dir] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const topAt = process.argv.indexOf('--top');
const TOP = topAt === -1 ? 14 : Number(process.argv[topAt + 1]);
const PLAN = process.argv.includes('--plan');
const againstAt = process.argv.indexOf('--against');
const AGAINST = againstAt === -1 ? undefined : process.argv[againstAt + 1];
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt === -1 ? 7 : Number(process.argv[runsAt + 1]);
if (!dir || (againstAt !== -1 && !AGAINST) || !(RUNS >= 1)) {
  process.stderr.write('usage: node bench/profile-validate.mjs <project folder> [--top N] [--plan] [--against BIN [--runs N]]\n');
  process.exit(2);
}
if (AGAINST !== undefined) {
  compare(AGAINST);
  process.exit(0);
}

/** This copy and `other` run in turn, RUNS times each: median wall times and their ratio. */
function compare(other) {
  const command = PLAN ? ['plan', '--builder', 'classic'] : ['validate'];
  const bins = [BIN, other];
  const times = bins.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    for (const [i, bin] of bins.entries()) {
      const start = process.hrtime.bigint();
      const run = spawnSync(process.execPath, [bin, ...command], { cwd: dir, encoding: 'utf8' });
      times[i].push(Number(process.hrtime.bigint() - start) / 1e6);
      if (run.status !== 0) throw new Error(`${bin} ${command.join(' ')} exited ${run.status}: ${run.stderr || run.stdout}`);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  for (const [i, bin] of bins.entries()) {
    process.stdout.write(`${bin}: median ${median(times[i]).toFixed(0)} ms (${times[i].map((t) => t.toFixed(0)).join(' ')})\n`);
  }
  process.stdout.write(`ratio ${(median(times[0]) / median(times[1])).toFixed(2)} (this copy / ${other})\n`);
}

/** The steps whose direct callees are phases. */
const PIPELINE = new Set(['loadPlan', 'loadBuildFile', 'buildModel']);
/** Phases wherever they are on the stack (after an `await` their callers are gone from it); the nearest one counts. */
const PHASES = new Set([
  'readSource',
  'readDockerfiles',
  'lastRunTags',
  ...(PLAN
    ? [
        'readInputs',
        'imageReads',
        'planContext',
        'hashContext',
        'cacheKey',
        'reasonsSinceLastBuild',
        'collectInputs',
        'decide',
        'predictOne',
        'predictPlanned',
        'planText',
        'foldable',
        'garbageView',
        'missingMountSources',
        'needBuildKit',
        'engineFor',
      ]
    : []),
]);

/** The functions of context/walk.ts's stat-ahead walk (their names in the bundle, without esbuild's numeric suffix). */
const WALK = new Set(['walkContextBatches', 'open', 'fillSlice', 'listChild', 'prefetch', 'list', 'listDir', 'listDirSync']);

const out = mkdtempSync(join(tmpdir(), 'mbuild-profile-'));
try {
  const command = PLAN ? ['plan', '--builder', 'classic'] : ['validate'];
  const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, BIN, ...command], { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`mbuild ${command.join(' ')} exited ${run.status}: ${run.stderr || run.stdout}`);
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(out, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (id) => byId.get(id).callFrame.functionName;
  /** The phase of a sample at node `id`. */
  const inBundle = (id) => byId.get(id).callFrame.url.endsWith('main.cjs');
  const phaseOf = (id) => {
    if (name(id) === '(garbage collector)') return 'garbage collector';
    if (name(id) === '(idle)') return 'idle (waiting for the file system)';
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      // The walk's frames resume from the microtask queue, without hashContext below them.
      if (PLAN && inBundle(cur) && WALK.has(name(cur).replace(/\d+$/, ''))) return 'walk of the input sets (context/walk.ts)';
      if (PHASES.has(name(cur).replace(/\d+$/, ''))) return name(cur).replace(/\d+$/, '');
      const up = parent.get(cur);
      if (up !== undefined && PIPELINE.has(name(up)) && !PIPELINE.has(name(cur))) return name(cur).replace(/\d+$/, '');
    }
    return 'start-up, modules, output and the rest';
  };
  const phases = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    const phase = phaseOf(profile.samples[i]);
    phases.set(phase, (phases.get(phase) ?? 0) + us);
    total += us;
  }
  const rows = [...phases].sort((a, b) => b[1] - a[1]);
  const shown = rows.slice(0, TOP);
  const rest = rows.slice(TOP).reduce((s, [, us]) => s + us, 0);
  const ms = (us) => `${(us / 1000).toFixed(0)} ms`;
  const pct = (us) => `${((100 * us) / total).toFixed(0)}%`;
  const said = PLAN ? `mbuild plan --builder classic: ${run.stdout.split('\n')[0]}` : run.stdout.trim();
  const lines = [`${said} — ${ms(total)} profiled`, '', '| phase | time | share |', '|---|---|---|'];
  for (const [phase, us] of shown) lines.push(`| ${phase} | ${ms(us)} | ${pct(us)} |`);
  if (rest > 0) lines.push(`| ${rows.length - TOP} other phases | ${ms(rest)} | ${pct(rest)} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
