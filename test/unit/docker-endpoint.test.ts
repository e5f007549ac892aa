import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerodeOptions } from '../../src/docker/dockerode-engine.js';
import { connectionOptions, resolveEndpoint, type ResolvedEndpoint } from '../../src/docker/endpoint.js';
import { EngineError } from '../../src/docker/engine.js';
import { contextId, writeContext, writeCurrentContext } from '../helpers/docker-contexts.js';

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

/** The endpoint, or the test fails with the resolution error. */
function resolved(opts: Parameters<typeof resolveEndpoint>[0]): ResolvedEndpoint {
  const r = resolveEndpoint(opts);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('resolveEndpoint', () => {
  it('prefers --host over DOCKER_HOST over the default socket', () => {
    expect(resolved({ host: 'unix:///flag.sock', env: env({ DOCKER_HOST: 'unix:///env.sock' }) })).toEqual({ url: 'unix:///flag.sock', source: '--host' });
    expect(resolved({ env: env({ DOCKER_HOST: 'unix:///env.sock' }) })).toEqual({ url: 'unix:///env.sock', source: 'DOCKER_HOST' });
    expect(resolved({ host: '  ', env: env({ DOCKER_HOST: '' }) })).toEqual({ url: 'unix:///var/run/docker.sock', source: 'default' });
  });

  it("uses Docker Desktop's per-user socket when it exists", () => {
    const home = tempDir();
    mkdirSync(join(home, '.docker', 'run'), { recursive: true });
    writeFileSync(join(home, '.docker', 'run', 'docker.sock'), '');
    expect(resolved({ env: { HOME: home } })).toEqual({ url: `unix://${home}/.docker/run/docker.sock`, source: 'default' });
  });

  it('reads a bare host:port as tcp, as the docker CLI does', () => {
    expect(resolved({ host: '127.0.0.1:2375', env: env() }).url).toBe('tcp://127.0.0.1:2375');
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
    expect(dockerodeOptions(c)).toMatchObject({
      protocol: 'ssh',
      host: 'build-host',
      port: 2376,
      username: 'deploy',
      sshOptions: { agent: '/tmp/agent.sock' },
    });
  });

  it('loads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH for DOCKER_TLS_VERIFY', () => {
    const certs = tempDir();
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), `<${f}>`);
    const c = conn('tcp://10.0.0.1', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs });
    expect(c).toMatchObject({ transport: 'tcp', host: '10.0.0.1', port: 2376, tls: { verify: true } });
    const o = dockerodeOptions(c);
    expect(o.protocol).toBe('https');
    expect([o.ca, o.cert, o.key]).toEqual(['<ca.pem>', '<cert.pem>', '<key.pem>'].map((s) => Buffer.from(s)));
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

describe('docker contexts, resolved as the docker CLI resolves them', () => {
  /** A DOCKER_CONFIG folder with contexts `a` (unix), `b` (tcp) and `c` (tcp with TLS), and config.json naming `current` if given. */
  function store(current?: string): { config: string; vars: (v?: Record<string, string>) => NodeJS.ProcessEnv } {
    const config = tempDir();
    writeContext(config, 'a', { docker: { Host: 'unix:///run/a.sock', SkipTLSVerify: false } });
    writeContext(config, 'b', { docker: { Host: 'tcp://10.0.0.2:2375', SkipTLSVerify: false } });
    writeContext(config, 'c', {
      docker: { Host: 'tcp://10.0.0.3:2376', SkipTLSVerify: false },
      tls: { 'ca.pem': '<ca>', 'cert.pem': '<cert>', 'key.pem': '<key>' },
    });
    if (current !== undefined) writeCurrentContext(config, current);
    return { config, vars: (v = {}) => env({ DOCKER_CONFIG: config, ...v }) };
  }
  const withoutTls = (e: ResolvedEndpoint) => ({ ...e, contextTls: undefined });

  it('--host > DOCKER_HOST > DOCKER_CONTEXT > currentContext > the default socket', () => {
    const { config, vars } = store('b');
    const configFile = join(config, 'config.json');
    const both = vars({ DOCKER_HOST: 'unix:///env.sock', DOCKER_CONTEXT: 'a' });
    expect(resolved({ host: 'unix:///flag.sock', env: both })).toEqual({
      url: 'unix:///flag.sock',
      source: '--host',
      overrides: 'docker context "a", named by DOCKER_CONTEXT',
    });
    // As the CLI: DOCKER_HOST wins over DOCKER_CONTEXT, without a word on ordinary commands.
    expect(resolved({ env: both })).toEqual({ url: 'unix:///env.sock', source: 'DOCKER_HOST', overrides: 'docker context "a", named by DOCKER_CONTEXT' });
    expect(resolved({ env: vars({ DOCKER_HOST: 'unix:///env.sock' }) }).overrides).toBe(`docker context "b", named by currentContext in ${configFile}`);
    expect(withoutTls(resolved({ env: vars({ DOCKER_CONTEXT: 'a' }) }))).toEqual({
      url: 'unix:///run/a.sock',
      source: 'DOCKER_CONTEXT',
      context: 'a',
      contextTls: undefined,
    });
    expect(withoutTls(resolved({ env: vars() }))).toEqual({
      url: 'tcp://10.0.0.2:2375',
      source: 'currentContext',
      context: 'b',
      configFile,
      contextTls: undefined,
    });
    expect(resolved({ env: store().vars() })).toEqual({ url: 'unix:///var/run/docker.sock', source: 'default' });
  });

  it('takes the context named `default` as the default endpoint, whoever names it', () => {
    const { config, vars } = store('default');
    expect(resolved({ env: vars({ DOCKER_CONTEXT: 'default' }) })).toEqual({
      url: 'unix:///var/run/docker.sock',
      source: 'DOCKER_CONTEXT',
      context: 'default',
    });
    expect(resolved({ env: vars() })).toMatchObject({
      url: 'unix:///var/run/docker.sock',
      source: 'currentContext',
      context: 'default',
      configFile: join(config, 'config.json'),
    });
    // DOCKER_CONTEXT=default overrides a currentContext that names another.
    expect(resolved({ env: store('a').vars({ DOCKER_CONTEXT: 'default' }) }).url).toBe('unix:///var/run/docker.sock');
    // --host over the default context is nothing worth saying.
    expect(resolved({ host: 'unix:///flag.sock', env: vars() })).toEqual({ url: 'unix:///flag.sock', source: '--host' });
  });

  it('finds config.json and the store under ~/.docker when DOCKER_CONFIG is not set', () => {
    const home = tempDir();
    writeContext(join(home, '.docker'), 'mine', { docker: { Host: 'unix:///run/mine.sock' } });
    writeCurrentContext(join(home, '.docker'), 'mine');
    expect(resolved({ env: { HOME: home } })).toMatchObject({ url: 'unix:///run/mine.sock', source: 'currentContext', context: 'mine' });
  });

  it('names the variable or the file that named a context that does not exist', () => {
    const { config, vars } = store('gone');
    const meta = (name: string) => join(config, 'contexts', 'meta', contextId(name), 'meta.json');
    expect(resolveEndpoint({ env: vars({ DOCKER_CONTEXT: 'nope' }) })).toEqual({
      ok: false,
      error: `docker context "nope" (named by DOCKER_CONTEXT) does not exist (no ${meta('nope')}; \`docker context ls\` lists the contexts)`,
    });
    const r = resolveEndpoint({ env: vars() });
    expect(r.ok ? '' : r.error).toMatch(new RegExp(`^docker context "gone" \\(named by currentContext in ${join(config, 'config.json')}\\) does not exist`));
    // -H and DOCKER_HOST never read the context.
    expect(resolved({ env: vars({ DOCKER_CONTEXT: 'nope', DOCKER_HOST: 'tcp://127.0.0.1:1' }) }).url).toBe('tcp://127.0.0.1:1');
  });

  it('refuses a context without a docker endpoint, or with an unreadable meta.json', () => {
    const { config, vars } = store();
    const noDocker = writeContext(config, 'k8s-only', { docker: null });
    expect(resolveEndpoint({ env: vars({ DOCKER_CONTEXT: 'k8s-only' }) })).toEqual({
      ok: false,
      error: `docker context "k8s-only" (named by DOCKER_CONTEXT) has no docker endpoint (${noDocker})`,
    });
    const broken = writeContext(config, 'broken', { docker: {} });
    writeFileSync(broken, '{"Endpoints": ');
    const r = resolveEndpoint({ env: vars({ DOCKER_CONTEXT: 'broken' }) });
    expect(r.ok ? '' : r.error).toContain(`docker context "broken" (named by DOCKER_CONTEXT) cannot be read: ${broken}: `);
    const wrong = writeContext(config, 'wrong', { docker: { Host: 42 } });
    expect(resolveEndpoint({ env: vars({ DOCKER_CONTEXT: 'wrong' }) })).toEqual({
      ok: false,
      error: `docker context "wrong" (named by DOCKER_CONTEXT) has an invalid docker endpoint (${wrong})`,
    });
  });

  it('ignores a config.json that cannot be parsed, with a warning, as the docker CLI does', () => {
    const { config, vars } = store();
    writeFileSync(join(config, 'config.json'), '{"currentContext": "a",');
    const r = resolved({ env: vars() });
    expect(r).toMatchObject({ url: 'unix:///var/run/docker.sock', source: 'default' });
    expect(r.warning).toContain(`ignoring ${join(config, 'config.json')}, as the docker CLI does: `);
    writeFileSync(join(config, 'config.json'), '{"currentContext": 7}');
    expect(resolved({ env: vars() }).warning).toContain('currentContext is not a string');
    writeFileSync(join(config, 'config.json'), '');
    expect(resolved({ env: vars() })).toEqual({ url: 'unix:///var/run/docker.sock', source: 'default' });
  });

  it("matches field names without regard to case, as Go's encoding/json does; an empty Host is the default socket", () => {
    const { config, vars } = store();
    writeFileSync(join(config, 'config.json'), '{"CurrentContext": "lower"}');
    const meta = writeContext(config, 'lower', { docker: {} });
    writeFileSync(meta, '{"name": "lower", "endpoints": {"docker": {"host": "tcp://10.0.0.9:2375", "skiptlsverify": false}}}');
    expect(resolved({ env: vars() }).url).toBe('tcp://10.0.0.9:2375');
    writeContext(config, 'empty', { docker: { Host: '' } });
    expect(resolved({ env: vars({ DOCKER_CONTEXT: 'empty' }) }).url).toBe('unix:///var/run/docker.sock');
  });

  it("connects with the context's own TLS material, never the environment's", () => {
    const { vars } = store();
    // DOCKER_TLS_VERIFY with a DOCKER_CERT_PATH that has no files would fail a DOCKER_HOST endpoint.
    const e = vars({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tempDir() });
    const conn = (name: string) => connectionOptions(resolved({ env: { ...e, DOCKER_CONTEXT: name } }), e);
    const c = conn('c');
    expect(c).toMatchObject({ transport: 'tcp', host: '10.0.0.3', port: 2376, tls: { verify: true } });
    const o = dockerodeOptions(c);
    expect([o.protocol, o.ca, o.cert, o.key]).toEqual(['https', ...['<ca>', '<cert>', '<key>'].map((s) => Buffer.from(s))]);
    expect(conn('b')).toEqual({ transport: 'tcp', host: '10.0.0.2', port: 2375 });
  });

  it('turns TLS on for SkipTLSVerify or a TLS folder, as the CLI does, and verifies unless SkipTLSVerify', () => {
    const { config, vars } = store();
    writeContext(config, 'skip', { docker: { Host: 'tcp://10.0.0.4', SkipTLSVerify: true } });
    writeContext(config, 'ca-only', { docker: { Host: 'tcp://10.0.0.5:2376' }, tls: { 'ca.pem': '<ca>' } });
    const conn = (name: string) => connectionOptions(resolved({ env: vars({ DOCKER_CONTEXT: name }) }), vars());
    expect(conn('skip')).toEqual({ transport: 'tcp', host: '10.0.0.4', port: 2376, tls: { verify: false } });
    expect(conn('ca-only')).toMatchObject({ transport: 'tcp', port: 2376, tls: { verify: true } });
    expect(conn('ca-only')).not.toHaveProperty('tls.cert');
  });

  it('names the context in errors about its endpoint', () => {
    const { config, vars } = store();
    writeContext(config, 'http', { docker: { Host: 'http://10.0.0.1:2375' } });
    expect(() => connectionOptions(resolved({ env: vars({ DOCKER_CONTEXT: 'http' }) }))).toThrow(
      'invalid Docker endpoint http://10.0.0.1:2375 (docker context "http", named by DOCKER_CONTEXT): the scheme must be',
    );
  });
});
