/**
 * Credentials found as the docker CLI finds them: config.json variants, credential helpers
 * (a fake `docker-credential-test` on PATH: answers, not-found, failure, a hang), and the
 * Engine API's header encodings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from '../../src/core/process.js';
import { authHeader, loadCredentials, registryConfigHeader, type AuthConfig, type Credentials } from '../../src/registry/credentials.js';
import { testdir, type Tree } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A temp folder from `tree`; its path. */
function dir(tree: Tree): string {
  const d = testdir(tree, 'mbt-creds-');
  cleanups.push(d.cleanup);
  return d.dir;
}

async function load(env: Record<string, string | undefined>, helperTimeoutMs?: number): Promise<Credentials> {
  const c = await loadCredentials(env, helperTimeoutMs === undefined ? {} : { helperTimeoutMs });
  if (!c.ok) throw new Error(c.error);
  return c.value;
}

async function get(c: Credentials, registry: string): Promise<AuthConfig | undefined> {
  const r = await c.get(registry);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

async function getError(c: Credentials, registry: string): Promise<string> {
  const r = await c.get(registry);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}

const withConfig = (config: unknown) => ({ DOCKER_CONFIG: dir({ 'config.json': JSON.stringify(config) }), PATH: process.env['PATH'] });

describe('config.json', () => {
  it('a missing file holds no credentials', async () => {
    const c = await load({ DOCKER_CONFIG: dir({}) });
    expect(await get(c, '127.0.0.1:5000')).toBeUndefined();
    expect(await c.all()).toEqual({ ok: true, value: {} });
  });

  it('reads auths: base64 user:password split at the first colon; serveraddress is the key', async () => {
    const c = await load(withConfig({ auths: { '127.0.0.1:5000': { auth: b64('alice:pa:ss') }, 'other.io': {} } }));
    expect(await get(c, '127.0.0.1:5000')).toEqual({ username: 'alice', password: 'pa:ss', serveraddress: '127.0.0.1:5000' });
    expect(await get(c, 'other.io')).toBeUndefined();
    expect(await get(c, 'third.io')).toBeUndefined();
    expect(await c.all()).toEqual({ ok: true, value: { '127.0.0.1:5000': { username: 'alice', password: 'pa:ss', serveraddress: '127.0.0.1:5000' } } });
  });

  it('is $HOME/.docker/config.json without DOCKER_CONFIG', async () => {
    const home = dir({ '.docker/config.json': JSON.stringify({ auths: { 'reg.io': { auth: b64('u:p') } } }) });
    expect(await get(await load({ HOME: home }), 'reg.io')).toEqual({ username: 'u', password: 'p', serveraddress: 'reg.io' });
  });

  it("finds Docker Hub's credentials under https://index.docker.io/v1/", async () => {
    const c = await load(withConfig({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') } } }));
    const hub = { username: 'hubuser', password: 'hubpass', serveraddress: 'https://index.docker.io/v1/' };
    expect(await get(c, 'docker.io')).toEqual(hub);
    expect(await get(c, 'registry-1.docker.io')).toEqual(hub);
  });

  it('matches a key written as a URL by its host, as the CLI does for old files', async () => {
    const c = await load(withConfig({ auths: { 'https://reg.example.com:8443/v2/': { auth: b64('u:p') } } }));
    expect(await get(c, 'reg.example.com:8443')).toEqual({ username: 'u', password: 'p', serveraddress: 'reg.example.com:8443' });
    expect(await get(c, 'reg.example.com')).toBeUndefined();
  });

  it('reads identity and registry tokens, and keys in any case (Go json)', async () => {
    const c = await load(withConfig({ Auths: { 'a.io': { IdentityToken: 'idt' }, 'b.io': { registrytoken: 'rt' } } }));
    expect(await get(c, 'a.io')).toEqual({ identitytoken: 'idt', serveraddress: 'a.io' });
    expect(await get(c, 'b.io')).toEqual({ registrytoken: 'rt', serveraddress: 'b.io' });
  });

  it('a file that is not JSON is an error naming the file, never its content', async () => {
    const d = dir({ 'config.json': '{"auths": {"reg.io": {"auth": "c2VjcmV0dXNlcjpzZWNyZXRwYXNz"}}' });
    const r = await loadCredentials({ DOCKER_CONFIG: d });
    expect(r).toEqual({ ok: false, error: `${join(d, 'config.json')} is not valid JSON` });
  });

  it('a file that cannot be read is an error naming it', async () => {
    const d = dir({ 'config.json/': '' });
    const r = await loadCredentials({ DOCKER_CONFIG: d });
    expect(r).toEqual({ ok: false, error: `cannot read ${join(d, 'config.json')} (EISDIR)` });
  });

  it('an auth that is not base64 of user:password is an error naming the server, never the value', async () => {
    for (const auth of [b64('no-colon-secret'), '!!not base64 secret!!']) {
      const r = await loadCredentials(withConfig({ auths: { 'reg.io': { auth } } }));
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toMatch(/config\.json: auths\["reg\.io"\]: "auth" is not base64/);
      expect(r.error).not.toContain('secret');
      expect(r.error).not.toContain(auth);
    }
  });

  it('a wrongly shaped file is an error naming the key', async () => {
    const error = async (config: unknown) => {
      const r = await loadCredentials(withConfig(config));
      return r.ok ? 'accepted' : r.error.replace(/^.*config\.json: /, '');
    };
    expect(await error({ auths: [] })).toBe('"auths" is not an object');
    expect(await error({ credHelpers: { 'a.io': 1 } })).toBe('"credHelpers" is not an object of strings');
    expect(await error({ credsStore: 2 })).toBe('"credsStore" is not a string');
    expect(await error({ auths: { 'a.io': { auth: 3 } } })).toBe('auths["a.io"]: "auth" is not a string');
    expect(await error({ auths: { 'a.io': 'x' } })).toBe('auths["a.io"]: is not an object');
  });
});

/** A fake `docker-credential-test` on PATH; it logs each call to calls.log and writes its PID before a hang. */
function helperEnv(config: unknown): { env: Record<string, string | undefined>; calls: () => string[]; pidFile: string } {
  const bin = dir({
    'docker-credential-test': {
      mode: 0o755,
      text: [
        '#!/bin/sh',
        'read -r url || true',
        'echo "$1 $url" >> "$(dirname "$0")/calls.log"',
        'case "$1" in',
        '  list) echo \'{"127.0.0.1:5000":"bob","tok.example":"<token>","gone.example":"x"}\' ;;',
        '  get) case "$url" in',
        '    127.0.0.1:5000) echo \'{"ServerURL":"127.0.0.1:5000","Username":"bob","Secret":"s3cret"}\' ;;',
        '    tok.example) echo \'{"ServerURL":"tok.example","Username":"<token>","Secret":"idt"}\' ;;',
        "    garbled.example) echo 'not json at all' ;;",
        '    fail.example) echo "the keychain is locked"; exit 1 ;;',
        '    hang.example) echo $$ > "$(dirname "$0")/hang.pid"; exec sleep 60 ;;',
        '    *) echo "credentials not found in native keychain"; exit 1 ;;',
        '  esac ;;',
        'esac',
      ].join('\n'),
    },
  });
  const env = { ...withConfig(config), PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  const calls = () => {
    try {
      return readFileSync(join(bin, 'calls.log'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  return { env, calls, pidFile: join(bin, 'hang.pid') };
}

describe('credential helpers', () => {
  it('credsStore answers for every registry: a password, an identity token, or none (not found)', async () => {
    const h = helperEnv({ credsStore: 'test', auths: { '127.0.0.1:5000': {} } });
    const c = await load(h.env);
    expect(await get(c, '127.0.0.1:5000')).toEqual({ username: 'bob', password: 's3cret', serveraddress: '127.0.0.1:5000' });
    expect(await get(c, 'tok.example')).toEqual({ identitytoken: 'idt', serveraddress: 'tok.example' });
    expect(await get(c, 'unknown.example')).toBeUndefined();
    expect(await get(c, 'docker.io')).toBeUndefined();
    expect(h.calls()).toContain('get https://index.docker.io/v1/');
  });

  it('asks a helper once per registry', async () => {
    const h = helperEnv({ credsStore: 'test' });
    const c = await load(h.env);
    await get(c, '127.0.0.1:5000');
    await get(c, '127.0.0.1:5000');
    expect(h.calls()).toEqual(['get 127.0.0.1:5000']);
  });

  it('credHelpers wins over credsStore for its registry; a helper not on PATH is an error', async () => {
    const h = helperEnv({ credsStore: 'absent', credHelpers: { '127.0.0.1:5000': 'test' } });
    const c = await load(h.env);
    expect(await get(c, '127.0.0.1:5000')).toMatchObject({ username: 'bob' });
    expect(await getError(c, 'other.example')).toMatch(
      /^docker-credential-absent get other\.example: docker-credential-absent is not on PATH \(credsStore in .*config\.json\)$/,
    );
  });

  it('a helper that fails is an error with its message; one that answers garbage too', async () => {
    const h = helperEnv({ credsStore: 'test' });
    const c = await load(h.env);
    expect(await getError(c, 'fail.example')).toMatch(/^docker-credential-test get fail\.example: the keychain is locked \(credsStore in .*config\.json\)$/);
    expect(await getError(c, 'garbled.example')).toContain('its answer is not {"Username", "Secret"} JSON');
  });

  it('a helper that hangs is killed after the timeout, and that is an error', async () => {
    const h = helperEnv({ credHelpers: { 'hang.example': 'test' } });
    const c = await load(h.env, 300);
    const started = Date.now();
    expect(await getError(c, 'hang.example')).toContain('docker-credential-test get did not answer within 0.3 s (credHelpers in');
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(readFileSync(h.pidFile, 'utf8'));
    await expect.poll(() => processAlive(pid), { timeout: 5000 }).toBe(false);
  });

  it('a helper name that could be a path is refused', async () => {
    const c = await load(helperEnv({ credsStore: '../../bin/sh' }).env);
    expect(await getError(c, 'a.io')).toContain('"../../bin/sh" is not a credential helper name');
  });

  it('all() lists the default store, then each credHelpers registry, skipping those without credentials', async () => {
    const h = helperEnv({ credsStore: 'test', credHelpers: { 'tok.example': 'test', 'none.example': 'test' } });
    const all = await (await load(h.env)).all();
    expect(all).toEqual({
      ok: true,
      value: {
        '127.0.0.1:5000': { username: 'bob', password: 's3cret', serveraddress: '127.0.0.1:5000' },
        'tok.example': { identitytoken: 'idt', serveraddress: 'tok.example' },
      },
    });
    expect(h.calls()[0]).toBe('list ');
  });
});

describe('Engine API headers', () => {
  const decode = (header: string): unknown => JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));

  it('anonymous X-Registry-Auth is e30= ({})', () => {
    expect(authHeader(undefined)).toBe('e30=');
  });

  it('X-Registry-Auth is padded base64url of the JSON the engine reads, without empty fields', () => {
    const auth = { username: 'alice', password: '>>>???', serveraddress: '127.0.0.1:5000', identitytoken: '' };
    const json = JSON.stringify({ username: 'alice', password: '>>>???', serveraddress: '127.0.0.1:5000' });
    expect(Buffer.from(json).toString('base64')).toMatch(/[+/]/); // the case that tells the alphabets apart
    const header = authHeader(auth);
    expect(header).not.toMatch(/[+/]/);
    expect(header.length % 4).toBe(0);
    expect(header).toBe(Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'));
    expect(decode(header)).toEqual({ username: 'alice', password: '>>>???', serveraddress: '127.0.0.1:5000' });
    expect(decode(authHeader({ identitytoken: 'idt', serveraddress: 'reg.io' }))).toEqual({ identitytoken: 'idt', serveraddress: 'reg.io' });
  });

  it('X-Registry-Config maps each registry to its AuthConfig', () => {
    const header = registryConfigHeader({
      '127.0.0.1:5000': { username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' },
      'https://index.docker.io/v1/': { identitytoken: 't', serveraddress: 'https://index.docker.io/v1/' },
    });
    expect(header.length % 4).toBe(0);
    expect(decode(header)).toEqual({
      '127.0.0.1:5000': { username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' },
      'https://index.docker.io/v1/': { identitytoken: 't', serveraddress: 'https://index.docker.io/v1/' },
    });
    expect(registryConfigHeader({})).toBe('e30=');
  });
});
