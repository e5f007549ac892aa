/**
 * The private-dependencies example (examples/private-deps) on the real engine, run as a user
 * runs it: a copy (its own project name and repositories) built by `node bin/mbuild.js up`
 * with an npm token in NPM_TOKEN for a private npm registry on loopback, and an ssh-agent
 * whose key a loopback sshd accepts, which serves acme's library as a bare git repository.
 * The app image holds the installed package and the cloned file; neither the token nor the
 * private key appears in any image (history, `docker save`), in mbuild's output or in its
 * .mbuild folder; the registry saw the token; a second `up` builds nothing. Without
 * SSH_AUTH_SOCK, `up` stops at the `ssh:` line with exit 2.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, removeProjectImages, runInImage } from '../helpers/engine-docker.js';
import { uniqueName } from '../helpers/engine-project.js';
import { bareRepo } from '../helpers/git-repo.js';
import { nodeImage } from '../helpers/node-image.js';
import { GREET, startNpmRegistry, type TestNpmRegistry } from '../helpers/npm-registry.js';
import { REPO, spawnCli, type CliResult } from '../helpers/run-cli.js';
import { startAgent, type TestAgent } from '../helpers/ssh-agent.js';
import { makeKey, startSshd, type TestSshd } from '../helpers/sshd.js';

const IMAGES = ['deps', 'lib', 'app'] as const;
const LIB_FILES = { 'index.js': "module.exports = { name: 'shared-lib' };\n", 'README.md': "acme's private library\n" };
const TOKEN = `npm_${randomBytes(18).toString('hex')}`;

const name = uniqueName('private-deps');
let dir: string | undefined;
let example: string;
let keyText: string;
let registry: TestNpmRegistry;
let sshd: TestSshd;
let agent: TestAgent;
let env: NodeJS.ProcessEnv;

/** What beforeAll started, to stop even when another start failed. */
const stops: (() => Promise<void>)[] = [];
const track = async <T extends { stop(): Promise<void> }>(started: Promise<T>): Promise<T> => {
  const it = await started;
  stops.push(() => it.stop());
  return it;
};

/** A copy of the example whose project and repositories are `name` instead of private-deps. */
function copyExample(into: string): string {
  const to = join(into, 'private-deps');
  cpSync(join(REPO, 'examples', 'private-deps'), to, { recursive: true, filter: (src) => !/[/\\]\.mbuild$/.test(src) });
  const yaml = join(to, 'mbuild.yaml');
  writeFileSync(
    yaml,
    readFileSync(yaml, 'utf8')
      .replace(/^name: private-deps$/m, `name: ${name}`)
      .replace(/"private-deps\//g, `"${name}/`),
  );
  return to;
}

/** Which secrets `text` holds: the token, the private key file or any line of its body. */
function leaks(text: string | Buffer): string[] {
  const found: string[] = [];
  if (text.includes(TOKEN)) found.push('npm token');
  const body = keyText.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  if (text.includes(keyText.trim()) || body.some((line) => text.includes(line))) found.push('private key');
  return found;
}

/** Every file under `root`, recursively. */
const filesUnder = (root: string): string[] =>
  readdirSync(root, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(root, e.name)) : [join(root, e.name)]));

const up = (extra: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  spawnCli(['-f', join(example, 'mbuild.yaml'), 'up', '--progress', 'plain'], { cwd: example, env: { ...env, ...extra } }).done;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mbt-private-deps-'));
  example = copyExample(dir);
  const key = makeKey(dir);
  keyText = readFileSync(key.privateKey, 'utf8');
  const repo = bareRepo(dir, LIB_FILES);
  [registry, sshd, agent] = await Promise.all([
    track(startNpmRegistry({ token: TOKEN })),
    track(startSshd({ authorizedKeys: [key.publicLine] })),
    track(startAgent([key.privateKey])),
  ]);
  env = {
    NODE_IMAGE: nodeImage(), // node, npm, git and ssh, offline; built once per machine
    BUILD_NETWORK: 'host', // the registry and sshd listen on 127.0.0.1 only
    NPM_REGISTRY: registry.url,
    NPM_TOKEN: TOKEN,
    LIB_GIT_URL: `ssh://root@127.0.0.1:${sshd.port}${repo}`,
    GIT_KNOWN_HOSTS: sshd.knownHostsLine,
    SSH_AUTH_SOCK: agent.socket,
  };
});

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  const left = removeProjectImages(name);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  expect(left, 'images left behind').toEqual([]);
});

describe('examples/private-deps', () => {
  it('installs a private npm package with the token as a secret and clones a private repository over the forwarded agent; no secret is left anywhere', async () => {
    const first = await up();
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toMatch(/done in [\d.]+s: 3 built/);
    const tags = IMAGES.map((image) => `${name}/${image}:dev`);
    const app = tags[2]!;

    // One container: the app runs; the package npm installed, the file git cloned; no .npmrc anywhere.
    const script = 'node index.js; node -p "require(\'@acme/greet/package.json\').version"; cat vendor/acme-lib/index.js; find / -xdev -name .npmrc';
    expect(runInImage(app, 'sh', '-c', script)).toBe(`Hello, shared-lib! (${GREET.name} ${GREET.version})\n${GREET.version}\n${LIB_FILES['index.js']}`);

    expect(registry.requests.length).toBeGreaterThanOrEqual(2);
    expect(registry.requests.filter((r) => !r.authorized)).toEqual([]);
    expect(registry.requests.map((r) => r.path)).toContain(`/${GREET.name}/-/greet-${GREET.version}.tgz`);

    for (const tag of tags) expect(leaks(docker('history', '--no-trunc', tag).join('\n')), `docker history ${tag}`).toEqual([]);
    const saved = execFileSync('docker', ['save', ...tags], { maxBuffer: 2 ** 30 });
    expect(saved.length).toBeGreaterThan(1_000_000);
    expect(leaks(saved), 'docker save').toEqual([]);
    expect(leaks(first.stdout + first.stderr), "mbuild's output").toEqual([]);
    const logs = filesUnder(join(example, '.mbuild', 'logs'));
    expect(logs.map((f) => f.slice(example.length + 1)).sort()).toEqual(IMAGES.map((i) => `.mbuild/logs/${i}.log`).sort());
    for (const file of filesUnder(join(example, '.mbuild'))) expect(leaks(readFileSync(file)), file).toEqual([]);

    const asked = registry.requests.length;
    const second = await up();
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stdout).toMatch(/done in [\d.]+s: 3 up to date/);
    expect(registry.requests.length).toBe(asked);
    expect(leaks(second.stdout + second.stderr)).toEqual([]);
  });

  it('without SSH_AUTH_SOCK, up stops at the ssh: line with exit 2 and builds nothing', async () => {
    const asked = registry.requests.length;
    const r = await up({ SSH_AUTH_SOCK: undefined });
    expect(r.code, r.stderr + r.stdout).toBe(2);
    const yaml = readFileSync(join(example, 'mbuild.yaml'), 'utf8').split('\n');
    const line = yaml.findIndex((l) => /^\s+ssh: \[default\]/.test(l)) + 1;
    expect(line).toBeGreaterThan(0);
    expect(r.stderr).toMatch(new RegExp(`mbuild\\.yaml:${line}:\\d+: error: .*ssh`));
    expect(r.stderr).toContain('SSH_AUTH_SOCK');
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
    expect(registry.requests.length).toBe(asked);
  });
});
