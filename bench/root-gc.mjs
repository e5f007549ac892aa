#!/usr/bin/env node
// What the garbage policy costs a root edit (issue 22, the root-edit row): after a one-line edit
// of the root image's context every image of the suite's 30-image monorepo is rebuilt, and `up`
// removes the builds they supersede while it runs; `make -j` leaves them dangling. Runs
// `mbuild up --builder classic -j 4 -q` after each edit: three runs with the policy (the
// default, `keep: 3`), three with `gc: false`, one untimed run with the policy (it removes what
// the `gc: false` runs left), three more with it. Sequences, not alternation: a run with the
// policy right after one without would also remove the other's garbage. Prints the medians.
// The project and every image it built are removed at the end, also on an error.
//
//   node bench/root-gc.mjs [--runs N]   (N runs per sequence, default 3; about 3 minutes)
// Exit 0, or 2 on an error.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pruneLabelled } from './engine-api.mjs';
import { generateMonorepo } from './gen.mjs';

const BIN = fileURLToPath(new URL('../bin/mbuild.js', import.meta.url));
const at = process.argv.indexOf('--runs');
const runs = at === -1 ? 3 : Number(process.argv[at + 1]);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/root-gc.mjs [--runs N]');
  process.exit(2);
}
const name = `benchrootgc${process.pid}`;
const dir = join(tmpdir(), name);

/** One `up` after a one-line edit of the root's first source file; its wall time in ms. */
function edited(g) {
  appendFileSync(join(dir, g.root, 'src', 'd0', 'f0.txt'), `edit ${performance.now()}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'up', '--builder', 'classic', '-j', '4', '-q'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mbuild up exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}-${(Math.max(...xs) / 1000).toFixed(2)})`;

try {
  const g = generateMonorepo({ dir, name, images: 30, depth: 4, fanout: 3, files: 200, fileBytes: 1024, argEvery: 3, mountEvery: 4 });
  const yaml = readFileSync(join(dir, 'mbuild.yaml'), 'utf8');
  const policy = (on) => writeFileSync(join(dir, 'mbuild.yaml'), on ? yaml : `${yaml}gc: false\n`);
  edited(g);
  edited(g); // warm: the policy now has garbage to remove at each edit
  const times = { on: [], off: [] };
  for (let i = 0; i < runs; i++) times.on.push(edited(g));
  policy(false);
  for (let i = 0; i < runs; i++) times.off.push(edited(g));
  policy(true);
  edited(g); // untimed: removes what the gc: false runs left
  for (let i = 0; i < runs; i++) times.on.push(edited(g));
  console.log(`root edit, 30 images, classic, -j 4: with the garbage policy ${fmt(times.on)}, with gc: false ${fmt(times.off)}`);
  console.log(
    `the policy costs ${((median(times.on) - median(times.off)) / 1000).toFixed(2)} s a root edit (${(median(times.on) / median(times.off)).toFixed(3)}x)`,
  );
} catch (e) {
  console.error(`bench/root-gc.mjs: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
} finally {
  rmSync(dir, { recursive: true, force: true });
  const left = await pruneLabelled('mbuild', name);
  if (left.length > 0) console.error(`bench/root-gc.mjs: ${left.length} images of ${name} left`);
}
