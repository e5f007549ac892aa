/**
 * Which edges are inputs of an image's key, and what `plan`, `why` and `up` say about
 * them, on the real engine (fixture test/fixtures/up/edges):
 *
 *   x ──depends_on──> y      order only: y waits for x, x's rebuild is no input of y
 *   mid ──FROM──> top        a stale upstream does not hide top's own change
 *   base ──FROM ${BASE}──> tools   with --var BASE=busybox:latest, tools no longer reads
 *                                  base: the log never says "upstream base rebuilt"
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOf } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { runCli } from '../helpers/run-cli.js';

let p: TestProject;
const run = (...args: string[]) => runCli([...args, '--builder', 'buildkit'], { cwd: p.dir, env: { ...process.env } });
const up = async (...args: string[]) => {
  const r = await p.up(['--builder', 'buildkit', '--progress', 'plain', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
/** The summary table's row of an image. */
const row = (stdout: string, image: string) => stdout.split('\n').find((l) => l.startsWith(`${image} `));

beforeAll(async () => {
  p = copyFixture('edges', 'edges');
  await up();
});

afterAll(() => {
  expect(p.cleanup()).toEqual([]);
});

describe('edges and the cache', () => {
  it('depends_on is order only: x is rebuilt, y waits for it and is up to date', async () => {
    const y = idOf(`${p.name}/y:t`);
    writeFileSync(join(p.dir, 'x/x.txt'), 'x v2\n');
    const plan = await run('plan');
    expect(plan.stdout).toContain('  x\n      stale: context changed: x.txt\n');
    expect(plan.stdout).toContain('  y <- x (depends_on)\n      fresh\n');
    expect((await run('why', 'y')).stdout).toMatch(/^y is up to date: image [0-9a-f]{12}, built /);
    const out = await up();
    expect(out).toContain('[x] building: context changed: x.txt\n');
    expect(out).not.toContain('[y] building');
    expect(row(out, 'y')).toMatch(/^y +up to date +- /);
    const lines = out.split('\n');
    expect(lines.findIndex((l) => l.startsWith('[y] up to date'))).toBeGreaterThan(lines.findIndex((l) => l.startsWith('[x] built in')));
    expect(idOf(`${p.name}/y:t`)).toBe(y);
  });

  it('an image with a stale upstream and a change of its own: plan and why list both, as up does', async () => {
    writeFileSync(join(p.dir, 'mid/mid.txt'), 'mid v2\n');
    writeFileSync(join(p.dir, 'top/hello.txt'), 'hello v2\n');
    const why = await run('why', 'top');
    expect(why.stdout).toBe('top would be built:\n  - context changed: hello.txt\n  - upstream mid will be rebuilt\n');
    expect((await run('plan')).stdout).toContain('      stale: context changed: hello.txt; upstream mid will be rebuilt\n');
    const out = await up();
    expect(out).toContain('[top] building: context changed: hello.txt; upstream mid rebuilt\n');
  });

  it('an upstream the plan no longer has (its FROM now names busybox) is never said to be rebuilt', async () => {
    writeFileSync(join(p.dir, 'base/base.txt'), 'base v2\n');
    const tools = `arg BASE ${p.name}/base:t -> busybox:latest; no longer built from in-file image base; new base image busybox:latest`;
    const plan = await run('plan', '--var', 'BASE=busybox:latest');
    expect(plan.stdout).toContain(`  tools\n      stale: ${tools}\n`);
    const out = await up('--var', 'BASE=busybox:latest');
    expect(out).toContain('[base] building: context changed: base.txt\n');
    expect(out).toContain(`[tools] building: ${tools}\n`);
    expect(out).not.toMatch(/upstream base/);
  });
});
