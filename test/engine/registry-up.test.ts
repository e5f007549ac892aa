/**
 * Registries on the real engine (issue 17), against registries and a second engine these
 * tests start (test/helpers/registry.ts, second-engine.ts), all on loopback:
 *  - `up --push` pushes every tag once its image is done, at the digests the registry has;
 *    `--metadata-file` records them; `mbuild push` pushes without building, and names a tag
 *    the engine lacks;
 *  - an htpasswd registry: credentials from `auths` and from a `docker-credential-*` helper;
 *    a wrong password is exit 1 naming the tag and the registry's message, nothing reported
 *    pushed, and the password appears in no output, log or state file;
 *  - the shared cache: a fresh engine builds nothing and sends no context (no POST /build),
 *    and gets the same image IDs; with `--push` a hit is copied on the registry and not even
 *    pulled; an entry deleted from the registry is built instead; two runs storing the same
 *    keys at once both succeed and leave entries a third run hits.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { docker, removeProjectImages } from '../helpers/engine-docker.js';
import { parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { startEngineProxy } from '../helpers/engine-proxy.js';
import { deleteManifest, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { startEngine, type SecondEngine } from '../helpers/second-engine.js';

const USER = 'mbt';
const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;

let plain: TestRegistry;
let authed: TestRegistry;
let fresh: SecondEngine;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  [plain, authed, fresh] = await Promise.all([startRegistry(), startRegistry({ auth: { user: USER, password: PASSWORD } }), startEngine()]);
});
afterAll(async () => {
  await Promise.all([plain.stop(), authed.stop(), fresh.stop()]);
});
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c(); // last made, first removed: a child image before its parent
});

interface Project {
  readonly name: string;
  readonly dir: string;
  up(args?: readonly string[], env?: Record<string, string>): Promise<CliResult & { events: JsonEvent[] }>;
}

/**
 * `base` (a file) and `app` (FROM base through an {image:} arg, one RUN), tagged in
 * `registry`: base:1, app:1 and app:latest. `extra` adds lines to base's Dockerfile.
 */
function project(registry: string, o: { name?: string; extra?: string; files?: Record<string, Buffer | string> } = {}): Project {
  const name = o.name ?? `mbt-reg-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'mbt-reg-'));
  mkdirSync(join(dir, 'ctx'));
  writeFileSync(join(dir, 'ctx', 'a.txt'), `${name}\n`);
  for (const [f, data] of Object.entries(o.files ?? {})) writeFileSync(join(dir, 'ctx', f), data);
  const yaml = [
    'version: 1',
    `name: ${name}`,
    'defaults: {network: none}',
    'images:',
    '  base:',
    '    context: ctx',
    '    dockerfile_inline: |',
    '      FROM busybox',
    '      COPY a.txt /a.txt',
    ...(o.extra === undefined ? [] : [`      ${o.extra}`]),
    `    tags: [${registry}/${name}/base:1]`,
    '  app:',
    '    context: ctx',
    '    dockerfile_inline: |',
    '      ARG BASE',
    '      FROM $${BASE}',
    '      RUN cat /a.txt /a.txt > /b.txt',
    '    args: {BASE: {image: base}}',
    `    tags: [${registry}/${name}/app:1, ${registry}/${name}/app:latest]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'mbuild.yaml'), yaml);
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(removeProjectImages(name), 'images left behind').toEqual([]);
  });
  return {
    name,
    dir,
    up: (args = [], env = {}) => runUp(dir, args, env),
  };
}

/** A copy of `p` (same project name, so the same keys) in another folder, with no local state. */
function copyOf(p: Project): Project {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-reg-copy-'));
  cpSync(p.dir, dir, { recursive: true, filter: (src) => !src.includes('/.mbuild') });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { ...p, dir, up: (args = [], env = {}) => runUp(dir, args, env) };
}

async function runUp(dir: string, args: readonly string[], env: Record<string, string>): Promise<CliResult & { events: JsonEvent[] }> {
  const r = await runCli(['up', '--progress', 'json', ...args], { cwd: dir, env: { ...process.env, ...env } });
  return { ...r, events: r.code === 2 ? [] : parseEvents(r.stdout) };
}

const ofType = <T extends JsonEvent['type']>(events: readonly JsonEvent[], type: T): Extract<JsonEvent, { type: T }>[] =>
  events.filter((e): e is Extract<JsonEvent, { type: T }> => e.type === type);

const pushed = (events: readonly JsonEvent[]): Record<string, string> => Object.fromEntries(ofType(events, 'push-done').map((e) => [e.ref, e.digest]));

/** The digest the registry serves for `repo:tag` (a manifest HEAD with the schema-2 Accept), or undefined. */
function registryDigest(host: string, repo: string, tag: string, auth?: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' };
    if (auth !== undefined) headers['Authorization'] = `Basic ${auth}`;
    const [hostname, port] = host.split(':');
    const req = request({ hostname, port: Number(port), method: 'HEAD', path: `/v2/${repo}/manifests/${tag}`, headers }, (res) => {
      res.resume();
      const digest = res.headers['docker-content-digest'];
      resolve(res.statusCode === 200 && typeof digest === 'string' ? digest : undefined);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A DOCKER_CONFIG folder with `config`. */
function dockerConfig(config: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-dockercfg-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

/** Every file below `dir`, read. */
function allFiles(dir: string): string {
  let out = '';
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (statSync(path).isFile()) out += readFileSync(path, 'utf8');
  }
  return out;
}

/** The project's images on the second engine, removed. */
function clearFresh(name: string): void {
  const ids = docker('-H', fresh.host, 'image', 'ls', '-q', '--filter', `label=io.mbuild.project=${name}`);
  if (ids.length > 0) docker('-H', fresh.host, 'rmi', '-f', ...new Set(ids));
}
const freshImages = (name: string): string[] => [
  ...new Set(docker('-H', fresh.host, 'image', 'ls', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${name}`)),
];

/** What went wrong in a run, for assertion messages. */
const problems = (r: { events: JsonEvent[] }): JsonEvent[] =>
  r.events.filter((e) => e.type === 'push-failed' || e.type === 'image-warning' || (e.type === 'image-done' && e.outcome.kind === 'failed'));

describe('push', () => {
  it('up --push pushes every tag once its image is done, at the digests the registry has; --metadata-file records them', async () => {
    const p = project(plain.host);
    const r = await p.up(['--push', '--metadata-file', 'build.json']);
    expect(r.code, r.stderr).toBe(0);
    const refs = pushed(r.events);
    expect(Object.keys(refs).sort()).toEqual([`${plain.host}/${p.name}/app:1`, `${plain.host}/${p.name}/app:latest`, `${plain.host}/${p.name}/base:1`]);
    for (const [ref, digest] of Object.entries(refs)) {
      const [repo, tag] = [ref.slice(plain.host.length + 1, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
      expect(await registryDigest(plain.host, repo, tag), ref).toBe(digest);
    }
    // base's push began before app was done: pushes run while downstream images build.
    const types = r.events.map((e) => `${e.type}:${'image' in e ? e.image : ''}`);
    expect(types.indexOf('push-started:base')).toBeLessThan(types.indexOf('image-done:app'));
    const meta = JSON.parse(readFileSync(join(p.dir, 'build.json'), 'utf8')) as { images: Record<string, { pushed?: { ref: string; digest: string }[] }> };
    expect(Object.fromEntries(Object.values(meta.images).flatMap((i) => (i.pushed ?? []).map((x) => [x.ref, x.digest])))).toEqual(refs);
  });

  it('mbuild push pushes the tags the engine has without building; a tag the engine lacks is exit 1 naming it', async () => {
    const p = project(plain.host);
    expect((await p.up()).code).toBe(0);
    const r = await runCli(['push'], { cwd: p.dir, env: { ...process.env } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/building/);
    expect(await registryDigest(plain.host, `${p.name}/app`, 'latest')).toMatch(/^sha256:/);
    docker('rmi', `${plain.host}/${p.name}/app:latest`);
    const missing = await runCli(['push', 'app'], { cwd: p.dir, env: { ...process.env } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`push of ${plain.host}/${p.name}/app:latest failed`);
  });
});

describe('credentials', () => {
  it('pushes to an htpasswd registry with auths or a credential helper; a wrong password is exit 1 naming the tag; the password is never printed', async () => {
    const p = project(authed.host);
    const good = dockerConfig({ auths: { [authed.host]: { auth: basic(USER, PASSWORD) } } });
    const ok = await p.up(['--push'], { DOCKER_CONFIG: good });
    expect(ok.code, ok.stderr).toBe(0);
    expect(Object.keys(pushed(ok.events))).toHaveLength(3);

    // A credential helper: docker-credential-mbt on PATH answers `get` for the registry.
    const bin = mkdtempSync(join(tmpdir(), 'mbt-helper-'));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    const helper = join(bin, 'docker-credential-mbt');
    writeFileSync(
      helper,
      `#!/bin/sh\nread url\n[ "$url" = "${authed.host}" ] && echo '{"ServerURL":"${authed.host}","Username":"${USER}","Secret":"${PASSWORD}"}' && exit 0\necho 'credentials not found in native keychain'; exit 1\n`,
    );
    chmodSync(helper, 0o755);
    const viaHelper = dockerConfig({ credHelpers: { [authed.host]: 'mbt' } });
    docker('rmi', `${authed.host}/${p.name}/app:latest`); // not the image: another tag keeps it
    const helped = await runCli(['push'], { cwd: p.dir, env: { ...process.env, DOCKER_CONFIG: viaHelper, PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
    expect(helped.code, helped.stderr).toBe(1); // app:latest is gone from the engine …
    expect(helped.stdout).toContain(`pushed ${authed.host}/${p.name}/base:1`); // … the rest went through the helper's credentials

    const wrong = dockerConfig({ auths: { [authed.host]: { auth: basic(USER, `${PASSWORD}-wrong`) } } });
    const q = project(authed.host);
    const bad = await q.up(['--push'], { DOCKER_CONFIG: wrong });
    expect(bad.code).toBe(1);
    const failed = ofType(bad.events, 'push-failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.message).toMatch(/unauthorized|authentication required/);
    // Printed as plain lines, the failure names the tag and the registry's message.
    const plainRun = await runCli(['push', '--push-jobs', '1'], { cwd: q.dir, env: { ...process.env, DOCKER_CONFIG: wrong } });
    expect(plainRun.code).toBe(1);
    expect(plainRun.stderr).toMatch(new RegExp(`push of ${authed.host}/${q.name}/(base|app):(1|latest) failed: .*(unauthorized|authentication required)`));
    expect(ofType(bad.events, 'push-done')).toEqual([]);
    for (const text of [
      ok.stdout,
      ok.stderr,
      helped.stdout,
      helped.stderr,
      bad.stdout,
      bad.stderr,
      allFiles(join(p.dir, '.mbuild')),
      allFiles(join(q.dir, '.mbuild')),
    ]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(basic(USER, PASSWORD));
    }
  });
});

describe('pulls with credentials', () => {
  it('the shared cache on the htpasswd registry serves a fresh engine; a classic build pulls its private FROM image with X-Registry-Config', async () => {
    const config = dockerConfig({ auths: { [authed.host]: { auth: basic(USER, PASSWORD) } } });
    const env = { DOCKER_CONFIG: config };
    const p = project(authed.host);
    const cache = `${authed.host}/${p.name}-cache`;
    const warm = await p.up(['--cache-to', cache, '--push'], env);
    expect(warm.code, JSON.stringify(problems(warm))).toBe(0);
    cleanups.push(() => clearFresh(p.name));
    const hit = await copyOf(p).up(['--cache-from', cache], { ...env, DOCKER_HOST: fresh.host });
    expect(hit.code, JSON.stringify(problems(hit))).toBe(0);
    expect(ofType(hit.events, 'image-started')).toEqual([]);
    expect(freshImages(p.name)).toHaveLength(2);

    // A FROM on the private registry, missing from the fresh engine: the classic builder pulls it.
    const child = mkdtempSync(join(tmpdir(), 'mbt-reg-child-'));
    cleanups.push(() => rmSync(child, { recursive: true, force: true }));
    const childName = `${p.name}-child`;
    writeFileSync(
      join(child, 'mbuild.yaml'),
      `version: 1\nname: ${childName}\ndefaults: {network: none}\nimages:\n  c:\n    dockerfile_inline: |\n      FROM ${authed.host}/${p.name}/app:1\n      RUN cat /b.txt\n    tags: [${childName}-c:1]\n`,
    );
    docker('-H', fresh.host, 'rmi', `${authed.host}/${p.name}/app:1`, `${authed.host}/${p.name}/app:latest`);
    cleanups.push(() => {
      // Built classic: marked by its tag (mbuild-key/<project>/<image>:<key>), not by labels.
      const ids = [
        ...docker('-H', fresh.host, 'image', 'ls', '-q', '--filter', `label=io.mbuild.project=${childName}`),
        ...docker('-H', fresh.host, 'image', 'ls', '-q', '--filter', `reference=mbuild-key/${childName}/*`),
      ];
      if (ids.length > 0) docker('-H', fresh.host, 'rmi', '-f', ...new Set(ids));
    });
    const denied = await runUp(child, ['--builder', 'classic'], { DOCKER_HOST: fresh.host, DOCKER_CONFIG: dockerConfig({}) });
    expect(denied.code).toBe(1);
    const built = await runUp(child, ['--builder', 'classic'], { ...env, DOCKER_HOST: fresh.host });
    expect(built.code, JSON.stringify(problems(built))).toBe(0);
    expect(ofType(built.events, 'image-log').map((e) => e.line)).toContain(p.name);
  });
});

describe('the shared cache', () => {
  it('a fresh engine builds nothing and sends no context; the images have the same IDs; a deleted entry is built instead', async () => {
    const p = project(plain.host);
    const cache = `${plain.host}/${p.name}-cache`;
    const warm = await p.up(['--cache-to', cache]);
    expect(warm.code, warm.stderr).toBe(0);
    const stored = ofType(warm.events, 'cache-stored');
    expect(stored.map((e) => e.image).sort()).toEqual(['app', 'base']);
    const ids = Object.fromEntries(ofType(warm.events, 'image-done').map((e) => [e.image, e.outcome.kind === 'failed' ? '' : e.outcome.imageId]));

    const proxy = await startEngineProxy(fresh.host.replace(/^unix:\/\//, ''));
    cleanups.push(() => void proxy.close());
    cleanups.push(() => clearFresh(p.name));
    const ci = copyOf(p);
    const hit = await ci.up(['--cache-from', cache], { DOCKER_HOST: proxy.url });
    expect(hit.code, hit.stderr).toBe(0);
    expect(ofType(hit.events, 'image-started')).toEqual([]);
    expect(proxy.routes.filter((r) => r.startsWith('POST /build'))).toEqual([]);
    for (const e of ofType(hit.events, 'image-done')) {
      expect(e.outcome).toMatchObject({ kind: 'up-to-date', imageId: ids[e.image], cache: expect.stringContaining(`${cache}:c1-`) as unknown });
    }
    expect(docker('-H', fresh.host, 'image', 'inspect', '-f', '{{.Id}}', `${plain.host}/${p.name}/app:1`)).toEqual([ids['app']]);

    // app's entry deleted from the registry: base still comes from the cache, app is built.
    const appKey = stored
      .find((e) => e.image === 'app')!
      .ref.split(':')
      .pop()!;
    await deleteManifest(plain.host, `${p.name}-cache`, appKey);
    clearFresh(p.name);
    const ci2 = copyOf(p);
    const partial = await ci2.up(['--cache-from', cache], { DOCKER_HOST: fresh.host });
    expect(partial.code, partial.stderr).toBe(0);
    expect(ofType(partial.events, 'image-started').map((e) => e.image)).toEqual(['app']);
  });

  it("classic: a run that stores into the cache keeps mbuild's labels, so a fresh engine takes its entries; an image built without them is not stored", async () => {
    const p = project(plain.host);
    const cache = `${plain.host}/${p.name}-cache`;
    const idsOf = (events: JsonEvent[]) =>
      Object.fromEntries(ofType(events, 'image-done').map((e) => [e.image, e.outcome.kind === 'failed' ? '' : e.outcome.imageId]));
    const mbuildLabels = (id: string): string[] => {
      const labels = JSON.parse(docker('image', 'inspect', '-f', '{{json .Config.Labels}}', id)[0]!) as Record<string, string> | null;
      return Object.keys(labels ?? {}).filter((k) => k.startsWith('io.mbuild.'));
    };
    // No cache to store into: the marks are a tag alone.
    const local = await p.up(['--builder', 'classic']);
    expect(local.code, local.stderr).toBe(0);
    expect(mbuildLabels(idsOf(local.events)['base']!)).toEqual([]);
    // Then a run that stores: up to date, nothing stored, a warning that says why.
    const late = await p.up(['--builder', 'classic', '--cache-to', cache]);
    expect(late.code, late.stderr).toBe(0);
    expect(ofType(late.events, 'cache-stored')).toEqual([]);
    expect(
      ofType(late.events, 'image-warning')
        .map((e) => e.image)
        .sort(),
    ).toEqual(['app', 'base']);
    for (const w of ofType(late.events, 'image-warning')) expect(w.message).toContain(`not stored in the shared cache ${cache}`);
    // Built again for the cache: labelled, stored; a fresh engine takes the entries, marked by their tag too.
    const warm = await p.up(['--builder', 'classic', '--cache-to', cache, '--no-cache']);
    expect(warm.code, warm.stderr).toBe(0);
    expect(
      ofType(warm.events, 'cache-stored')
        .map((e) => e.image)
        .sort(),
    ).toEqual(['app', 'base']);
    const ids = idsOf(warm.events);
    expect(mbuildLabels(ids['base']!).sort()).toEqual(['io.mbuild.image', 'io.mbuild.key', 'io.mbuild.project']);
    cleanups.push(() => clearFresh(p.name));
    const hit = await copyOf(p).up(['--builder', 'classic', '--cache-from', cache], { DOCKER_HOST: fresh.host });
    expect(hit.code, hit.stderr).toBe(0);
    expect(ofType(hit.events, 'image-started')).toEqual([]);
    expect(idsOf(hit.events)).toEqual(ids);
    expect(docker('-H', fresh.host, 'image', 'ls', '--format', '{{.Repository}}', '--filter', `reference=mbuild-key/${p.name}/*`).sort()).toEqual([
      `mbuild-key/${p.name}/app`,
      `mbuild-key/${p.name}/base`,
    ]);
  });

  it('--push with a hit copies the tags on the registry and pulls nothing', async () => {
    const p = project(plain.host);
    const cache = `${plain.host}/${p.name}-cache`;
    const warm = await p.up(['--cache-to', cache, '--push']);
    expect(warm.code, warm.stderr).toBe(0);
    const digests = pushed(warm.events);
    // The tags removed from the registry (app:1 and app:latest are one manifest).
    await deleteManifest(plain.host, `${p.name}/base`, '1');
    await deleteManifest(plain.host, `${p.name}/app`, '1');
    expect(await registryDigest(plain.host, `${p.name}/app`, 'latest')).toBeUndefined();
    cleanups.push(() => clearFresh(p.name));
    const ci = copyOf(p);
    const r = await ci.up(['--cache-from', cache, '--push'], { DOCKER_HOST: fresh.host });
    expect(r.code, JSON.stringify(problems(r))).toBe(0);
    expect(ofType(r.events, 'push-done').map((e) => [e.ref, e.digest, e.via])).toEqual(
      expect.arrayContaining(Object.entries(digests).map(([ref, digest]) => [ref, digest, 'copy'])) as unknown,
    );
    expect(ofType(r.events, 'push-done')).toHaveLength(3);
    expect(freshImages(p.name), 'an image was pulled').toEqual([]);
    for (const e of ofType(r.events, 'image-done')) expect(e.outcome).toMatchObject({ kind: 'up-to-date', remote: true });
  });

  it('two runs storing the same keys at once both succeed, and a third run hits every entry', async () => {
    const p = project(plain.host);
    const cache = `${plain.host}/${p.name}-cache`;
    const other = copyOf(p);
    cleanups.push(() => clearFresh(p.name));
    const [a, b] = await Promise.all([p.up(['--cache-to', cache, '--push']), other.up(['--cache-to', cache, '--push'], { DOCKER_HOST: fresh.host })]);
    expect([a.code, b.code], JSON.stringify([problems(a), problems(b)])).toEqual([0, 0]);
    clearFresh(p.name);
    const third = await copyOf(p).up(['--cache-from', cache], { DOCKER_HOST: fresh.host });
    expect(third.code, third.stderr).toBe(0);
    expect(ofType(third.events, 'image-started')).toEqual([]);
    expect(ofType(third.events, 'image-done').every((e) => e.outcome.kind === 'up-to-date' && e.outcome.cache !== undefined)).toBe(true);
  });
});
