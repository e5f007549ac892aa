/** createEngine().info() against the real daemon, and against endpoints where nothing listens. */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_API_VERSION, compareApiVersions } from '../../src/docker/api-version.js';
import { createEngine } from '../../src/docker/connect.js';
import { EngineError } from '../../src/docker/engine.js';

/** The socket the engine tests use (scripts/engine.sh starts the daemon on a unix socket). */
const SOCKET = createEngine().endpoint.url.replace(/^unix:\/\//, '');

/** The daemon's own `Api-Version` header, read without the code under test. */
function pingApiVersion(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: SOCKET, path: '/_ping' }, (res) => {
      res.resume();
      resolve(String(res.headers['api-version']));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs info() and returns its rejection and how long it took. */
async function failure(engine: ReturnType<typeof createEngine>): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  const error = await engine.info().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - t0 };
}

describe('info() on the real daemon', () => {
  it('negotiates min(daemon, ours) and reports BuildKit on Docker 20.10', async () => {
    const server = await pingApiVersion();
    const expected = compareApiVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    const info = await createEngine().info();
    expect(info.apiVersion).toBe(expected);
    expect(info.os).toBe('linux');
    expect(info.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.buildkit).toBe(true);
  });

  it('honours DOCKER_API_VERSION on the requests that follow', async () => {
    const engine = createEngine({ host: `unix://${SOCKET}`, env: { DOCKER_API_VERSION: '1.40' } });
    expect((await engine.info()).apiVersion).toBe('1.40');
    const busybox = await engine.inspectImage('busybox:latest');
    expect(busybox?.repoTags).toContain('busybox:latest');
    expect(busybox?.hasCmd).toBe(true);
  });
});

describe('unreachable daemon', () => {
  it('rejects in under 2 s for a unix socket that does not exist, naming DOCKER_HOST', async () => {
    const { error, ms } = await failure(createEngine({ env: { DOCKER_HOST: 'unix:///tmp/nonexistent.sock' } }));
    expect(ms).toBeLessThan(2000);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toBe(
      'cannot connect to the Docker engine at unix:///tmp/nonexistent.sock (from DOCKER_HOST): connect ENOENT /tmp/nonexistent.sock',
    );
    expect((error as EngineError).endpoint).toEqual({ url: 'unix:///tmp/nonexistent.sock', source: 'DOCKER_HOST' });
  });

  it('rejects in under 2 s for tcp://127.0.0.1:1', async () => {
    const { error, ms } = await failure(createEngine({ env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } }));
    expect(ms).toBeLessThan(2000);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toBe(
      'cannot connect to the Docker engine at tcp://127.0.0.1:1 (from DOCKER_HOST): connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('names --host when the flag chose the endpoint, over a working DOCKER_HOST', async () => {
    const { error } = await failure(createEngine({ host: 'unix:///tmp/nonexistent.sock', env: { DOCKER_HOST: `unix://${SOCKET}` } }));
    expect((error as EngineError).message).toBe(
      'cannot connect to the Docker engine at unix:///tmp/nonexistent.sock (from --host): connect ENOENT /tmp/nonexistent.sock',
    );
  });

  it('fails every method, not only info(), and recovers nothing by retrying', async () => {
    const engine = createEngine({ env: { DOCKER_HOST: 'unix:///tmp/nonexistent.sock' } });
    await expect(engine.listImages({ labels: [] })).rejects.toThrow('cannot connect to the Docker engine at unix:///tmp/nonexistent.sock');
    await expect(engine.info()).rejects.toThrow('connect ENOENT /tmp/nonexistent.sock');
  });
});
