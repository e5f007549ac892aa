/**
 * Real registries for engine tests: Debian's `docker-registry` (distribution 2.8, installed by
 * scripts/registry.sh) serving plain HTTP on 127.0.0.1 at a free port, filesystem storage in a
 * temp folder, deletes enabled, and optionally htpasswd (bcrypt) auth. The engine trusts
 * 127.0.0.0/8 as insecure, so it pushes and pulls there over plain HTTP, Basic auth included.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly dataDir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface BasicUser {
  readonly user: string;
  readonly password: string;
}

const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** Starts a registry on 127.0.0.1; resolves once `/v2/` answers. */
export async function startRegistry(opts: { auth?: BasicUser } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-registry-'));
  try {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = await startIn(dir, opts.auth);
      if (started !== 'port taken') return started;
    }
    throw new Error('docker-registry: three free ports were taken before it could listen');
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, auth: BasicUser | undefined): Promise<TestRegistry | 'port taken'> {
  const host = `127.0.0.1:${String(await freePort())}`;
  const dataDir = join(dir, 'data');
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  if (auth !== undefined) {
    writeFileSync(join(dir, 'htpasswd'), `${auth.user}:${bcrypt(auth.password)}\n`);
    config['auth'] = { htpasswd: { realm: 'mbuild-test', path: join(dir, 'htpasswd') } };
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // YAML is a superset of JSON
  const logFile = join(dir, 'registry.log');
  const log = openSync(logFile, 'w');
  const child = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = exitOf(child);
  const ready = await waitFor(async () => (await v2Status(host)) !== undefined, exited, 15_000);
  if (ready !== 'ready') {
    const text = readFileSync(logFile, 'utf8');
    if (ready === 'exited' && /address already in use/.test(text)) return 'port taken';
    child.kill('SIGKILL');
    await exited;
    throw new Error(`docker-registry did not answer on ${host} (${ready}):\n${text.slice(-2000)}`);
  }
  return {
    host,
    dataDir,
    pid: child.pid!,
    stop: async () => {
      await stopChild(child, exited, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Status of `GET /v2/`, or undefined when nothing answers. */
async function v2Status(host: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A promise that settles when `child` exits. */
export const exitOf = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** Polls `condition` every 50 ms until it holds, `exited` settles, or `timeoutMs` passes. */
export async function waitFor(condition: () => Promise<boolean>, exited: Promise<void>, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  const state = { gone: false };
  void exited.then(() => (state.gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return 'ready';
    if (state.gone) return 'exited';
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'timeout';
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

/**
 * A bcrypt hash, the only kind docker-registry's htpasswd accepts: crypt(3) of libxcrypt through
 * perl (perl-base is essential on Debian; Python's crypt module is deprecated). Cost 5: the
 * registry checks it on every request.
 */
export function bcrypt(password: string): string {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const standard = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const salt = randomBytes(16)
    .toString('base64')
    .slice(0, 22)
    .replace(/[A-Za-z0-9+/]/g, (c) => alphabet[standard.indexOf(c)]!);
  const setting = `$2b$05$${salt}`;
  const hash = execFileSync('perl', ['-e', 'print crypt($ENV{MBT_PASSWORD}, $ENV{MBT_SETTING})'], {
    env: { ...process.env, MBT_PASSWORD: password, MBT_SETTING: setting },
    encoding: 'utf8',
  });
  if (!hash.startsWith(setting) || hash.length !== 60)
    throw new Error(`perl's crypt() made no bcrypt hash (got "${hash.slice(0, 7)}..."): is libcrypt libxcrypt?`);
  return hash;
}

const basic = (auth: BasicUser | undefined): Record<string, string> =>
  auth === undefined ? {} : { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` };

/** Deletes the manifest a tag names (by its digest, as the API requires): a cache entry that vanished from the registry. */
export async function deleteManifest(host: string, repo: string, tag: string, auth?: BasicUser): Promise<void> {
  const head = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_ACCEPT, ...basic(auth) } });
  const digest = head.headers.get('docker-content-digest');
  if (head.status !== 200 || digest === null) throw new Error(`HEAD ${host}/${repo}:${tag}: ${String(head.status)}`);
  const del = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: basic(auth) });
  await del.arrayBuffer();
  if (del.status !== 202) throw new Error(`DELETE ${host}/${repo}@${digest}: ${String(del.status)}`);
}

/** Unlinks a blob from one repository (the registry then cannot mount it from there). */
export async function deleteBlob(host: string, repo: string, digest: string, auth?: BasicUser): Promise<void> {
  const del = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'DELETE', headers: basic(auth) });
  await del.arrayBuffer();
  if (del.status !== 202) throw new Error(`DELETE ${host}/${repo} blob ${digest}: ${String(del.status)}`);
}

/** Status of `HEAD /v2/<repo>/blobs/<digest>`: 200 when the repository has the blob. */
export async function blobStatus(host: string, repo: string, digest: string, auth?: BasicUser): Promise<number> {
  const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: basic(auth) });
  return res.status;
}

/** The repository's tags (`GET /v2/<repo>/tags/list`), sorted. */
export async function tagsOf(host: string, repo: string, auth?: BasicUser): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/${repo}/tags/list`, { headers: basic(auth) });
  if (res.status === 404) return [];
  const json = (await res.json()) as { tags: string[] | null };
  return (json.tags ?? []).sort();
}
