import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadBuildFile } from '../../src/config/load.js';
import { resolvedBuildFile } from '../../src/config/print.js';
import { sanitizeProjectName } from '../../src/config/normalize.js';
import { testdir, writeTree } from '../helpers/testdir.js';
import { runCli } from '../helpers/run-cli.js';

// Some tests make two projects: every one is removed, not only the last.
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function project(yaml: string, extra: Record<string, string> = {}) {
  const t = testdir({ 'mbuild.yaml': yaml, ...extra }, 'mbuild-Load Test-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function load(dir: string, env: Record<string, string> = {}, vars?: Record<string, string>) {
  const r = await loadBuildFile({ cwd: dir, env, ...(vars && { vars }) });
  if (!r.ok) throw new Error(r.error.diagnostics.map((d) => d.message).join('\n'));
  return r.value.file;
}

describe('loadBuildFile', () => {
  it('applies defaults, then the extends chain (all but tags), then the image (maps merged, lists replaced)', async () => {
    const dir = project(`
version: 1
name: shop
defaults:
  network: none
  labels: {team: core, tier: default}
images:
  common:
    dockerfile_inline: "FROM busybox"
    args: {A: "1", B: "2"}
    labels: {tier: common}
    tags: ["shop/common:1"]
  api:
    extends: common
    args: {B: "3", C: {image: common}}
`);
    const api = (await load(dir)).images.get('api')!;
    expect(api.network).toBe('none');
    expect(api.labels).toEqual({ team: 'core', tier: 'common' });
    expect(api.args).toEqual({ A: { kind: 'literal', value: '1' }, B: { kind: 'literal', value: '3' }, C: { kind: 'image', image: 'common' } });
    expect(api.tags).toEqual(['shop-api:latest']);
    expect(api.mounts).toEqual([]);
    expect(api.dockerfile).toEqual({ kind: 'inline', text: 'FROM busybox' });
    expect(api.origins.args['A']).toEqual(['images', 'common', 'args', 'A']);
    expect(api.origins.keys['network']).toEqual(['defaults', 'network']);
  });

  it('--var overrides the environment, which overrides vars', async () => {
    const yaml = `
version: 1
vars: {TAG: from-file, OTHER: o}
images:
  app:
    dockerfile_inline: "FROM busybox"
    tags: ["x/app:\${TAG}-\${OTHER}"]
`;
    const dir = project(yaml);
    expect((await load(dir)).images.get('app')!.tags).toEqual(['x/app:from-file-o']);
    expect((await load(dir, { TAG: 'from-env' })).images.get('app')!.tags).toEqual(['x/app:from-env-o']);
    expect((await load(dir, { TAG: 'from-env' }, { TAG: 'from-cli' })).images.get('app')!.tags).toEqual(['x/app:from-cli-o']);
  });

  it('interpolates vars values: the environment, --var and other vars, declared in any order', async () => {
    const yaml = `
version: 1
vars:
  IMAGE: "shop/base:\${TAG}"
  TAG: "\${SHOP_TAG:-dev}"
  LITERAL: "$$HOME"
images:
  app:
    dockerfile_inline: "FROM busybox"
    tags: ["\${IMAGE}"]
    labels: {home: "\${LITERAL}"}
`;
    const dir = project(yaml);
    const app = (f: Awaited<ReturnType<typeof load>>) => f.images.get('app')!;
    expect(app(await load(dir)).tags).toEqual(['shop/base:dev']);
    expect(app(await load(dir)).labels).toEqual({ home: '$HOME' });
    expect(app(await load(dir, { SHOP_TAG: 'v2' })).tags).toEqual(['shop/base:v2']);
    // --var and the environment still win over a var of the same name.
    expect(app(await load(dir, { SHOP_TAG: 'v2' }, { TAG: 'v3' })).tags).toEqual(['shop/base:v3']);
    expect(app(await load(dir, { TAG: 'v4' })).tags).toEqual(['shop/base:v4']);
    expect((await load(dir, { SHOP_TAG: 'v2' })).vars).toEqual({ IMAGE: 'shop/base:v2', TAG: 'v2', LITERAL: '$HOME' });
  });

  it('a chain of 20,000 vars resolves (each var once, no recursion)', async () => {
    const vars = Array.from({ length: 20000 }, (_, i) => `  V${i}: "${i < 19999 ? `x\${V${i + 1}}` : 'end'}"\n`).join('');
    const dir = project(`version: 1\nvars:\n${vars}images:\n  app: {dockerfile_inline: "FROM busybox", labels: {v: "\${V19990}"}}\n`);
    expect((await load(dir)).images.get('app')!.labels).toEqual({ v: 'xxxxxxxxxend' });
  });

  it('takes keys exactly as written: 1.10 and 0x10 stay image, arg, label and group names', async () => {
    const dir = project(`
version: 1
vars: {A1_0: v}
images:
  1.10:
    dockerfile_inline: "FROM busybox"
    args: {_1: a}
    labels: {1.10: a, 0x10: b, 1e3: c, ~: d, true: e}
  0x10: {dockerfile_inline: "FROM busybox", depends_on: ["1.10"]}
groups:
  1.0: ["0x10"]
`);
    const file = await load(dir);
    expect([...file.images.keys()]).toEqual(['0x10', '1.10']);
    expect(file.images.get('1.10')!.labels).toEqual({ '1.10': 'a', '0x10': 'b', '1e3': 'c', '~': 'd', true: 'e' });
    expect(file.images.get('0x10')!.dependsOn).toEqual(['1.10']);
    expect([...file.groups]).toEqual([['1.0', ['0x10']]]);
    const printed = await runCli(['config'], { cwd: dir, env: {} });
    expect(printed.stdout).toContain('"1.10":');
    expect(printed.stdout).toContain('"0x10":');
  });

  it('a folder name that sanitises to nothing is an error asking for name:', async () => {
    expect(sanitizeProjectName('___')).toBe('');
    expect(sanitizeProjectName('ÄÖÜ')).toBe('');
    const t = testdir({}, 'mbuild-noname-');
    cleanups.push(t.cleanup);
    const dir = join(t.dir, '___');
    writeTree(dir, { 'mbuild.yaml': '# a comment\nversion: 1\nimages:\n  app: {dockerfile_inline: "FROM busybox"}\n' });
    const r = await runCli(['validate'], { cwd: dir, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        "mbuild.yaml:2:1: error: the folder name '___' leaves no project name (lowercase letters, digits, '.', '_' and '-' are kept); write one at the top of the build file, e.g. 'name: my-project'",
        ' 2 | version: 1',
        '   | ^~~~~~~~~~',
        '',
      ].join('\n'),
    );
    writeTree(dir, { 'mbuild.yaml': 'version: 1\nname: shop\nimages:\n  app: {dockerfile_inline: "FROM busybox"}\n' });
    expect((await load(dir)).images.get('app')!.tags).toEqual(['shop-app:latest']);
  });

  it('defaults the project name to the sanitised folder name and tags to <name>-<image>:latest', async () => {
    const dir = project('version: 1\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n');
    const file = await load(dir);
    expect(file.name).toBe(sanitizeProjectName(dir.split('/').pop()!));
    expect(file.name).toMatch(/^mbuild-load-test-/);
    expect(file.images.get('app')!.tags).toEqual([`${file.name}-app:latest`]);
  });

  it('finds mbuild.yml in the nearest parent folder, and the project root is that folder', async () => {
    const t = testdir({ 'mbuild.yml': 'version: 1\nimages:\n  app:\n    context: svc\n', 'svc/Dockerfile': 'FROM busybox\n', 'svc/deep/x': '' });
    cleanups.push(t.cleanup);
    const file = await load(join(t.dir, 'svc', 'deep'));
    expect(file.root).toBe(t.dir);
    expect(file.images.get('app')!.context).toBe(join(t.dir, 'svc'));
  });

  it('parses mount sources once: in-file image, external reference, diff', async () => {
    const dir = project(`
version: 1
images:
  base: {dockerfile_inline: "FROM busybox"}
  web: {dockerfile_inline: "FROM busybox"}
  app:
    dockerfile_inline: "FROM busybox"
    mounts:
      - {from: web, path: /app, to: ./static/}
      - {from: "busybox:latest", path: /bin/sh, to: bin/sh}
      - {from: base..web, path: /usr, to: rootfs/usr}
`);
    const mounts = (await load(dir)).images.get('app')!.mounts;
    expect(mounts.map((m) => [m.source, m.to])).toEqual([
      [{ kind: 'image', image: 'web' }, 'static'],
      [{ kind: 'external', ref: 'busybox:latest' }, 'bin/sh'],
      [{ kind: 'diff', base: { kind: 'image', image: 'base' }, head: { kind: 'image', image: 'web' } }, 'rootfs/usr'],
    ]);
  });

  it('expands nested groups', async () => {
    const dir = project(`
version: 1
images:
  a: {dockerfile_inline: "FROM busybox"}
  b: {dockerfile_inline: "FROM busybox"}
groups:
  default: [backend, b]
  backend: [a, b]
`);
    expect([...(await load(dir)).groups]).toEqual([
      ['backend', ['a', 'b']],
      ['default', ['a', 'b']],
    ]);
  });

  it('mbuild config prints a resolved file that loads back to the same model', async () => {
    const dir = project(
      `
version: 1
name: shop
vars: {TAG: dev}
defaults: {network: none}
images:
  base: {context: base, tags: ["shop/base:\${TAG}"]}
  app:
    extends: base
    args: {B: {image: base}}
`,
      { 'base/Dockerfile': 'FROM busybox\n' },
    );
    const printed = await runCli(['config'], { cwd: dir, env: {} });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('shop/base:dev');
    expect(printed.stdout).not.toContain('extends');
    const again = project(printed.stdout, { 'base/Dockerfile': 'FROM busybox\n' });
    const first = resolvedBuildFile(await load(dir));
    const second = resolvedBuildFile(await load(again));
    expect(second).toEqual(first);
    const json = await runCli(['config', '--format', 'json'], { cwd: again, env: {} });
    expect(JSON.parse(json.stdout)).toEqual(first);
  });

  it('prints warnings but still succeeds', async () => {
    const dir = project('version: 1\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n    args: {GITHUB_TOKEN: x}\n');
    const r = await runCli(['validate'], { cwd: dir, env: {} });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("mbuild.yaml:5:12: warning: build arg 'GITHUB_TOKEN' looks like a secret");
    expect(r.stdout).toBe('mbuild.yaml is valid: 1 image, 1 warning\n');
  });

  it('refuses files over 1 MiB before parsing', async () => {
    const dir = project(`version: 1\n# ${'x'.repeat(1024 * 1024)}\n`);
    const r = await runCli(['validate'], { cwd: dir, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: build file is too large \(\d+ bytes; the limit is 1048576\)\n$/);
  });

  it('says where it looked when there is no build file', async () => {
    const t = testdir({ 'x/': '' });
    cleanups.push(t.cleanup);
    const r = await runCli(['validate'], { cwd: join(t.dir, 'x'), env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: no mbuild.yaml or mbuild.yml found in ${join(t.dir, 'x')} or any parent folder (use -f FILE)`);
  });
});

describe('CLI usage', () => {
  it('unknown commands and options exit 2; --help and --version exit 0', async () => {
    expect((await runCli(['frobnicate'], { cwd: '/', env: {} })).code).toBe(2);
    expect((await runCli(['validate', '--nope'], { cwd: '/', env: {} })).code).toBe(2);
    const help = await runCli(['--help'], { cwd: '/', env: {} });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('validate');
    const version = await runCli(['--version'], { cwd: '/', env: {} });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a malformed --var is a usage error', async () => {
    const r = await runCli(['validate', '--var', 'NOEQUALS'], { cwd: '/', env: {} });
    expect(r).toMatchObject({ code: 2, stderr: "error: invalid --var 'NOEQUALS': expected NAME=VALUE\n" });
  });
});
