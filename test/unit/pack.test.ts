/**
 * The package as npm packs it from a fresh clone: a copy of the files git tracks (or would
 * track: untracked, not ignored) with no dist/, its node_modules linked to this checkout's.
 * `npm pack` must build it (prepack), hold only what runs, and the unpacked package must start
 * and validate an example (test/engine/package-install.test.ts installs a tarball and uses the
 * library API). Offline: npm is told never to use the network (installing the
 * tarball would need the registry, so it is unpacked and given node_modules instead).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'mbt-pack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const npmEnv = {
  ...process.env,
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_cache: join(tmp, 'npm-cache'),
};
const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, env: npmEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** What a fresh clone of the current tree holds: no dist/, no node_modules, nothing ignored. */
function freshClone(): string {
  const copy = join(tmp, 'clone');
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO)
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(REPO, f)));
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(join(REPO, f), join(copy, f), { verbatimSymlinks: true });
  }
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(copy, 'node_modules'));
  return copy;
}

it('npm pack on a fresh clone builds the bundle and ships only what runs; the package starts and validates', () => {
  const clone = freshClone();
  expect(existsSync(join(clone, 'dist'))).toBe(false);
  mkdirSync(join(tmp, 'out'));
  const tgz = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', join(tmp, 'out')], clone)) as { filename: string; files: { path: string }[] }[];
  const shipped = tgz[0]!.files.map((f) => f.path).sort();
  // The declarations the library's types reach (scripts/library.mjs): only .d.ts files under dist/types/.
  const types = shipped.filter((f) => f.startsWith('dist/types/'));
  expect(types).toContain('dist/types/api/index.d.ts');
  expect(types.filter((f) => !f.endsWith('.d.ts'))).toEqual([]);
  expect(shipped.filter((f) => !f.startsWith('dist/types/'))).toEqual([
    'LICENSE',
    'README.md',
    'bin/mbuild.js',
    'bin/package.json',
    'dist/bundle/index.d.ts',
    'dist/bundle/index.js',
    'dist/bundle/main.cjs',
    'package.json',
    'schema/events.schema.json',
    'schema/mbuild.schema.json',
  ]);
  const installed = join(tmp, 'installed');
  mkdirSync(installed);
  run('tar', ['-xzf', join(tmp, 'out', tgz[0]!.filename), '-C', installed], tmp);
  const pkg = join(installed, 'package');
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(pkg, 'node_modules'));
  const mbuild = (...args: string[]) => run(process.execPath, [join(pkg, 'bin', 'mbuild.js'), ...args], clone);
  expect(mbuild('--version')).toBe('0.1.0\n');
  expect(mbuild('-f', join(clone, 'examples', 'shop'), 'validate')).toMatch(/mbuild\.yaml is valid: \d+ images/);
  expect(readdirSync(pkg).sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'node_modules', 'package.json', 'schema']);
});
