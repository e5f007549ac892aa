/**
 * The test infrastructure for registries on real engines: a second dockerd (an empty image
 * store, like a fresh CI runner) that answers, holds the main engine's busybox, and leaves
 * nothing behind; and pushes and pulls through real registries, open (`docker push`) and with
 * htpasswd auth (Engine API with X-Registry-Auth, Basic over plain HTTP on 127.0.0.1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeader } from '../../src/registry/credentials.js';
import { docker, idOf, processesWith } from '../helpers/engine-docker.js';
import { enginePull, enginePush } from '../helpers/engine-registry.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { containerdPid, ping, startEngine, type SecondEngine } from '../helpers/second-engine.js';

const USER = { user: 'mbt', password: 'pw-Secret-8' };
let second: SecondEngine | undefined;
let open: TestRegistry;
let locked: TestRegistry;
let busyboxId: string;
const mainTags: string[] = [];

/** `docker -H <second engine> ARGS` */
const docker2 = (...args: string[]): string[] => docker('-H', second!.host, ...args);

const mountsUnder = (dir: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));

beforeAll(async () => {
  busyboxId = idOf('busybox:latest')!;
  [second, open, locked] = await Promise.all([startEngine(), startRegistry(), startRegistry({ auth: USER })]);
});

afterAll(async () => {
  for (const tag of mainTags) docker('rmi', tag);
  await Promise.all([second?.stop(), open.stop(), locked.stop()]);
});

describe('the second engine', () => {
  it('answers on its own socket, with busybox:latest of the same image ID', async () => {
    expect(second!.host).toMatch(/^unix:\/\/\/.*\/docker\.sock$/);
    expect(await ping(second!.host.slice('unix://'.length))).toBe(true);
    expect(docker2('image', 'inspect', '--format', '{{.Id}}', 'busybox:latest')).toEqual([busyboxId]);
    expect(docker2('info', '--format', '{{.DockerRootDir}}')).toEqual([`${second!.dir}/data`]);
    // Its image store is its own: an image tagged there is not on the main engine.
    docker2('tag', 'busybox:latest', 'mbt-second-only:1');
    expect(idOf('mbt-second-only:1')).toBeUndefined();
  });

  it('is started, then stopped leaving no process, mount or folder', async () => {
    const engine = await startEngine();
    const containerd = containerdPid(engine.dir);
    expect(containerd).toBeDefined();
    expect(processesWith(engine.dir).map(Number).sort()).toEqual([engine.pid, containerd!].sort());
    expect(mountsUnder(engine.dir).length).toBeGreaterThan(0);
    await engine.stop();
    expect(processesWith(engine.dir)).toEqual([]);
    expect(mountsUnder(engine.dir)).toEqual([]);
    expect(existsSync(engine.dir)).toBe(false);
  });
});

describe('pushes and pulls through real registries', () => {
  /** Pushed from the main engine with `push`, pulled into the second engine (which first forgets busybox) with `auth`. */
  async function roundTrip(registry: TestRegistry, push: (name: string) => Promise<void>, auth: string): Promise<void> {
    const name = `${registry.host}/mbt/roundtrip`;
    docker('tag', 'busybox:latest', `${name}:1`);
    mainTags.push(`${name}:1`);
    await push(name);
    docker2('rmi', '-f', 'busybox:latest');
    docker2('image', 'ls', '-q').forEach((id) => docker2('rmi', '-f', id));
    expect(docker2('image', 'ls', '-q', '-a')).toEqual([]);
    expect(await enginePull(name, '1', auth, second!.host)).toBe(`Status: Downloaded newer image for ${name}:1`);
    expect(docker2('image', 'inspect', '--format', '{{.Id}}', `${name}:1`)).toEqual([busyboxId]);
  }

  it('open registry: docker push, then a pull into the empty engine with the anonymous header', async () => {
    await roundTrip(
      open,
      async (name) => {
        docker('push', '-q', `${name}:1`);
      },
      authHeader(undefined),
    );
  });

  it('htpasswd registry: push and pull with X-Registry-Auth (Basic over HTTP on 127.0.0.1)', async () => {
    const auth = authHeader({ username: USER.user, password: USER.password, serveraddress: locked.host });
    await roundTrip(
      locked,
      async (name) => {
        await enginePush(name, '1', auth);
      },
      auth,
    );
  });

  it('htpasswd registry: the engine refuses a push with a wrong password or none', async () => {
    const name = `${locked.host}/mbt/refused`;
    docker('tag', 'busybox:latest', `${name}:1`);
    mainTags.push(`${name}:1`);
    const wrong = authHeader({ username: USER.user, password: 'nope', serveraddress: locked.host });
    await expect(enginePush(name, '1', wrong)).rejects.toThrow('unauthorized: authentication required');
    await expect(enginePush(name, '1', authHeader(undefined))).rejects.toThrow('no basic auth credentials');
  });
});
