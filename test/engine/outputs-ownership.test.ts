/**
 * Outputs on the real engine: what they may replace and what happens when a write does not
 * complete.
 *  - a file at `to` that mbuild did not write is refused (exit 1, left as it is, no other
 *    output of the image written) unless the output says `replace: true`; a later build
 *    replaces mbuild's own output, but not a file the user put in its place since;
 *  - two runs at once write each output one after the other (its lock), and both succeed;
 *  - an output whose copy broke off (the daemon's connection dropped, Ctrl-C, kill -9, a full
 *    disk) is written again by the next run although the image is up to date, `why` says so,
 *    and the temporary a killed run left next to it is removed;
 *  - a folder on the way to `to` swapped for a symlink during the build is refused, and
 *    nothing is written outside the project.
 * A proxy in front of the engine (test/helpers/engine-proxy.ts) stops the archive at an exact
 * point; the signal tests run the compiled CLI (`npx tsc -p . && node scripts/bundle.mjs`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';
import { mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';
import { canMount } from '../helpers/tmpfs.js';

const projects: MountsProject[] = [];
const proxies: EngineProxy[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
  cleanups
    .splice(0)
    .reverse()
    .forEach((c) => c());
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

const yaml = (outputs: string): string => `version: 1
name: __NAME__
defaults:
  network: none
images:
  gen:
    context: gen
    outputs:
${outputs}`;

/** A Dockerfile writing /out/x, /out/d/f and (with `bigMiB`) /out/big: `version` first, then zeros. */
const dockerfile = (p: MountsProject | undefined, version: string, bigMiB = 0): string =>
  `FROM busybox\nLABEL mbt.project=${p?.name ?? '__NAME__'}\nRUN mkdir -p /out/d && echo ${version} > /out/x && echo ${version} > /out/d/f` +
  ` && (echo ${version}; head -c ${bigMiB * 1024 * 1024} /dev/zero) > /out/big\n`;

const read = (p: MountsProject, rel: string): string => readFileSync(join(p.dir, rel), 'utf8');
const firstLine = (p: MountsProject, rel: string): string => read(p, rel).split('\n')[0]!;
const listing = (p: MountsProject, rel: string): string[] => readdirSync(join(p.dir, rel)).sort();
const errors = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('error: '));
const ARCHIVE = (route: string): boolean => /^GET \/containers\/[^/]+\/archive$/.test(route);

async function proxy(): Promise<EngineProxy> {
  const px = await startEngineProxy();
  proxies.push(px);
  return px;
}

function project(label: string, outputs: string, bigMiB = 0): MountsProject {
  const p = mountsProject(label, { 'mbuild.yaml': yaml(outputs), 'gen/Dockerfile': dockerfile(undefined, 'v1', bigMiB) });
  projects.push(p);
  return p;
}

describe('outputs replace only what mbuild wrote', () => {
  const OUTPUTS = (replace: boolean) => `      - {path: /out/x, to: dist/x${replace ? ', replace: true' : ''}}\n      - {path: /out/d, to: dist/d}\n`;
  const REFUSED_X =
    "output /out/x -> dist/x: dist/x is a file that mbuild did not write (or that changed since); move it away, or set 'replace: true' on the output to replace it";

  it('refuses a file it did not write, replaces it with replace: true, then replaces its own output but not a file put in its place', async () => {
    const p = project('own', OUTPUTS(false));
    mkdirSync(join(p.dir, 'dist'));
    writeFileSync(join(p.dir, 'dist/x'), 'mine\n');

    const refused = await p.run(['up', '--progress', 'plain']);
    expect(refused.code, refused.stderr).toBe(1);
    expect(errors(refused.stderr)).toEqual([`error: image 'gen' output failed: ${REFUSED_X}`]);
    expect(listing(p, 'dist'), 'nothing written, not even the other output').toEqual(['x']);
    expect(read(p, 'dist/x')).toBe('mine\n');
    const why = await p.run(['why', 'gen']);
    expect(why.stdout).toContain(`  - output dist/x: it was not written: ${REFUSED_X.replace('output /out/x -> dist/x: ', '')}\n`);

    writeFileSync(join(p.dir, 'mbuild.yaml'), yaml(OUTPUTS(true)).replaceAll('__NAME__', p.name));
    const replaced = await p.run(['up', '--progress', 'plain']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect([read(p, 'dist/x'), read(p, 'dist/d/f')]).toEqual(['v1\n', 'v1\n']);

    // Its own output, after an edit: replaced.
    writeFileSync(join(p.dir, 'mbuild.yaml'), yaml(OUTPUTS(false)).replaceAll('__NAME__', p.name));
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v2'));
    const own = await p.run(['up', '--progress', 'plain']);
    expect(own.code, own.stderr).toBe(0);
    expect([read(p, 'dist/x'), read(p, 'dist/d/f')]).toEqual(['v2\n', 'v2\n']);

    // The user's own file in place of mbuild's output, and a file added to its output folder: both kept.
    rmSync(join(p.dir, 'dist/x'));
    writeFileSync(join(p.dir, 'dist/x'), 'v2\nedited\n');
    writeFileSync(join(p.dir, 'dist/d/notes'), 'mine');
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v3'));
    const kept = await p.run(['up', '--progress', 'plain']);
    expect(kept.code, kept.stderr).toBe(1);
    expect(errors(kept.stderr)).toEqual([
      `error: image 'gen' output failed: ${REFUSED_X}; ` +
        "output /out/d -> dist/d: dist/d is a folder that mbuild did not write (or that changed since); move it away, or set 'replace: true' on the output to replace it",
    ]);
    expect([read(p, 'dist/x'), read(p, 'dist/d/f'), read(p, 'dist/d/notes')]).toEqual(['v2\nedited\n', 'v2\n', 'mine']);
    expect(listing(p, 'dist')).toEqual(['d', 'x']);
  });

  it('writes a file with exactly the bytes it wrote again (touched, saved unchanged) without asking', async () => {
    const p = project('same', OUTPUTS(false));
    expect((await p.run(['up', '--progress', 'plain'])).code).toBe(0);
    rmSync(join(p.dir, 'dist/x'));
    writeFileSync(join(p.dir, 'dist/x'), 'v1\n');
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v2'));
    const r = await p.run(['up', '--progress', 'plain']);
    expect(r.code, r.stderr).toBe(0);
    expect(read(p, 'dist/x')).toBe('v2\n');
  });
});

describe('two runs at once', () => {
  it('write each output one after the other: both succeed, the outputs are whole, and the next run has nothing to do', async () => {
    const p = project('twice', '      - {path: /out/x, to: dist/x}\n      - {path: /out/d, to: dist/d}\n      - {path: /out/big, to: dist/big}\n', 8);
    expect((await p.run(['up', '--progress', 'plain'])).code).toBe(0);
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v2', 8));
    const runs = [1, 2, 3].map(() => spawnCli(['up', '--progress', 'plain'], { cwd: p.dir }));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect([read(p, 'dist/x'), read(p, 'dist/d/f'), firstLine(p, 'dist/big')]).toEqual(['v2\n', 'v2\n', 'v2']);
    expect(listing(p, 'dist')).toEqual(['big', 'd', 'x']);
    expect((await p.run(['why', 'gen'])).stdout).not.toContain('outputs to write again');
    const noop = await p.run(['up', '--progress', 'plain']);
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.stdout).not.toContain('[gen] output');
  });
});

describe('an output whose write did not complete', () => {
  const BIG = '      - {path: /out/big, to: dist/big}\n';

  it('is written again when the daemon connection dropped mid-copy, and `why` says so', async () => {
    const p = project('cut', BIG, 3);
    expect((await p.run(['up', '--progress', 'plain'])).code).toBe(0);
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v2', 3));
    const px = await proxy();
    const cut = px.cut(ARCHIVE, 256 * 1024);
    const broken = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_HOST: px.url } });
    await cut.reached;
    expect(broken.code, broken.stderr).toBe(1);
    expect(errors(broken.stderr)).toEqual([expect.stringMatching(/^error: image 'gen' output failed: output \/out\/big -> dist\/big: /)]);
    expect(listing(p, 'dist')).toEqual(['big']);
    expect(firstLine(p, 'dist/big')).toBe('v1');

    const why = await p.run(['why', 'gen']);
    expect(why.stdout).toMatch(/^gen is up to date: .*\noutputs to write again:\n {2}- output dist\/big: the last write did not complete\n$/);
    const again = await p.run(['up', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('[gen] output /out/big -> dist/big\n');
    expect(again.stdout).toContain('[gen] up to date: ');
    expect(firstLine(p, 'dist/big')).toBe('v2');
    expect((await p.run(['why', 'gen'])).stdout).not.toContain('outputs to write again');
    const noop = await p.run(['up', '--progress', 'plain']);
    expect(noop.stdout).not.toContain('[gen] output');
  });

  /** Starts `mbuild up` (a real process) through a proxy holding the archive; resolves once the temporary output exists. */
  async function upUntilTemporary(p: MountsProject) {
    const px = await proxy();
    const hold = px.hold(ARCHIVE, 1);
    const cli = spawnCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { DOCKER_HOST: px.url } });
    await hold.reached;
    await expect.poll(() => listing(p, 'dist').filter((n) => n.startsWith('big.mbuild-tmp-')).length, { timeout: 30_000, interval: 20 }).toBe(1);
    return { cli, pid: cli.child.pid!, hold };
  }

  it('is written again after Ctrl-C, and after kill -9, whose temporary the next run removes', async () => {
    const p = project('sig', BIG, 3);
    expect((await p.run(['up', '--progress', 'plain'])).code).toBe(0);
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v2', 3));

    const int = await upUntilTemporary(p);
    process.kill(int.pid, 'SIGINT');
    const r = await int.cli.done;
    int.hold.release();
    expect(r.code, r.stderr).toBe(130);
    expect(listing(p, 'dist'), 'the temporary is removed, the previous output kept').toEqual(['big']);
    expect(firstLine(p, 'dist/big')).toBe('v1');
    expect((await p.run(['why', 'gen'])).stdout).toContain('  - output dist/big: the last write did not complete\n');

    const kill = await upUntilTemporary(p);
    process.kill(-kill.pid, 'SIGKILL');
    await kill.cli.done;
    kill.hold.release();
    const left = listing(p, 'dist');
    expect(left).toEqual(['big', expect.stringMatching(new RegExp(`^big\\.mbuild-tmp-${kill.pid}-[0-9a-f]{12}$`))]);

    const again = await p.run(['up', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    expect(listing(p, 'dist'), 'the stale temporary is gone').toEqual(['big']);
    expect(firstLine(p, 'dist/big')).toBe('v2');
    expect(tempContainersOf(kill.pid)).toEqual([]);
  });
});

describe('an output on a full disk', () => {
  it.skipIf(!canMount())("fails with the disk's error, keeps the previous output, and is written again once there is room", async () => {
    const p = project('enospc', '      - {path: /out/big, to: out/big}\n', 0);
    const out = join(p.dir, 'out');
    mkdirSync(out);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', out]);
    cleanups.push(() => execFileSync('umount', ['-l', out]));
    expect((await p.run(['up', '--progress', 'plain'])).code).toBe(0);
    writeFileSync(join(p.dir, 'gen/Dockerfile'), dockerfile(p, 'v2', 2));
    const full = await p.run(['up', '--progress', 'plain']);
    expect(full.code, full.stderr).toBe(1);
    expect(errors(full.stderr)).toEqual([
      expect.stringMatching(/^error: image 'gen' output failed: output \/out\/big -> out\/big: ENOSPC: no space left on device/),
    ]);
    expect(listing(p, 'out')).toEqual(['big']);
    expect(read(p, 'out/big')).toBe('v1\n');
    expect((await p.run(['why', 'gen'])).stdout).toContain('  - output out/big: the last write did not complete\n');

    execFileSync('mount', ['-o', 'remount,size=8m', out]);
    const again = await p.run(['up', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    expect(listing(p, 'out')).toEqual(['big']);
    expect(firstLine(p, 'out/big')).toBe('v2');
  });
});

describe('a folder on the way to an output swapped for a symlink during the build', () => {
  /** A folder outside the project, with `deep/` in it, as a swap's target; removed after the test. */
  function outside(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mbt-outside-'));
    mkdirSync(join(dir, 'deep'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }
  const tree = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();

  it('is refused before the temporary is made: nothing is written outside the project', async () => {
    const p = project('swap-early', '      - {path: /out/d, to: out/deep/tree}\n');
    mkdirSync(join(p.dir, 'out/deep'), { recursive: true });
    const target = outside();
    const px = await proxy();
    const hold = px.hold((route) => route === 'POST /containers/create');
    const run = runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_HOST: px.url } });
    await hold.reached;
    rmSync(join(p.dir, 'out'), { recursive: true });
    symlinkSync(target, join(p.dir, 'out'));
    hold.release();
    const r = await run;
    expect(r.code, r.stderr).toBe(1);
    expect(errors(r.stderr)).toEqual([
      "error: image 'gen' output failed: output /out/d -> out/deep/tree: out became a symlink while the output was written; nothing was written there",
    ]);
    expect(tree(target)).toEqual(['deep']);
  });

  it('is refused right before the rename: nothing is written outside the project', async () => {
    const p = project('swap-late', '      - {path: /out/big, to: out/deep/big}\n', 3);
    mkdirSync(join(p.dir, 'out/deep'), { recursive: true });
    const target = outside();
    const px = await proxy();
    const hold = px.hold(ARCHIVE, 1);
    const run = runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_HOST: px.url } });
    await hold.reached;
    await expect.poll(() => listing(p, 'out/deep').length, { timeout: 30_000, interval: 20 }).toBe(1);
    renameSync(join(p.dir, 'out'), join(p.dir, 'moved'));
    symlinkSync(target, join(p.dir, 'out'));
    hold.release();
    const r = await run;
    expect(r.code, r.stderr).toBe(1);
    expect(errors(r.stderr)).toEqual([
      "error: image 'gen' output failed: output /out/big -> out/deep/big: out became a symlink while the output was written; nothing was written there",
    ]);
    expect(tree(target)).toEqual(['deep']);
  });
});
