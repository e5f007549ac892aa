/**
 * RegistryClient against real registries (Debian's docker-registry 2.8 on 127.0.0.1, started
 * by test/helpers/registry.ts), one open and one with htpasswd auth, holding busybox:latest
 * pushed by the real engine. Credentials come from a docker config.json, as for users.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { authHeader, loadCredentials, type Credentials } from '../../src/registry/credentials.js';
import { referencesOf, sha256Digest } from '../../src/registry/manifest.js';
import { parseImageRef, withTag, type ImageRef } from '../../src/registry/reference.js';
import { docker, idOf } from '../helpers/engine-docker.js';
import { enginePush } from '../helpers/engine-registry.js';
import { blobStatus, deleteBlob, deleteManifest, startRegistry, tagsOf, type TestRegistry } from '../helpers/registry.js';
import { testdir } from '../helpers/testdir.js';

const USER = { user: 'mbt', password: 'pw-Secret-7' };
const KEY = 'f'.repeat(64);
const cleanups: (() => void | Promise<void>)[] = [];
let open: TestRegistry;
let locked: TestRegistry;
let busyboxId: string;
const pushed = new Map<string, string>(); // registry host → manifest digest of mbt/app:1
const sizes = new Map<string, number>(); // manifest digest → its size in bytes
const sizeOf = (digest: string): number => sizes.get(digest)!;

async function credentialsWith(auths: Record<string, { auth: string }>): Promise<Credentials> {
  const d = testdir({ 'config.json': JSON.stringify({ auths }) }, 'mbt-regcfg-');
  cleanups.push(d.cleanup);
  const c = await loadCredentials({ DOCKER_CONFIG: d.dir });
  if (!c.ok) throw new Error(c.error);
  return c.value;
}
const basicAuth = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

const ref = (text: string): ImageRef => {
  const r = parseImageRef(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

/** Tags busybox:latest as `<host>/mbt/app:1`, pushes it through the Engine API, untags it. */
async function pushBusybox(registry: TestRegistry, auth: string): Promise<void> {
  const name = `${registry.host}/mbt/app`;
  docker('tag', 'busybox:latest', `${name}:1`);
  try {
    const pushedDigest = await enginePush(name, '1', auth);
    pushed.set(registry.host, pushedDigest.digest);
    sizes.set(pushedDigest.digest, pushedDigest.size);
  } finally {
    docker('rmi', `${name}:1`);
  }
}

/** Blob files the registry stores (each layer and config once, whatever links to it). */
const blobFiles = (registry: TestRegistry): string[] =>
  readdirSync(join(registry.dataDir, 'docker/registry/v2/blobs'), { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('/data'));

beforeAll(async () => {
  busyboxId = idOf('busybox:latest')!;
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ auth: USER })]);
  cleanups.push(
    () => open.stop(),
    () => locked.stop(),
  );
  await pushBusybox(open, authHeader(undefined));
  await pushBusybox(locked, authHeader({ username: USER.user, password: USER.password, serveraddress: locked.host }));
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('RegistryClient on an open registry', () => {
  it('head: a hit names the pushed manifest; a missing tag or repository is undefined', async () => {
    const client = new RegistryClient(await credentialsWith({}));
    const hit = await client.head(ref(`${open.host}/mbt/app:1`));
    expect(hit).toEqual({
      ok: true,
      value: { digest: pushed.get(open.host), mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: sizeOf(pushed.get(open.host)!) },
    });
    expect(await client.head(ref(`${open.host}/mbt/app:${KEY}`))).toEqual({ ok: true, value: undefined });
    expect(await client.head(ref(`${open.host}/mbt/nothing-here:1`))).toEqual({ ok: true, value: undefined });
  });

  it('manifest: the exact bytes of the digest, a schema-2 manifest of busybox', async () => {
    const got = await new RegistryClient(await credentialsWith({})).manifest(ref(`${open.host}/mbt/app:1`));
    if (!got.ok || got.value === undefined) throw new Error(JSON.stringify(got));
    expect(got.value.digest).toBe(pushed.get(open.host));
    expect(sha256Digest(got.value.bytes)).toBe(got.value.digest);
    expect(got.value.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(referencesOf(got.value.bytes, got.value.mediaType)?.config).toBe(busyboxId);
  });

  it("configDigest is the pushed image's ID", async () => {
    const client = new RegistryClient(await credentialsWith({}));
    expect(await client.configDigest(ref(`${open.host}/mbt/app:1`))).toEqual({ ok: true, value: busyboxId });
    expect(await client.configDigest(ref(`${open.host}/mbt/app:${KEY}`))).toEqual({ ok: true, value: undefined });
  });

  it('copy within a repository: a new tag on the same manifest, no blob stored again', async () => {
    const client = new RegistryClient(await credentialsWith({}));
    const blobs = blobFiles(open);
    const from = ref(`${open.host}/mbt/app:1`);
    const copied = await client.copy(from, withTag(from, `REF-${KEY.slice(0, 8)}`));
    expect(copied).toEqual({
      ok: true,
      value: { digest: pushed.get(open.host), mediaType: 'application/vnd.docker.distribution.manifest.v2+json', size: sizeOf(pushed.get(open.host)!) },
    });
    expect(await tagsOf(open.host, 'mbt/app')).toEqual(['1', `REF-${KEY.slice(0, 8)}`]);
    expect(await client.head(withTag(from, `REF-${KEY.slice(0, 8)}`))).toMatchObject({ ok: true, value: { digest: pushed.get(open.host) } });
    expect(blobFiles(open)).toEqual(blobs);
  });

  it('copy across repositories mounts every blob: the target has the layers and config, nothing was uploaded', async () => {
    const client = new RegistryClient(await credentialsWith({}));
    const blobs = blobFiles(open);
    const to = ref(`${open.host}/mbt/cache:${KEY}`);
    expect(await blobStatus(open.host, 'mbt/cache', busyboxId)).toBe(404);
    const copied = await client.copy(ref(`${open.host}/mbt/app:1`), to);
    expect(copied).toMatchObject({ ok: true, value: { digest: pushed.get(open.host) } });
    expect(await client.head(to)).toMatchObject({ ok: true, value: { digest: pushed.get(open.host) } });
    const manifest = await client.manifest(to);
    const refs = manifest.ok && manifest.value ? referencesOf(manifest.value.bytes, manifest.value.mediaType) : undefined;
    expect(refs?.blobs.length).toBeGreaterThanOrEqual(2);
    for (const blob of refs?.blobs ?? []) expect(await blobStatus(open.host, 'mbt/cache', blob)).toBe(200);
    expect(blobFiles(open)).toEqual(blobs);
  });

  it('copy is refused when a blob cannot be mounted (the caller pushes instead); the upload begun is cancelled', async () => {
    const client = new RegistryClient(await credentialsWith({}));
    const broken = ref(`${open.host}/mbt/broken:1`);
    expect((await client.copy(ref(`${open.host}/mbt/app:1`), broken)).ok).toBe(true);
    const got = await client.manifest(broken);
    const layer = got.ok && got.value ? referencesOf(got.value.bytes, got.value.mediaType)?.blobs.at(-1) : undefined;
    await deleteBlob(open.host, 'mbt/broken', layer!);
    const r = await client.copy(broken, ref(`${open.host}/mbt/elsewhere:1`));
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'refused',
        message: `mount ${layer!} from mbt/broken into ${open.host}/mbt/elsewhere: the registry cannot mount it (it began an upload instead)`,
      },
    });
    expect(await client.head(ref(`${open.host}/mbt/elsewhere:1`))).toEqual({ ok: true, value: undefined });
    // A cancelled upload loses its data and start time (registry 2.8 leaves its hash state behind).
    const uploads = readdirSync(join(open.dataDir, 'docker/registry/v2/repositories/mbt/elsewhere/_uploads'), { recursive: true, encoding: 'utf8' });
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploads.filter((p) => /(^|\/)(data|startedat)$/.test(p))).toEqual([]);
  });

  it('copy between two registries is refused', async () => {
    const client = new RegistryClient(await credentialsWith({}));
    const r = await client.copy(ref(`${open.host}/mbt/app:1`), ref(`${locked.host}/mbt/app:2`));
    expect(r).toEqual({
      ok: false,
      error: { kind: 'refused', message: `copy ${open.host}/mbt/app:1 to ${locked.host}/mbt/app:2: a manifest can be copied only within one registry` },
    });
  });

  it('a manifest deleted from the registry is a miss afterwards (a vanished cache entry)', async () => {
    const client = new RegistryClient(await credentialsWith({}));
    const entry = ref(`${open.host}/mbt/vanish:${KEY}`);
    expect((await client.copy(ref(`${open.host}/mbt/app:1`), entry)).ok).toBe(true);
    expect(await client.head(entry)).toMatchObject({ ok: true, value: { digest: pushed.get(open.host) } });
    await deleteManifest(open.host, 'mbt/vanish', KEY);
    expect(await client.head(entry)).toEqual({ ok: true, value: undefined });
  });
});

describe('RegistryClient on a registry with htpasswd auth (Basic over HTTP on 127.0.0.1)', () => {
  it('answers with the credentials of the docker config', async () => {
    const client = new RegistryClient(await credentialsWith({ [locked.host]: basicAuth(USER.user, USER.password) }));
    expect(await client.head(ref(`${locked.host}/mbt/app:1`))).toMatchObject({ ok: true, value: { digest: pushed.get(locked.host) } });
    expect(await client.configDigest(ref(`${locked.host}/mbt/app:1`))).toEqual({ ok: true, value: busyboxId });
    const copied = await client.copy(ref(`${locked.host}/mbt/app:1`), ref(`${locked.host}/mbt/cache:${KEY}`));
    expect(copied).toMatchObject({ ok: true, value: { digest: pushed.get(locked.host) } });
    expect(await tagsOf(locked.host, 'mbt/cache', USER)).toEqual([KEY]);
  });

  it('a wrong password is unauthorized, and the message holds no password', async () => {
    const client = new RegistryClient(await credentialsWith({ [locked.host]: basicAuth(USER.user, 'wrong-Password-9') }));
    const r = await client.head(ref(`${locked.host}/mbt/app:1`));
    expect(r).toEqual({ ok: false, error: { kind: 'unauthorized', message: `HEAD ${locked.host}/mbt/app:1: 401 Unauthorized` } });
    const got = await client.manifest(ref(`${locked.host}/mbt/app:1`));
    expect(got).toEqual({ ok: false, error: { kind: 'unauthorized', message: `GET ${locked.host}/mbt/app:1: 401 UNAUTHORIZED: authentication required` } });
    for (const text of [JSON.stringify(r), JSON.stringify(got)]) {
      expect(text).not.toContain('wrong-Password-9');
      expect(text).not.toContain(Buffer.from(`${USER.user}:wrong-Password-9`).toString('base64'));
    }
  });

  it('no credentials at all is unauthorized, saying to log in', async () => {
    const r = await new RegistryClient(await credentialsWith({})).head(ref(`${locked.host}/mbt/app:1`));
    expect(r).toEqual({
      ok: false,
      error: {
        kind: 'unauthorized',
        message: `HEAD ${locked.host}/mbt/app:1: 401 Unauthorized (no credentials for ${locked.host} in the docker config: docker login ${locked.host})`,
      },
    });
  });
});

describe('RegistryClient and a registry that is gone', () => {
  it('is unreachable at once, naming the registry', async () => {
    const gone = await startRegistry();
    await gone.stop();
    const started = Date.now();
    const r = await new RegistryClient(await credentialsWith({})).head(ref(`${gone.host}/mbt/app:1`));
    expect(r).toEqual({ ok: false, error: { kind: 'unreachable', message: `HEAD ${gone.host}/mbt/app:1: ${gone.host}: connection refused` } });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
