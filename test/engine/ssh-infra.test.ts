/**
 * The test infrastructure for BuildKit sessions (issue 18): scripts/ssh.sh; a loopback sshd and
 * an ssh-agent, with which git clones a bare repository over SSH and the docker CLI and
 * dockerode (mbuild's ssh transport) reach the main engine at ssh://; the tools image (ssh,
 * ssh-add, git on busybox) that clones the same way from a container; a second engine on
 * tcp://127.0.0.1 with TLS; and every process stopped and folder removed afterwards.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/engine-docker.js';
import { bareRepo, headOf } from '../helpers/git-repo.js';
import { exitOf, freePort, waitFor } from '../helpers/registry.js';
import { REPO } from '../helpers/run-cli.js';
import { containerdPid, startEngine, type SecondEngine } from '../helpers/second-engine.js';
import { startAgent, type TestAgent } from '../helpers/ssh-agent.js';
import { makeKey, startSshd, SSHD_BIN, type KeyPair, type TestSshd } from '../helpers/sshd.js';
import { toolsImage } from '../helpers/tools-image.js';

const FILES = { 'README.md': 'private dependency\n', 'lib/index.js': 'module.exports = 42;\n' };
let keysDir: string;
let key: KeyPair;
let sshd: TestSshd;
let agent: TestAgent;
let tls: SecondEngine;
let repo: string;

/** What beforeAll started, to stop even when another start failed. */
const stops: (() => Promise<void>)[] = [];
const track = async <T extends { stop(): Promise<void> }>(started: Promise<T>): Promise<T> => {
  const it = await started;
  stops.push(() => it.stop());
  return it;
};

/** Whether `pid` runs (a zombie, exited but not yet reaped by its parent, does not). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${String(pid)}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** `cmd ARGS` with `env` merged over process.env: exit status, stdout, stderr. */
function run(cmd: string, args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'mbt-keys-'));
  key = makeKey(keysDir);
  repo = bareRepo(keysDir, FILES);
  [sshd, agent, tls] = await Promise.all([
    track(startSshd({ authorizedKeys: [key.publicLine] })),
    track(startAgent([key.privateKey])),
    track(startEngine({ tls: true })),
  ]);
});

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  rmSync(keysDir, { recursive: true, force: true });
});

describe('scripts/ssh.sh', () => {
  const script = (): string => execFileSync('bash', ['scripts/ssh.sh'], { cwd: REPO, encoding: 'utf8' });

  it('run twice, finds everything in place and changes nothing', () => {
    script();
    const out = script();
    expect(out).toContain(`ssh: ${SSHD_BIN} ssh ssh-agent ssh-add ssh-keygen git present; the system's ssh service, if any, is left as it is`);
    expect(out).not.toMatch(/installing|stopping|disabling/);
  });

  it("leaves alone an sshd that was there before it (the machine owner's)", async () => {
    // Standing in for the system's service: the system config and pid file, but on loopback only.
    const port = await freePort();
    const existing = spawn(SSHD_BIN, ['-D', '-o', `ListenAddress=127.0.0.1:${port}`, '-o', 'PidFile=/run/sshd.pid'], { stdio: 'ignore', detached: true });
    const exited = exitOf(existing);
    try {
      const written = async (): Promise<boolean> => existsSync('/run/sshd.pid') && readFileSync('/run/sshd.pid', 'utf8').trim() === String(existing.pid);
      expect(await waitFor(written, exited, 10_000)).toBe('ready');
      expect(script()).not.toContain('stopping');
      expect(alive(existing.pid!)).toBe(true);
    } finally {
      existing.kill('SIGKILL');
      await exited;
    }
  });
});

describe('sshd and ssh-agent on loopback', () => {
  it('sshd listens on 127.0.0.1 only; the agent holds the key', () => {
    expect(sshd.host).toBe('127.0.0.1');
    const listening = run('ss', ['-Hltn', `sport = :${sshd.port}`])
      .stdout.trim()
      .split('\n');
    expect(listening.map((l) => l.split(/\s+/)[3])).toEqual([`127.0.0.1:${sshd.port}`]);
    expect(sshd.knownHostsLine).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}`);
    expect(agent.fingerprints).toEqual([key.fingerprint]);
  });

  it('git clones the bare repository over ssh with the agent, and not without it', () => {
    const into = join(keysDir, 'clone');
    const url = `ssh://root@127.0.0.1:${sshd.port}${repo}`;
    const cloned = run('git', ['clone', '-q', url, into], sshd.clientEnv(agent.socket));
    expect(cloned.stderr).toBe('');
    expect(readFileSync(join(into, 'lib/index.js'), 'utf8')).toBe(FILES['lib/index.js']);
    expect(run('git', ['-C', into, 'rev-parse', 'HEAD']).stdout.trim()).toBe(headOf(repo));
    const denied = run('git', ['clone', '-q', url, join(keysDir, 'denied')], sshd.clientEnv(join(keysDir, 'no-agent.sock')));
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain('Permission denied (publickey)');
  });

  it('the docker CLI and dockerode (mbuild ssh transport) reach the main engine at ssh://', async () => {
    const mainId = docker('info', '--format', '{{.ID}}')[0]!;
    const env = sshd.clientEnv(agent.socket);
    expect(env.DOCKER_HOST).toBe(`ssh://root@127.0.0.1:${sshd.port}`);
    expect(run('docker', ['info', '--format', '{{.ID}}'], env)).toEqual({ status: 0, stdout: `${mainId}\n`, stderr: '' });
    const Dockerode = createRequire(import.meta.url)('dockerode') as typeof Docker;
    const client = new Dockerode({ protocol: 'ssh', host: sshd.host, port: sshd.port, username: sshd.user, sshOptions: { agent: agent.socket } });
    expect(((await client.info()) as { ID: string }).ID).toBe(mainId);
  });
});

describe('the tools image', () => {
  it('runs ssh-add and git, and clones over ssh from a container with the forwarded agent socket', () => {
    const image = toolsImage();
    expect(image).toMatch(/^mbuild-test-tools:[0-9a-f]{16}$/);
    const alone = run('docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', 'ssh-add -l; echo "ssh-add: $?"; git --version']);
    expect(alone.stderr).toBe('Could not open a connection to your authentication agent.\n');
    expect(alone.stdout).toMatch(/^ssh-add: 2\ngit version \d/);
    // prettier-ignore
    const cloned = run('docker', [
      'run', '--rm', '--network', 'host', '-v', `${agent.socket}:/agent.sock`, '-e', 'SSH_AUTH_SOCK=/agent.sock',
      '-v', `${sshd.knownHostsFile}:/root/.ssh/known_hosts:ro`, image,
      'sh', '-c', `ssh-add -l -E sha256 && git clone -q ssh://root@127.0.0.1:${sshd.port}${repo} /tmp/c && cat /tmp/c/README.md`,
    ]);
    expect(cloned.stderr).toBe('');
    expect(cloned.stdout).toContain(key.fingerprint);
    expect(cloned.stdout).toContain(FILES['README.md']);
  });
});

describe('a second engine on tcp://127.0.0.1 with TLS', () => {
  it('answers the docker CLI and node:https with the client certificate, and nothing without it', async () => {
    expect(tls.tcpHost).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const certDir = tls.certDir!;
    expect(readdirSync(certDir).sort()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    const env = { DOCKER_HOST: tls.tcpHost!, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir };
    expect(run('docker', ['info', '--format', '{{.DockerRootDir}}'], env).stdout).toBe(`${tls.dir}/data\n`);
    // prettier-ignore
    const flags = ['--tlsverify', '--tlscacert', `${certDir}/ca.pem`, '--tlscert', `${certDir}/cert.pem`, '--tlskey', `${certDir}/key.pem`, '-H', tls.tcpHost!];
    expect(run('docker', [...flags, 'version', '--format', '{{.Server.Version}}']).status).toBe(0);
    expect(run('docker', ['-H', tls.tcpHost!, 'version']).status).not.toBe(0);
    const pem = (f: string): Buffer => readFileSync(join(certDir, f));
    const status = (withCert: boolean): Promise<number | string> =>
      new Promise((resolve) => {
        const url = new URL(tls.tcpHost!.replace('tcp:', 'https:'));
        const req = request(
          { host: url.hostname, port: url.port, path: '/_ping', ca: pem('ca.pem'), ...(withCert && { cert: pem('cert.pem'), key: pem('key.pem') }) },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        req.end();
      });
    expect(await status(true)).toBe(200);
    expect(await status(false)).not.toBe(200);
  });
});

describe('afterwards', () => {
  it('every process is stopped and every folder removed', async () => {
    const containerd = containerdPid(tls.dir);
    expect(containerd).toBeDefined();
    const pids = [sshd.pid, agent.pid, tls.pid, containerd!];
    expect(pids.every(alive)).toBe(true);
    await Promise.all([sshd.stop(), agent.stop(), tls.stop()]);
    expect(pids.filter(alive)).toEqual([]);
    expect([sshd.dir, agent.dir, tls.dir].filter((d) => existsSync(d))).toEqual([]);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('mbt-tools-'))).toEqual([]);
  });
});
