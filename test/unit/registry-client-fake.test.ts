/**
 * RegistryClient against a fake registry with a token server (Bearer), for what Debian's
 * docker-registry with htpasswd (Basic) cannot show: tokens fetched anonymously or with Basic
 * credentials or an identity token, kept per scope, fetched again after a 401; the Accept
 * header; a HEAD without a digest; a lying digest; a registry that never answers; a cancel.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ok } from '../../src/core/result.js';
import { RegistryClient } from '../../src/registry/client.js';
import type { AuthConfig, Credentials } from '../../src/registry/credentials.js';
import { MANIFEST_ACCEPT } from '../../src/registry/manifest.js';
import type { ImageRef } from '../../src/registry/reference.js';

const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${'c'.repeat(64)}` },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3, digest: `sha256:${'d'.repeat(64)}` }],
  }),
);
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let host = '';
let scheme: 'bearer' | 'basic' = 'bearer';
let seen: Seen[] = [];
let valid = new Map<string, string[]>(); // token → scopes
let issued = 0;

const send = (res: ServerResponse, status: number, headers: Record<string, string>, body = '') => {
  res.writeHead(status, headers);
  res.end(body);
};
const errors = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

function token(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url!, `http://${host}`);
  let scopes = url.searchParams.getAll('scope');
  if (req.method === 'POST') {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'idt-ok')
      return send(res, 401, {}, errors('UNAUTHORIZED', 'bad refresh token'));
    scopes = (form.get('scope') ?? '').split(' ');
  } else if (req.headers.authorization !== undefined && req.headers.authorization !== `Basic ${Buffer.from('bob:right').toString('base64')}`) {
    return send(res, 401, {}, errors('UNAUTHORIZED', 'bad credentials'));
  }
  const t = `tok-${String(++issued)}`;
  valid.set(t, scopes);
  send(
    res,
    200,
    { 'Content-Type': 'application/json' },
    JSON.stringify(req.method === 'POST' ? { access_token: t, expires_in: 300 } : { token: t, expires_in: 300 }),
  );
}

function authorized(req: IncomingMessage, repo: string): boolean {
  const auth = req.headers.authorization ?? '';
  if (scheme === 'basic') return auth === `Basic ${Buffer.from('bob:right').toString('base64')}`;
  const scopes = valid.get(auth.replace(/^Bearer /, ''));
  return scopes?.some((s) => s.startsWith(`repository:${repo}:`)) ?? false;
}

function manifest(req: IncomingMessage, res: ServerResponse, repo: string, ref: string): void {
  if (!authorized(req, repo)) {
    const challenge =
      scheme === 'basic' ? 'Basic realm="fake"' : `Bearer realm="http://${host}/token",service="fake",scope="repository:${repo}:pull",error="invalid_token"`;
    return send(res, 401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json' }, errors('UNAUTHORIZED', 'authentication required'));
  }
  if (ref === 'slow') return; // never answers
  if (!['1', 'nodigest', 'liar'].includes(ref)) return send(res, 404, {}, errors('MANIFEST_UNKNOWN', 'manifest unknown'));
  const headers: Record<string, string> = { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', 'Content-Length': String(MANIFEST.length) };
  if (ref === '1') headers['Docker-Content-Digest'] = DIGEST;
  if (ref === 'liar') headers['Docker-Content-Digest'] = `sha256:${'0'.repeat(64)}`;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : MANIFEST);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = new URL(req.url!, 'http://x').pathname;
      const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path);
      if (path === '/token') token(req, res, body);
      else if (m !== null) manifest(req, res, m[1]!, m[2]!);
      else send(res, 404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  scheme = 'bearer';
  seen = [];
  valid = new Map();
});

const creds = (auth?: Omit<AuthConfig, 'serveraddress'>): Credentials => ({
  get: async (registry) => ok(auth === undefined ? undefined : { ...auth, serveraddress: registry }),
  all: async () => ok({}),
});
const ref = (repository: string, tag: string): ImageRef => ({ registry: host, repository, tag });
const tokenCalls = () => seen.filter((s) => s.url.startsWith('/token'));

describe('RegistryClient with a token server', () => {
  it('fetches a token anonymously on the first 401, keeps it for the scope, sends the four media types', async () => {
    const client = new RegistryClient(creds());
    expect(await client.head(ref('app', '1'))).toEqual(
      ok({ digest: DIGEST, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: MANIFEST.length }),
    );
    expect(await client.head(ref('app', 'missing'))).toEqual(ok(undefined));
    expect(tokenCalls()).toHaveLength(1);
    expect(tokenCalls()[0]!.headers.authorization).toBeUndefined();
    expect(new URL(tokenCalls()[0]!.url, 'http://x').searchParams.getAll('scope')).toEqual(['repository:app:pull']);
    expect(new URL(tokenCalls()[0]!.url, 'http://x').searchParams.get('service')).toBe('fake');
    const manifestCalls = seen.filter((s) => s.url.startsWith('/v2/'));
    expect(manifestCalls.map((s) => s.headers.accept)).toEqual([MANIFEST_ACCEPT, MANIFEST_ACCEPT, MANIFEST_ACCEPT]);
    expect(MANIFEST_ACCEPT.split(', ')).toHaveLength(4);
    // Another repository is another scope: another token.
    expect((await client.head(ref('other', '1'))).ok).toBe(true);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('asks the token server with Basic credentials and the account', async () => {
    const client = new RegistryClient(creds({ username: 'bob', password: 'right' }));
    expect((await client.head(ref('app', '1'))).ok).toBe(true);
    expect(tokenCalls()[0]!.headers.authorization).toBe(`Basic ${Buffer.from('bob:right').toString('base64')}`);
    expect(new URL(tokenCalls()[0]!.url, 'http://x').searchParams.get('account')).toBe('bob');
  });

  it('exchanges an identity token with a refresh_token grant', async () => {
    const client = new RegistryClient(creds({ identitytoken: 'idt-ok' }));
    expect((await client.head(ref('app', '1'))).ok).toBe(true);
    expect(tokenCalls()[0]!.method).toBe('POST');
    expect(new URLSearchParams(tokenCalls()[0]!.body).get('scope')).toBe('repository:app:pull');
  });

  it('fetches a fresh token when the registry stops accepting the kept one', async () => {
    const client = new RegistryClient(creds());
    expect((await client.head(ref('app', '1'))).ok).toBe(true);
    valid.clear();
    expect((await client.head(ref('app', '1'))).ok).toBe(true);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('wrong credentials are unauthorized, and the message holds no secret', async () => {
    const client = new RegistryClient(creds({ username: 'bob', password: 'wrong-secret' }));
    const r = await client.head(ref('app', '1'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('unauthorized');
    expect(r.error.message).toContain(`the token server ${host} refused the credentials: 401 UNAUTHORIZED: bad credentials`);
    expect(r.error.message).not.toContain('wrong-secret');
    expect(r.error.message).not.toContain(Buffer.from('bob:wrong-secret').toString('base64'));
  });

  it('a Basic registry without configured credentials is unauthorized, with the login to do', async () => {
    scheme = 'basic';
    const r = await new RegistryClient(creds()).head(ref('app', '1'));
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'unauthorized',
        message: `HEAD ${host}/app:1: 401 Unauthorized (no credentials for ${host} in the docker config: docker login ${host})`,
      },
    });
    // Wrong credentials: once the challenge is known, a rejected Basic header is not sent again.
    const wrong = new RegistryClient(creds({ username: 'bob', password: 'wrong' }));
    seen = [];
    expect(await wrong.head(ref('app', '1'))).toMatchObject({ ok: false, error: { kind: 'unauthorized' } });
    expect(await wrong.head(ref('app', '1'))).toMatchObject({ ok: false, error: { kind: 'unauthorized' } });
    expect(seen.map((s) => (s.headers.authorization === undefined ? 'none' : 'basic'))).toEqual(['none', 'basic', 'basic']);
    seen = [];
    const withCreds = new RegistryClient(creds({ username: 'bob', password: 'right' }));
    expect((await withCreds.head(ref('app', '1'))).ok).toBe(true);
    expect((await withCreds.head(ref('app', '1'))).ok).toBe(true);
    // The challenge is remembered: only the client's first request goes without credentials.
    expect(seen.map((s) => (s.headers.authorization === undefined ? 'none' : 'basic'))).toEqual(['none', 'basic', 'basic']);
  });

  it('reads the manifest when a HEAD names no digest', async () => {
    const client = new RegistryClient(creds());
    expect(await client.head(ref('app', 'nodigest'))).toEqual(
      ok({ digest: DIGEST, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: MANIFEST.length }),
    );
    expect(seen.filter((s) => s.url === '/v2/app/manifests/nodigest').map((s) => s.method)).toEqual(['HEAD', 'HEAD', 'GET']);
  });

  it('a manifest whose bytes do not match its digest is a protocol error', async () => {
    const r = await new RegistryClient(creds()).manifest(ref('app', 'liar'));
    expect(r).toEqual({
      ok: false,
      error: { kind: 'protocol', message: `GET ${host}/app:liar: the registry says digest sha256:${'0'.repeat(64)}, its bytes are ${DIGEST}` },
    });
    const byDigest = await new RegistryClient(creds()).manifest({ registry: host, repository: 'app', digest: `sha256:${'e'.repeat(64)}` });
    expect(byDigest).toEqual(ok(undefined));
  });

  it('configDigest is the config digest of the manifest', async () => {
    expect(await new RegistryClient(creds()).configDigest(ref('app', '1'))).toEqual(ok(`sha256:${'c'.repeat(64)}`));
    expect(await new RegistryClient(creds()).configDigest(ref('app', 'missing'))).toEqual(ok(undefined));
  });

  it('a registry that does not answer is unreachable after the timeout', async () => {
    const started = Date.now();
    const r = await new RegistryClient(creds(), { timeoutMs: 300 }).head(ref('app', 'slow'));
    expect(r).toEqual({ ok: false, error: { kind: 'unreachable', message: `HEAD ${host}/app:slow: ${host}: no answer within 0.3 s` } });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('honours an AbortSignal', async () => {
    const controller = new AbortController();
    const pending = new RegistryClient(creds()).head(ref('app', 'slow'), controller.signal);
    await expect.poll(() => seen.some((s) => s.url === '/v2/app/manifests/slow' && s.headers.authorization !== undefined)).toBe(true);
    controller.abort();
    expect(await pending).toEqual({ ok: false, error: { kind: 'unreachable', message: `HEAD ${host}/app:slow: ${host}: cancelled` } });
  });

  it('refuses a reference docker would refuse before sending anything', async () => {
    const r = await new RegistryClient(creds()).head({ registry: host, repository: 'App/../x', tag: '1' });
    expect(r).toMatchObject({ ok: false, error: { kind: 'refused' } });
    expect(seen).toEqual([]);
  });
});
