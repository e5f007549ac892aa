/**
 * `mbuild up` with BuildKit sessions on the real engine (issue 18): secrets from the
 * environment and from a file, an ssh agent forwarded (the test's own agent, and key files
 * served by a private agent), Ctrl-C during a session build, and sessions over tcp+TLS and
 * over ssh:// (a loopback sshd started here). A secret's value must appear nowhere: not in
 * the output, the logs, `.mbuild/`, `mbuild config`, the image or its history.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import { startEngineProxy } from '../helpers/engine-proxy.js';
import { tempProject } from '../helpers/temp-project.js';
import { runCli, spawnCli, type CliResult } from '../helpers/run-cli.js';
import { startAgent, type TestAgent } from '../helpers/ssh-agent.mjs';
import { makeKey, startSshd, type KeyPair, type TestSshd } from '../helpers/sshd.mjs';
import { startEngine, type SecondEngine } from '../helpers/second-engine.mjs';
import { toolsImage } from '../helpers/tools-image.mjs';
import { startRegistry } from '../helpers/registry-server.mjs';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const FILE_SECRET = `file-${randomBytes(12).toString('hex')}`;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A project in a temp folder: `files` written, its images removed afterwards. */
function project(label: string, files: (name: string) => Record<string, string>): { name: string; dir: string } {
  const p = tempProject(label, files, 'mbt-session-');
  cleanups.push(() => p.cleanup());
  return p;
}

/** Every file under `dir` (logs, manifests, stat cache), as one text. */
const allText = (dir: string): string =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');

const image = (tag: string, ...cmd: string[]): string =>
  execFileSync('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', tag, ...cmd], { encoding: 'utf8' }).trim();

const secretProject = (label: string) =>
  project(label, (name) => ({
    'mbuild.yaml': [
      'version: 1',
      `name: ${name}`,
      'defaults:',
      '  network: none',
      'images:',
      '  app:',
      `    tags: ["${name}/app:1"]`,
      '    secrets:',
      '      token: {env: TOKEN}',
      '      netrc: {file: ./secrets/netrc}',
      '',
    ].join('\n'),
    'secrets/netrc': FILE_SECRET,
    Dockerfile: [
      'FROM busybox',
      `RUN --mount=type=secret,id=token,required=true --mount=type=secret,id=netrc,required=true \\`,
      `    sha256sum /run/secrets/token /run/secrets/netrc | cut -d" " -f1 > /hashes && echo "${name}" && cat /run/secrets/token && echo`,
      '',
    ].join('\n'),
  }));

describe('secrets', () => {
  it('reach RUN --mount=type=secret from the environment and from a file, and nowhere else', async () => {
    const p = secretProject('secrets');
    const run = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, TOKEN } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(image(`${p.name}/app:1`, 'cat', '/hashes').split('\n')).toEqual([sha(TOKEN), sha(FILE_SECRET)]);
    // The step printed the token: masked in the output and in the log.
    expect(run.stdout).toContain('****');
    const json = await runCli(['up', '--progress', 'json', '--no-cache'], { cwd: p.dir, env: { ...process.env, TOKEN } });
    expect(json.code).toBe(0);
    const config = await runCli(['config'], { cwd: p.dir, env: { ...process.env, TOKEN } });
    expect(config.stdout).toContain('TOKEN');
    const history = execFileSync('docker', ['history', '--no-trunc', `${p.name}/app:1`], { encoding: 'utf8' });
    const saved = execFileSync('docker', ['save', `${p.name}/app:1`], { maxBuffer: 64 << 20 });
    for (const value of [TOKEN, FILE_SECRET]) {
      for (const text of [run.stdout, run.stderr, json.stdout, json.stderr, config.stdout, history, allText(join(p.dir, '.mbuild'))])
        expect(text).not.toContain(value);
      expect(saved.includes(Buffer.from(value))).toBe(false);
    }
  });

  it('a rotated token does not rebuild by default, and does with secret_in_key: true', async () => {
    const p = secretProject('rotate');
    const up = (token: string): Promise<CliResult> => runCli(['up', '--progress', 'json'], { cwd: p.dir, env: { ...process.env, TOKEN: token } });
    const outcome = (r: CliResult): string =>
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; outcome?: { kind: string } })
        .find((e) => e.type === 'image-done')?.outcome?.kind ?? '';
    expect(outcome(await up(TOKEN))).toBe('built');
    expect(outcome(await up(`${TOKEN}-rotated`))).toBe('up-to-date');
    writeFileSync(
      join(p.dir, 'mbuild.yaml'),
      readFileSync(join(p.dir, 'mbuild.yaml'), 'utf8').replace('    secrets:', '    secret_in_key: true\n    secrets:'),
    );
    expect(outcome(await up(TOKEN))).toBe('built');
    expect(outcome(await up(TOKEN))).toBe('up-to-date');
    const rotated = await up(`${TOKEN}-rotated`);
    expect(outcome(rotated)).toBe('built');
    expect(rotated.stdout).toMatch(/secret token changed/);
    expect(rotated.stdout).not.toContain(TOKEN);
    expect(allText(join(p.dir, '.mbuild'))).not.toContain(TOKEN);
  });
});

describe('registry logins', () => {
  it("a FROM a private registry pulls through the session with the docker CLI's credentials", async () => {
    const user = { user: 'ci', password: `pw-${randomBytes(8).toString('hex')}` };
    const registry = await startRegistry({ auth: user });
    cleanups.push(() => registry.stop());
    const config = mkdtempSync(join(tmpdir(), 'mbt-session-config-'));
    cleanups.push(() => rmSync(config, { recursive: true, force: true }));
    const auth = Buffer.from(`${user.user}:${user.password}`).toString('base64');
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
    const base = `${registry.host}/private/base:1`;
    execFileSync('docker', ['tag', 'busybox:latest', base]);
    execFileSync('docker', ['--config', config, 'push', base], { stdio: 'ignore' });
    execFileSync('docker', ['rmi', base], { stdio: 'ignore' });
    const p = project('login', (name) => ({
      'mbuild.yaml': ['version: 1', `name: ${name}`, 'images:', '  app:', '    network: none', '    pull: true', `    tags: ["${name}/app:1"]`, ''].join('\n'),
      Dockerfile: [`FROM ${base}`, `RUN echo ${name} > /built`, ''].join('\n'),
    }));
    const denied = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_CONFIG: join(config, 'none') } });
    expect(denied.code).toBe(1);
    expect(denied.stdout + denied.stderr).toMatch(/401|unauthorized|authorization/i);
    const run = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_CONFIG: config } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout + allText(join(p.dir, '.mbuild'))).not.toContain(user.password);
  });
});

describe('ssh forwarding', () => {
  let keys: string;
  let key: KeyPair;
  let agent: TestAgent;
  let tools: string;
  beforeAll(async () => {
    keys = mkdtempSync(join(tmpdir(), 'mbt-session-keys-'));
    key = makeKey(keys);
    agent = await startAgent([key.privateKey]);
    tools = toolsImage();
    cleanups.push(
      () => agent.stop(),
      () => rmSync(keys, { recursive: true, force: true }),
    );
  });

  const sshProject = (label: string, ssh: string) =>
    project(label, (name) => ({
      'mbuild.yaml': [
        'version: 1',
        `name: ${name}`,
        'images:',
        '  app:',
        '    network: none',
        `    tags: ["${name}/app:1"]`,
        `    args: {BASE: "${tools}"}`,
        `    ssh: ${ssh}`,
        '',
      ].join('\n'),
      Dockerfile: ['ARG BASE', 'FROM ${BASE}', `RUN --mount=type=ssh echo ${name} && ssh-add -l > /keys && ssh-add -D; echo "delete: $?" >> /keys`, ''].join(
        '\n',
      ),
    }));

  it("lists the keys of the user's agent (ssh: [default]), and cannot remove them", async () => {
    const p = sshProject('agent', '[default]');
    const run = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const listed = image(`${p.name}/app:1`, 'cat', '/keys');
    expect(listed).toContain(key.fingerprint);
    expect(listed).toMatch(/delete: [1-9]/); // refused: read-only
    expect(execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket }, encoding: 'utf8' })).toContain(key.fingerprint);
  });

  it('serves key files through a private agent that is gone afterwards', async () => {
    const p = sshProject('keys', `["deploy=${key.privateKey}"]`);
    writeFileSync(join(p.dir, 'Dockerfile'), readFileSync(join(p.dir, 'Dockerfile'), 'utf8').replace('--mount=type=ssh', '--mount=type=ssh,id=deploy'));
    const tmp = mkdtempSync(join(tmpdir(), 'mbt-session-tmp-'));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    const cli = spawnCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { TMPDIR: tmp, SSH_AUTH_SOCK: '' } });
    const run = await cli.done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(image(`${p.name}/app:1`, 'cat', '/keys')).toContain(key.fingerprint);
    expect(readdirSync(tmp)).toEqual([]);
    // The private agent listened in the CLI's temp folder: no process names it any more.
    expect(spawnSync('pgrep', ['-f', tmp]).status).toBe(1);
  });
});

describe('interrupted', () => {
  it('Ctrl-C during a session build: exit 130, and the daemon has forgotten the session', async () => {
    const p = project('int', (name) => ({
      'mbuild.yaml': ['version: 1', `name: ${name}`, 'images:', '  app:', '    network: none', '    secrets: {token: {env: TOKEN}}', ''].join('\n'),
      Dockerfile: ['FROM busybox', `RUN --mount=type=secret,id=token echo ${name}-sleeping && sleep 120`, ''].join('\n'),
    }));
    const proxy = await startEngineProxy();
    cleanups.push(() => proxy.close());
    const cli = spawnCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { TOKEN, DOCKER_HOST: proxy.url } });
    await expect.poll(() => cli.output().stdout, { timeout: 60_000, interval: 50 }).toContain(`${p.name}-sleeping`);
    expect(proxy.sessions).toHaveLength(1);
    expect(proxy.openUpgrades()).toBe(1);
    process.kill(-cli.child.pid!, 'SIGINT');
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    // No session was opened after the interrupt (one that is still being dialled when the
    // process exits is what would stay open on the daemon).
    expect(proxy.sessions).toHaveLength(1);
    // The stream closes when the daemon drops the session, once the cancelled RUN has stopped:
    // seconds on a loaded machine (a fresh-clone CI run once took more than 10).
    // A failure shows what each side of the upgrade did (the caller's end, the daemon's).
    await expect.poll(() => (proxy.openUpgrades() === 0 ? 'closed' : proxy.upgradeTimeline()), { timeout: 30_000, interval: 20 }).toBe('closed');
    // The daemon accepts the same session id again only once it has dropped the old one.
    const engine = createEngine();
    const id = proxy.sessions[0]!;
    await expect
      .poll(
        async () => {
          const s = await engine.dialSession({ id, name: 'probe', sharedKey: 'probe', methods: [] }).catch(() => undefined);
          s?.destroy();
          return s !== undefined;
        },
        { timeout: 10_000, interval: 50 },
      )
      .toBe(true);
  });
});

describe('sessions on other transports', () => {
  let tls: SecondEngine;
  let sshd: TestSshd;
  let agent: TestAgent;
  beforeAll(async () => {
    const keys = mkdtempSync(join(tmpdir(), 'mbt-session-keys-'));
    cleanups.push(() => rmSync(keys, { recursive: true, force: true }));
    const key = makeKey(keys);
    [tls, sshd, agent] = await Promise.all([startEngine({ tls: true }), startSshd({ authorizedKeys: [key.publicLine] }), startAgent([key.privateKey])]);
    cleanups.push(
      () => tls.stop(),
      () => sshd.stop(),
      () => agent.stop(),
    );
  }, 60_000);

  it('over tcp+TLS', async () => {
    const p = secretProject('tls');
    const env = { ...process.env, TOKEN, DOCKER_HOST: tls.tcpHost!, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.certDir! };
    const run = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const id = execFileSync(
      'docker',
      ['-H', `unix://${tls.socket}`, 'run', '--rm', '--pull', 'never', '--network', 'none', `${p.name}/app:1`, 'cat', '/hashes'],
      { encoding: 'utf8' },
    );
    expect(id.split('\n')[0]).toBe(sha(TOKEN));
  });

  it('over ssh://', async () => {
    const p = secretProject('ssh');
    const run = await runCli(['up', '--progress', 'plain'], {
      cwd: p.dir,
      env: { ...process.env, TOKEN, DOCKER_HOST: sshd.dockerHost, SSH_AUTH_SOCK: agent.socket },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(image(`${p.name}/app:1`, 'cat', '/hashes').split('\n')[0]).toBe(sha(TOKEN));
    expect(existsSync(p.dir) && statSync(p.dir).isDirectory()).toBe(true);
  });
});
