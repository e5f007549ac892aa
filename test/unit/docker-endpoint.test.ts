import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerodeOptions } from '../../src/docker/dockerode-engine.js';
import { connectionOptions, resolveEndpoint } from '../../src/docker/endpoint.js';
import { EngineError } from '../../src/docker/engine.js';

const dirs: string[] = [];
/** A fresh HOME-like directory, removed after each test. */
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mbuild-endpoint-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An env with a HOME that has no ~/.docker, so the default is the system socket. */
const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: tempDir(), ...vars });

describe('resolveEndpoint', () => {
  it('prefers --host over DOCKER_HOST over the default socket', () => {
    expect(resolveEndpoint({ host: 'unix:///flag.sock', env: env({ DOCKER_HOST: 'unix:///env.sock' }) })).toEqual({ url: 'unix:///flag.sock', source: '--host' });
    expect(resolveEndpoint({ env: env({ DOCKER_HOST: 'unix:///env.sock' }) })).toEqual({ url: 'unix:///env.sock', source: 'DOCKER_HOST' });
    expect(resolveEndpoint({ host: '  ', env: env({ DOCKER_HOST: '' }) })).toEqual({ url: 'unix:///var/run/docker.sock', source: 'default' });
  });

  it("uses Docker Desktop's per-user socket when it exists", () => {
    const home = tempDir();
    mkdirSync(join(home, '.docker', 'run'), { recursive: true });
    writeFileSync(join(home, '.docker', 'run', 'docker.sock'), '');
    expect(resolveEndpoint({ env: { HOME: home } })).toEqual({ url: `unix://${home}/.docker/run/docker.sock`, source: 'default' });
  });

  it('reads a bare host:port as tcp, as the docker CLI does', () => {
    expect(resolveEndpoint({ host: '127.0.0.1:2375', env: env() }).url).toBe('tcp://127.0.0.1:2375');
  });
});

describe('connectionOptions', () => {
  const conn = (url: string, vars: Record<string, string> = {}) => connectionOptions({ url, source: 'DOCKER_HOST' }, env(vars));

  it('maps unix and tcp endpoints, defaulting the tcp port by TLS', () => {
    expect(conn('unix:///run/x.sock')).toEqual({ transport: 'unix', socketPath: '/run/x.sock' });
    expect(conn('tcp://127.0.0.1:1')).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 1 });
    expect(conn('tcp://docker.example')).toEqual({ transport: 'tcp', host: 'docker.example', port: 2375 });
    expect(conn('tcp://[::1]:2375')).toEqual({ transport: 'tcp', host: '::1', port: 2375 });
  });

  it('does not turn port 2376 into https without TLS settings (unlike docker-modem)', () => {
    expect(dockerodeOptions(conn('tcp://10.0.0.1:2376'))).toMatchObject({ protocol: 'http', host: '10.0.0.1', port: 2376 });
  });

  it('keeps ssh:// as ssh even with DOCKER_TLS_VERIFY and port 2376', () => {
    const certs = tempDir();
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), f);
    const c = conn('ssh://deploy@build-host:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs, SSH_AUTH_SOCK: '/tmp/agent.sock' });
    expect(c).toEqual({ transport: 'ssh', host: 'build-host', port: 2376, username: 'deploy', agent: '/tmp/agent.sock' });
    expect(dockerodeOptions(c)).toMatchObject({ protocol: 'ssh', host: 'build-host', port: 2376, username: 'deploy', sshOptions: { agent: '/tmp/agent.sock' } });
  });

  it('loads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH for DOCKER_TLS_VERIFY', () => {
    const certs = tempDir();
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), `<${f}>`);
    const c = conn('tcp://10.0.0.1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
    expect(c).toMatchObject({ transport: 'tcp', host: '10.0.0.1', port: 2376, tls: { verify: true } });
    const o = dockerodeOptions(c);
    expect(o.protocol).toBe('https');
    expect([String(o.ca), String(o.cert), String(o.key)]).toEqual(['<ca.pem>', '<cert.pem>', '<key.pem>']);
  });

  it('names the missing certificate files', () => {
    const certs = tempDir();
    writeFileSync(join(certs, 'cert.pem'), 'x');
    const attempt = () => conn('tcp://10.0.0.1:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
    expect(attempt).toThrow(EngineError);
    expect(attempt).toThrow(
      `cannot use TLS for tcp://10.0.0.1:2376 (from DOCKER_HOST): DOCKER_TLS_VERIFY is set but ca.pem, key.pem are missing in DOCKER_CERT_PATH=${certs}`,
    );
  });

  it('rejects schemes the docker CLI rejects', () => {
    expect(() => conn('http://10.0.0.1:2375')).toThrow('invalid Docker endpoint http://10.0.0.1:2375 (from DOCKER_HOST): the scheme must be');
    expect(() => conn('ssh://host/path')).toThrow('ssh:// hosts take no path');
  });
});
