/**
 * Loading a build file (config/ phases 0-5, the Dockerfile checks and the plan: load/load-plan.ts)
 * costs linear work in the number of images and edges (issue 22). Counted, never timed: every
 * call into node:fs and node:path made while loading a project of n images and of 4n images;
 * linear work gives 4x the calls (a little less: the fixed part), work per pair of images 16x.
 * The projects have what made the work grow faster before: outputs (each checked against every
 * context), tags sharing one repository, explicit and Dockerfile edges, mounts. The same for
 * `plan`'s prediction after the load (cache/predict.ts: every input set walked and hashed, the
 * keys), against an engine with none of the images.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { predict } from '../../src/cache/predict.js';
import { StatCache } from '../../src/cache/stat-cache.js';
import { loadPlan } from '../../src/load/load-plan.js';

const calls = { fs: 0, path: 0 };

/** `mod` with each of its functions (and their function properties, as realpathSync.native) counting its calls in `calls[kind]`. */
function counting<T extends object>(mod: T, kind: keyof typeof calls): T {
  const wrap = (f: (...a: unknown[]) => unknown): ((...a: unknown[]) => unknown) => {
    const w = function (this: unknown, ...a: unknown[]): unknown {
      calls[kind]++;
      return f.apply(this, a);
    };
    for (const [k, v] of Object.entries(f) as [string, unknown][])
      Object.assign(w, { [k]: typeof v === 'function' ? wrap(v as (...a: unknown[]) => unknown) : v });
    return w;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(mod)) out[k] = typeof v === 'function' && !/^[A-Z]/.test(k) ? wrap(v as (...a: unknown[]) => unknown) : v;
  return { ...out, default: out } as T;
}

vi.mock('node:fs', async (original) => counting(await original<typeof import('node:fs')>(), 'fs'));
vi.mock('node:path', async (original) => counting(await original<typeof import('node:path')>(), 'path'));

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A project of `n` images: image i FROM image i/2 by its tag (one repository for all), an {image:} arg and a mount every few images, an output each. */
function project(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), `mbt-linear-${n}-`));
  made.push(dir);
  const tag = (i: number): string => `reg.example/mono:i${i}`;
  const yaml = ['version: 1', 'name: linear', 'images:'];
  for (let i = 0; i < n; i++) {
    const up = Math.floor(i / 2);
    mkdirSync(join(dir, `c${i}`, 'src'), { recursive: true });
    writeFileSync(join(dir, `c${i}`, 'src', 'f.txt'), `${i}\n`);
    const from = i === 0 ? 'busybox' : tag(up);
    writeFileSync(join(dir, `c${i}`, 'Dockerfile'), `FROM ${from}\nCOPY src/ /srv/${i}/\nRUN echo ${i}\n`);
    yaml.push(`  i${i}:`, `    context: c${i}`, `    tags: ["${tag(i)}"]`, `    outputs: [{path: /srv/${i}, to: out/i${i}}]`);
    if (i > 3 && i % 3 === 0) yaml.push('    args:', `      UP: {image: i${Math.floor(i / 4)}}`);
    if (i > 3 && i % 5 === 0) yaml.push('    mounts:', `      - {from: i${Math.floor(i / 3)}, path: /srv, to: mounted}`);
  }
  writeFileSync(join(dir, 'mbuild.yaml'), `${yaml.join('\n')}\n`);
  return dir;
}

/** The calls one load of `dir` makes (as `validate` loads: last-run tags and notes too). */
async function load(dir: string, images: number): Promise<typeof calls> {
  calls.fs = 0;
  calls.path = 0;
  const planned = await loadPlan({ cwd: dir, env: {} }, 'all', { lastRun: true, notes: true });
  const counted = { ...calls };
  expect(planned.ok ? planned.value.plan.images.length : planned.error.diagnostics).toBe(images);
  return counted;
}

describe('loading costs linear work in the images', () => {
  it('4x the images: at most 4.5x the calls into node:fs and node:path', async () => {
    const n = 150;
    const small = project(n);
    const big = project(4 * n);
    await load(small, n); // modules loaded, caches warm: the counted loads below do the same
    const one = await load(small, n);
    const four = await load(big, 4 * n);
    expect(one.fs).toBeGreaterThan(n);
    expect(four.fs / one.fs).toBeLessThan(4.5);
    expect(four.path / one.path).toBeLessThan(4.5);
    // Calls into node:fs per image: about 34 here (the outputs' real paths are looked up by several rules).
    expect(four.fs / (4 * n)).toBeLessThan(50);
  });
});

/** The calls one prediction of `dir` makes after its load (as `plan` predicts: the load's Dockerfiles, a stat cache of its own). */
async function loadAndPredict(dir: string, images: number): Promise<typeof calls> {
  const planned = await loadPlan({ cwd: dir, env: {} }, 'all', { lastRun: true, notes: true });
  if (!planned.ok) throw new Error(planned.error.diagnostics.map((d) => d.message).join('\n'));
  const { cache } = await StatCache.load(join(dir, 'stat-cache.json'));
  // An engine with none of the images (a stub: only the count of file-system calls matters here).
  const engine = { inspectImage: () => Promise.resolve(undefined), listImages: () => Promise.resolve([]) };
  calls.fs = 0;
  calls.path = 0;
  const predicted = await predict({ ...planned.value, engine, builder: 'classic', statCache: cache, noCache: false });
  const counted = { ...calls };
  expect(predicted.filter((p) => !p.fresh)).toHaveLength(images);
  return counted;
}

describe("plan's prediction costs linear work in the images", () => {
  it('4x the images: at most 4.5x the calls into node:fs and node:path', async () => {
    const n = 150;
    const small = project(n);
    const big = project(4 * n);
    await loadAndPredict(small, n);
    const one = await loadAndPredict(small, n);
    const four = await loadAndPredict(big, 4 * n);
    expect(one.fs).toBeGreaterThan(n);
    expect(four.fs / one.fs).toBeLessThan(4.5);
    expect(four.path / one.path).toBeLessThan(4.5);
  });
});
