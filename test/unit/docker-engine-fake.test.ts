/** createEngine() against the fake Engine API: negotiation, request shape and stream faults. */
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import { EngineError, type BuildRequest, type BuildStreamEvent } from '../../src/docker/engine.js';
import { startFakeEngine, type FakeEngine, type FakeEngineOptions } from '../helpers/fake-engine.js';

const engines: FakeEngine[] = [];
async function fake(opts: FakeEngineOptions): Promise<FakeEngine> {
  const f = await startFakeEngine(opts);
  engines.push(f);
  return f;
}
afterEach(async () => {
  for (const f of engines.splice(0)) await f.close();
});

const ID = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const TAR = Buffer.concat([Buffer.from('Dockerfile\0'), Buffer.alloc(1013, 0x20)]);

function request(over: Partial<BuildRequest> = {}): BuildRequest {
  return {
    context: Readable.from([TAR]),
    dockerfile: 'Dockerfile',
    builder: 'buildkit',
    buildId: 'mbuild-b1',
    buildArgs: { V: '1' },
    labels: { l: 'x' },
    network: 'none',
    pull: false,
    noCache: false,
    ...over,
  };
}

async function build(f: FakeEngine, over: Partial<BuildRequest> = {}, signal = new AbortController().signal) {
  const events: BuildStreamEvent[] = [];
  const outcome = await createEngine({ host: f.url, env: {} }).build(request(over), { signal, onEvent: (e) => events.push(e) });
  return { events, outcome };
}

describe('version negotiation', () => {
  it('uses the daemon version when lower than ours and prefixes later requests with it', async () => {
    const f = await fake({ apiVersion: '1.40', routes: { 'GET /images/json': () => ({ status: 200, body: [] }) } });
    const engine = createEngine({ host: f.url, env: {} });
    expect(await engine.info()).toEqual({ serverVersion: '99.0.0-fake', apiVersion: '1.40', os: 'linux', buildkit: true });
    await engine.listImages({ labels: ['a=b'] });
    const list = await f.waitForRequest((r) => r.path === '/images/json');
    expect(list.version).toBe('1.40');
    expect(list.query.get('filters')).toBe('{"label":["a=b"]}');
    // The ping settles it: no /version (it costs the daemon ~4 ms).
    expect(f.requests.filter((r) => r.path === '/_ping' || r.path === '/version').map((r) => [r.path, r.version])).toEqual([['/_ping', undefined]]);
  });

  it('asks /version when the ping cannot settle it: an engine newer than mbuild, no Server header, DOCKER_API_VERSION', async () => {
    const asked = async (o: Parameters<typeof fake>[0], env: Record<string, string> = {}) => {
      const f = await fake(o);
      const info = await createEngine({ host: f.url, env }).info();
      return { info, paths: f.requests.map((r) => r.path) };
    };
    // Newer than MAX_API_VERSION: its minimum decides (here above ours).
    const newer = await asked({ apiVersion: '1.60', minApiVersion: '1.50' });
    expect(newer.info).toMatchObject({ apiVersion: '1.50', serverVersion: '99.0.1-from-version' });
    expect(newer.paths).toEqual(['/_ping', '/version']);
    const anonymous = await asked({ apiVersion: '1.41', serverHeader: null });
    expect(anonymous.info).toMatchObject({ apiVersion: '1.41', serverVersion: '99.0.1-from-version' });
    expect(anonymous.paths).toEqual(['/_ping', '/version']);
    // DOCKER_API_VERSION is checked against the minimum only /version reports.
    const f = await fake({ apiVersion: '1.41', minApiVersion: '1.40' });
    await expect(createEngine({ host: f.url, env: { DOCKER_API_VERSION: '1.39' } }).info()).rejects.toThrow(
      "DOCKER_API_VERSION=1.39 is older than the engine's minimum API version 1.40",
    );
    expect(f.requests.map((r) => r.path).sort()).toEqual(['/_ping', '/version']);
  });

  it('asks /version too for a ping that is not a plain Docker answer: no Ostype, an invalid Api-Version, a status other than 200', async () => {
    // No Ostype (a proxy that drops headers): the OS, and with it BuildKit, comes from /version.
    const f1 = await fake({ apiVersion: '1.41', pingHeaders: { Ostype: null } });
    expect(await createEngine({ host: f1.url, env: {} }).info()).toMatchObject({ os: 'linux', buildkit: true });
    expect(f1.requests.map((r) => r.path)).toEqual(['/_ping', '/version']);
    // An invalid Api-Version header: /version's is used.
    const f2 = await fake({ apiVersion: '1.41', pingHeaders: { 'Api-Version': 'junk' } });
    expect(await createEngine({ host: f2.url, env: {} }).info()).toMatchObject({ apiVersion: '1.41' });
    expect(f2.requests.map((r) => r.path)).toEqual(['/_ping', '/version']);
    // A ping that failed, with Docker's headers on it.
    const f3 = await fake({ apiVersion: '1.41', pingStatus: 500 });
    expect(await createEngine({ host: f3.url, env: {} }).info()).toMatchObject({ apiVersion: '1.41' });
    expect(f3.requests.map((r) => r.path)).toEqual(['/_ping', '/version']);
  });

  it('says what /version answered when the ping did not settle it and /version is not a Docker answer', async () => {
    const f = await fake({ apiVersion: '1.41', serverHeader: null, versionReply: { status: 404, body: { message: 'page not found' } } });
    await expect(createEngine({ host: f.url, env: {} }).info()).rejects.toThrow('GET /version answered HTTP 404: page not found');
  });

  it('honours DOCKER_API_VERSION and a Builder-Version: 1 header', async () => {
    const f = await fake({ apiVersion: '1.41', builderVersion: '1' });
    const info = await createEngine({ host: f.url, env: { DOCKER_API_VERSION: '1.39' } }).info();
    expect(info).toMatchObject({ apiVersion: '1.39', buildkit: false });
  });

  it('rejects a DOCKER_API_VERSION the daemon cannot speak', async () => {
    const f = await fake({ apiVersion: '1.41' });
    await expect(createEngine({ host: f.url, env: { DOCKER_API_VERSION: '1.45' } }).info()).rejects.toThrow(
      `cannot use the Docker engine at ${f.url} (from --host): DOCKER_API_VERSION=1.45 is newer than the engine's API version 1.41`,
    );
  });

  it('gives up within 2 s on a daemon that accepts but never answers', async () => {
    const f = await fake({ silent: true });
    const t0 = performance.now();
    const err = await createEngine({ host: f.url, env: {} })
      .info()
      .catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe(`cannot connect to the Docker engine at ${f.url} (from --host): no answer within 1500 ms`);
  });
});

describe('build request', () => {
  it('posts the uncompressed tar with the build parameters and no tag', async () => {
    const f = await fake({ build: { chunks: [`{"id":"moby.image.id","aux":{"ID":"${ID}"}}\n`] } });
    const { outcome } = await build(f, { target: 'prod' });
    expect(outcome).toEqual({ kind: 'succeeded', imageId: ID });
    const r = await f.waitForRequest((x) => x.path === '/build');
    expect(r.method).toBe('POST');
    expect(r.version).toBe('1.41');
    expect(r.body.equals(TAR)).toBe(true);
    expect(r.headers['content-type']).toBe('application/x-tar');
    expect(Object.fromEntries(r.query)).toEqual({
      dockerfile: 'Dockerfile',
      buildargs: '{"V":"1"}',
      labels: '{"l":"x"}',
      pull: '0',
      nocache: '0',
      rm: '1',
      forcerm: '1',
      target: 'prod',
      networkmode: 'none',
      version: '2',
      buildid: 'mbuild-b1',
    });
  });

  it('fails a stream cut mid-line, warning about the partial line', async () => {
    const f = await fake({ build: { chunks: ['{"stream":"Step 1/1 : FROM busybox\\n"}\n', '{"aux":{"ID":"sha256:01'], then: 'cut' } });
    const { events, outcome } = await build(f, { builder: 'classic' });
    expect(outcome).toMatchObject({ kind: 'failed', step: { stepId: 'classic-1', name: '[1/1] FROM busybox' } });
    expect(outcome.kind === 'failed' && outcome.message).toMatch(/^build stream ended without an image ID/);
    expect(events).toContainEqual({ type: 'warning', text: 'ignored a build-stream line that is not a JSON object: {"aux":{"ID":"sha256:01' });
  });

  it('treats junk from the daemon side as warnings around a successful build', async () => {
    const f = await fake({ build: { chunks: ['garbage\n', `{"aux":{"ID":"${ID}"}}\n`, 'more garbage'] } });
    const { events, outcome } = await build(f, { builder: 'classic' });
    expect(outcome).toEqual({ kind: 'succeeded', imageId: ID });
    expect(events.map((e) => e.type)).toEqual(['warning', 'warning']);
  });

  it('turns an HTTP error from /build into a failed outcome', async () => {
    const f = await fake({ build: { status: 400, chunks: ['{"message":"dockerfile parse error line 2: unknown instruction: FOO"}'] } });
    expect((await build(f, { builder: 'classic' })).outcome).toEqual({ kind: 'failed', message: 'dockerfile parse error line 2: unknown instruction: FOO' });
  });

  it('cancels a stalled BuildKit build: drops the request and posts /build/cancel', async () => {
    const f = await fake({ build: { chunks: ['{"stream":"working\\n"}\n'], then: 'stall' } });
    const ac = new AbortController();
    const events: BuildStreamEvent[] = [];
    const running = createEngine({ host: f.url, env: {} }).build(request(), { signal: ac.signal, onEvent: (e) => events.push(e) });
    await f.waitForRequest((r) => r.path === '/build');
    // Abort once the build is streaming: wait for its first event.
    await expect.poll(() => events.length).toBe(1);
    ac.abort();
    expect(await running).toEqual({ kind: 'cancelled' });
    await f.buildDisconnected();
    const cancel = await f.waitForRequest((r) => r.path === '/build/cancel');
    expect(cancel.method).toBe('POST');
    expect(cancel.query.get('id')).toBe('mbuild-b1');
  });

  it('cancels a stalled classic build by dropping the request only', async () => {
    const f = await fake({ build: { chunks: ['{"stream":"Step 1/1 : RUN sleep 30\\n"}\n'], then: 'stall' } });
    const ac = new AbortController();
    const events: BuildStreamEvent[] = [];
    const running = createEngine({ host: f.url, env: {} }).build(request({ builder: 'classic' }), { signal: ac.signal, onEvent: (e) => events.push(e) });
    await expect.poll(() => events.length).toBe(1);
    ac.abort();
    expect(await running).toEqual({ kind: 'cancelled' });
    await f.buildDisconnected();
    expect(f.requests.map((r) => r.path)).toEqual(['/_ping', '/build']);
  });

  it('returns cancelled without a request when the signal is already aborted', async () => {
    const f = await fake({ build: { chunks: [] } });
    const ac = new AbortController();
    ac.abort();
    expect((await build(f, {}, ac.signal)).outcome).toEqual({ kind: 'cancelled' });
    expect(f.requests.map((r) => r.path)).toEqual([]);
  });
});

describe('build context faults', () => {
  it('reports a context stream that breaks mid-upload as a failed build, not a transport error', async () => {
    const f = await fake({ build: { chunks: [`{"aux":{"ID":"${ID}"}}\n`] } });
    async function* broken(): AsyncGenerator<Buffer> {
      yield TAR;
      throw new Error('EACCES: permission denied, open secret.txt');
    }
    const { outcome } = await build(f, { context: Readable.from(broken()) });
    expect(outcome).toEqual({ kind: 'failed', message: 'the build context could not be read: EACCES: permission denied, open secret.txt' });
  });
});

describe('the endpoint decides the transport, not docker-modem defaults from process.env', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) {
      if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = saved[k];
    }
  });

  it('ignores a process DOCKER_HOST with TLS settings and missing certs when --host is given', async () => {
    Object.assign(process.env, { DOCKER_HOST: 'tcp://10.255.255.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent/certs' });
    const f = await fake({});
    expect((await createEngine({ host: f.url, env: {} }).info()).serverVersion).toBe('99.0.0-fake');
    expect(process.env['DOCKER_HOST']).toBe('tcp://10.255.255.1:2376');
  });

  it('speaks ssh to an ssh:// host even with DOCKER_TLS_VERIFY=1 (docker-modem would pick https)', async () => {
    let firstBytes: Promise<Buffer> = Promise.reject(new Error('no connection'));
    firstBytes.catch(() => undefined);
    const server = createServer((socket) => {
      firstBytes = new Promise((resolve) =>
        socket.once('data', (d: Buffer) => {
          resolve(d);
          socket.destroy();
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const env = { DOCKER_HOST: `ssh://mbuild@127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent/certs' };
      Object.assign(process.env, env);
      await expect(createEngine({ env }).info()).rejects.toThrow(`cannot connect to the Docker engine at ssh://mbuild@127.0.0.1:${port} (from DOCKER_HOST)`);
      expect((await firstBytes).toString('latin1')).toMatch(/^SSH-2\.0-/);
    } finally {
      server.close();
    }
  });
});

describe('other requests', () => {
  it('maps 404s to undefined where the contract says so', async () => {
    const stat = Buffer.from(JSON.stringify({ name: 'out', size: 3, mode: 420, linkTarget: '' })).toString('base64');
    const f = await fake({
      routes: {
        'GET /images/missing:1/json': () => ({ status: 404, body: { message: 'No such image: missing:1' } }),
        'GET /containers/c1/archive': (r) =>
          r.query.get('path') === '/out'
            ? { status: 200, body: 'tar', headers: { 'X-Docker-Container-Path-Stat': stat } }
            : { status: 404, body: { message: 'Could not find the file /nope in container c1' } },
        'GET /containers/gone/archive': () => ({ status: 404, body: { message: 'No such container: gone' } }),
      },
    });
    const engine = createEngine({ host: f.url, env: {} });
    expect(await engine.inspectImage('missing:1')).toBeUndefined();
    expect(await engine.getArchive('c1', '/nope')).toBeUndefined();
    const got = await engine.getArchive('c1', '/out');
    expect(got?.stat).toEqual({ name: 'out', size: 3, mode: 420, linkTarget: '' });
    got?.stream.resume();
    await expect(engine.getArchive('gone', '/out')).rejects.toThrow('reading /out from container gone: No such container: gone (HTTP 404)');
  });

  it('gives an image without CMD or ENTRYPOINT a dummy command when creating a container', async () => {
    const f = await fake({
      routes: {
        'GET /images/nocmd/json': () => ({ status: 200, body: { Id: 'sha256:nc', Config: { Cmd: null, Entrypoint: null } } }),
        'POST /containers/create': () => ({ status: 201, body: { Id: 'c42', Warnings: [] } }),
      },
    });
    expect(await createEngine({ host: f.url, env: {} }).createContainer('nocmd', { 'mbuild.run': 'r1' })).toBe('c42');
    const create = await f.waitForRequest((r) => r.path === '/containers/create');
    expect(JSON.parse(create.body.toString())).toEqual({
      Image: 'nocmd',
      Labels: { 'mbuild.run': 'r1' },
      HostConfig: { NetworkMode: 'none' },
      Cmd: ['/mbuild-noop'],
    });
  });
});
