/**
 * A registry that accepts connections and then says nothing (issue 17): the engine never
 * gives up on it by itself, so a pull or push through it would hang the run. With
 * MBUILD_REGISTRY_STALL_TIMEOUT=3, a transfer that shows no progress for 3 s is dropped:
 *  - a cache hit whose pull stalls is a warning naming the registry, and the image is built;
 *  - a push that stalls is exit 1, a `push-failed` naming the tag, the registry and the stall.
 * The fake registry (a real one cannot stall on demand) answers `/v2/` and the shared cache's
 * manifest HEAD, and holds every other request open until the test ends.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeProjectImages } from '../helpers/engine-docker.js';
import { parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { runCli } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ofType = <T extends JsonEvent['type']>(events: readonly JsonEvent[], type: T): Extract<JsonEvent, { type: T }>[] =>
  events.filter((e): e is Extract<JsonEvent, { type: T }> => e.type === type);

interface StallingRegistry {
  readonly host: string;
  /** `METHOD path` of every request it held open. */
  readonly held: string[];
}

/** The fake: `/v2/` answers 200, a manifest HEAD answers a made-up manifest (a hit), anything else waits forever. */
async function stallingRegistry(): Promise<StallingRegistry> {
  const held: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && (path === '/v2/' || path === '/v2')) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      return res.end('{}');
    }
    if (req.method === 'HEAD' && /\/manifests\/[^/]+$/.test(path)) {
      res.writeHead(200, {
        'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
        'Docker-Content-Digest': `sha256:${'ab'.repeat(32)}`,
        'Content-Length': '500',
      });
      return res.end();
    }
    held.push(`${req.method ?? '?'} ${path}`);
    req.resume(); // read what is sent, answer nothing
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { host, held };
}

/** One image (a unique file, so no engine has its key), tagged `tagOf(name)` when given. */
function project(tagOf?: (name: string) => string): { name: string; dir: string } {
  const name = `mbt-stall-${randomBytes(3).toString('hex')}`;
  const tag = tagOf?.(name);
  const dir = mkdtempSync(join(tmpdir(), 'mbt-stall-'));
  mkdirSync(join(dir, 'ctx'));
  writeFileSync(join(dir, 'ctx', 'a.txt'), `${name}\n`);
  const yaml = [
    'version: 1',
    `name: ${name}`,
    'defaults: {network: none}',
    'images:',
    '  app:',
    '    context: ctx',
    '    dockerfile_inline: |',
    '      FROM busybox',
    '      COPY a.txt /a.txt',
    ...(tag === undefined ? [] : [`    tags: [${tag}]`]),
    '',
  ];
  writeFileSync(join(dir, 'mbuild.yaml'), yaml.join('\n'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(removeProjectImages(name), 'images left behind').toEqual([]);
  });
  return { name, dir };
}

const STALL_ENV = { MBUILD_REGISTRY_STALL_TIMEOUT: '3' };

describe('a registry that stops answering mid-transfer', () => {
  it('a cache hit whose pull stalls: a warning naming the registry, the image is built, exit 0', async () => {
    const reg = await stallingRegistry();
    const p = project();
    const start = Date.now();
    const r = await runCli(['up', '--progress', 'json', '--cache-from', `${reg.host}/cache`], { cwd: p.dir, env: { ...process.env, ...STALL_ENV } });
    const ms = Date.now() - start;
    expect(r.code, r.stderr).toBe(0);
    const events = parseEvents(r.stdout);
    const warnings = ofType(events, 'image-warning').map((e) => e.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no progress for 3 s/);
    expect(warnings[0]).toContain(`the registry ${reg.host} does not answer`);
    expect(warnings[0]).toMatch(/building instead$/);
    expect(ofType(events, 'image-done').map((e) => e.outcome.kind)).toEqual(['built']);
    // It was the engine's pull that waited: it asked the fake for the manifest.
    expect(reg.held.some((h) => /^GET \/v2\/cache\/manifests\//.test(h))).toBe(true);
    expect(ms).toBeLessThan(60_000);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 120_000);

  it('a push that stalls: exit 1, push-failed naming the tag, the registry and the stall; nothing reported pushed', async () => {
    const reg = await stallingRegistry();
    const p = project((name) => `${reg.host}/${name}/app:1`);
    const tag = `${reg.host}/${p.name}/app:1`;
    const r = await runCli(['up', '--progress', 'json', '--push'], { cwd: p.dir, env: { ...process.env, ...STALL_ENV } });
    expect(r.code, r.stderr).toBe(1);
    const events = parseEvents(r.stdout);
    const failed = ofType(events, 'push-failed');
    expect(failed.map((e) => e.ref)).toEqual([tag]);
    expect(failed[0]!.message).toMatch(/no progress for 3 s: the registry 127\.0\.0\.1:\d+ does not answer/);
    expect(ofType(events, 'push-done')).toEqual([]);
    expect(reg.held.length).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 120_000);

  it('MBUILD_REGISTRY_STALL_TIMEOUT that is not a number of seconds: exit 2 naming it', async () => {
    const p = project();
    const r = await runCli(['up', '--cache-from', '127.0.0.1:9/cache'], { cwd: p.dir, env: { ...process.env, MBUILD_REGISTRY_STALL_TIMEOUT: '3s' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MBUILD_REGISTRY_STALL_TIMEOUT: "3s" is not a number of seconds');
  });
});
