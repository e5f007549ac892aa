/**
 * bin/mbuild.js runs the bundle (dist/bundle/main.cjs, made by `npm run build`) with a V8
 * code cache per known command in $XDG_CACHE_HOME/mbuild (else ~/.cache/mbuild), never in
 * the package. V8 trusts a cache it accepts: one from another Node release, or damaged in
 * place, crashed the process (SIGSEGV/SIGTRAP) or threw. A cache is used only when its
 * header names this Node and this bundle and holds the checksum of its data; anything else
 * is ignored and written again, and a folder that cannot be written only means no cache.
 * Each test has its own cache folder.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { REPO, runCli, spawnCli } from '../helpers/run-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function cacheHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'mbt-v8cache-'));
  dirs.push(d);
  return d;
}

const run = (args: string[], env: NodeJS.ProcessEnv) => spawnCli(['-f', 'examples/shop/mbuild.yaml', ...args], { cwd: REPO, env }).done;
const graph = (xdg: string) => run(['graph', '--format', 'json'], { XDG_CACHE_HOME: xdg });
const caches = (xdg: string): string[] => (existsSync(join(xdg, 'mbuild')) ? readdirSync(join(xdg, 'mbuild')) : []);

/** A first run: its output, and the one cache file it wrote. */
async function primed(): Promise<{ xdg: string; file: string; stdout: string }> {
  const xdg = cacheHome();
  const first = await graph(xdg);
  expect(first.code).toBe(0);
  expect(first.stderr).toBe('');
  const [name, ...more] = caches(xdg);
  expect(more).toEqual([]);
  expect(name).toMatch(new RegExp(`^graph-${process.version}-${process.arch}-[0-9a-f]{16}\\.v8cache$`));
  return { xdg, file: join(xdg, 'mbuild', name!), stdout: first.stdout };
}

/** Runs graph again: the output must be the same; says whether the cache file was written again. */
async function rerun(p: { xdg: string; file: string; stdout: string }): Promise<boolean> {
  const before = statSync(p.file).mtimeMs;
  const again = await graph(p.xdg);
  expect(again.code).toBe(0);
  expect(again.stderr).toBe('');
  expect(again.stdout).toBe(p.stdout);
  const header = readFileSync(p.file).subarray(0, 200).toString('latin1');
  expect(header.startsWith(`mbuild-v8cache ${process.version}-${process.arch}-`)).toBe(true);
  return statSync(p.file).mtimeMs !== before;
}

it('keeps one cache per known command in the user cache folder, none in the package, and leaves an accepted one as it is', async () => {
  const p = await primed();
  expect(statSync(p.file).mode & 0o777).toBe(0o600);
  expect(await rerun(p), 'an accepted cache is not rewritten').toBe(false);
  expect(JSON.parse(p.stdout)).toHaveProperty('nodes');
  expect(readdirSync(join(REPO, 'dist', 'bundle')).filter((f) => f.endsWith('.v8cache'))).toEqual([]);
});

it('does not load a cache whose header names another Node version, and writes it again', async () => {
  const p = await primed();
  const bytes = readFileSync(p.file);
  const other = bytes.toString('latin1').replace(`mbuild-v8cache ${process.version}-`, 'mbuild-v8cache v0.0.1-');
  writeFileSync(p.file, Buffer.from(other, 'latin1'));
  expect(await rerun(p), 'another key is not accepted').toBe(true);
});

it('runs correctly on a cache damaged in place (same length: V8 alone would crash) or truncated, and writes it again', async () => {
  const p = await primed();
  const bytes = readFileSync(p.file);
  for (let i = 0; i < 64; i++) bytes[Math.floor(bytes.length / 2) + i]! ^= 0x5a;
  writeFileSync(p.file, bytes);
  expect(await rerun(p)).toBe(true);
  writeFileSync(p.file, readFileSync(p.file).subarray(0, 5000));
  expect(await rerun(p)).toBe(true);
  writeFileSync(p.file, 'not a V8 code cache');
  expect(await rerun(p)).toBe(true);
});

it('ignores a cache that others may write', async () => {
  const p = await primed();
  chmodSync(p.file, 0o666);
  expect(await rerun(p)).toBe(true);
  expect(statSync(p.file).mode & 0o777).toBe(0o600);
});

it('writes no cache for an unknown command, --help or --version', async () => {
  const xdg = cacheHome();
  for (const args of [['valdate'], ['--help'], ['--version'], []]) {
    const r = await run(args, { XDG_CACHE_HOME: xdg });
    expect(r.code, args.join(' ')).toBe(args[0] === 'valdate' || args.length === 0 ? 2 : 0);
  }
  expect(caches(xdg)).toEqual([]);
  expect(readdirSync(join(REPO, 'dist', 'bundle')).filter((f) => f.endsWith('.v8cache'))).toEqual([]);
});

it('runs when no cache can be written (XDG_CACHE_HOME, or HOME, where no folder can be made)', async () => {
  const base = cacheHome();
  const file = join(base, 'a-file');
  writeFileSync(file, '');
  const viaXdg = await run(['validate'], { XDG_CACHE_HOME: file });
  expect([viaXdg.code, /error:|warning:/.test(viaXdg.stderr)]).toEqual([0, false]);
  const viaHome = await run(['validate'], { XDG_CACHE_HOME: '', HOME: file });
  expect([viaHome.code, /error:|warning:/.test(viaHome.stderr)]).toEqual([0, false]);
  expect(readdirSync(base)).toEqual(['a-file']);
});

it('takes ~/.cache/mbuild when XDG_CACHE_HOME is not set or not absolute', async () => {
  const home = cacheHome();
  const r = await run(['validate'], { XDG_CACHE_HOME: 'relative/cache', HOME: home });
  expect(r.code).toBe(0);
  expect(readdirSync(join(home, '.cache', 'mbuild'))).toEqual([expect.stringMatching(/^validate-.*\.v8cache$/)]);
});

it("knows exactly cli/main.ts's commands", async () => {
  const bin = readFileSync(join(REPO, 'bin', 'mbuild.js'), 'utf8');
  const listed = JSON.parse(/const COMMANDS = (\[[^\]]*\]);/.exec(bin)![1]!.replaceAll("'", '"')) as string[];
  const help = (await runCli(['--help'], { cwd: REPO })).stdout;
  const commands = [...help.split('Commands:\n')[1]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  expect([...listed].sort()).toEqual([...commands].sort());
});

it('says how to build it, without a stack trace, when dist/ is missing (a fresh clone)', async () => {
  const copy = cacheHome();
  cpSync(join(REPO, 'bin'), join(copy, 'bin'), { recursive: true });
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(copy, 'bin', 'mbuild.js'), 'validate'], { cwd: copy, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  expect(r).toEqual({
    code: 1,
    stderr: `mbuild: cannot read ${join(copy, 'dist', 'bundle', 'main.cjs')} (ENOENT): this copy of mbuild is not built; run \`npm run build\` in ${copy}\n`,
  });
});

it('a reader that goes away only ends the output: exit 0, no stack trace', async () => {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'mbuild.js'), '-f', 'examples/shop/mbuild.yaml', 'config'], {
    cwd: REPO,
    env: { ...process.env, XDG_CACHE_HOME: cacheHome() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Closed before a byte is read: every write of the child fails with EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
});
