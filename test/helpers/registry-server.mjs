// Real registries for the engine tests (through registry.ts) and the benches, on loopback
// only: Debian's `docker-registry` (distribution 2.8, installed by scripts/registry.sh)
// serving plain HTTP on 127.0.0.1 at a free port (or a given one), filesystem storage in a
// temp folder, deletes enabled, optionally htpasswd (bcrypt) auth. The engine trusts
// 127.0.0.0/8 as insecure, so it pushes and pulls there over plain HTTP, Basic auth included.
// Plain JavaScript (types in registry-server.d.mts) because the benches run plain node. Also
// the process helpers both share: a free port, waiting for a condition, stopping a child.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** Starts a registry on 127.0.0.1 (at `o.port`, else a free one); resolves once `/v2/` answers. */
export async function startRegistry(o = {}) {
  const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'mbt-registry-'));
  try {
    for (let attempt = 1; attempt <= (o.port === undefined ? 3 : 1); attempt++) {
      const started = await startIn(dir, o.port ?? (await freePort()), o.auth);
      if (started !== 'port taken') return started;
    }
    throw new Error(o.port === undefined ? 'docker-registry: three free ports were taken before it could listen' : `docker-registry: port ${o.port} is taken`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir, port, auth) {
  const host = `127.0.0.1:${port}`;
  const dataDir = join(dir, 'data');
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
    http: { addr: host, secret: randomBytes(16).toString('hex') },
  };
  if (auth !== undefined) {
    writeFileSync(join(dir, 'htpasswd'), `${auth.user}:${bcrypt(auth.password)}\n`);
    config.auth = { htpasswd: { realm: 'mbuild-test', path: join(dir, 'htpasswd') } };
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // YAML is a superset of JSON
  const logFile = join(dir, 'registry.log');
  const log = openSync(logFile, 'w');
  // Its own process group: a Ctrl-C in a terminal reaches the bench or test, which stops it in order.
  const child = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = exitOf(child);
  const ready = await waitFor(async () => (await v2Status(host)) !== undefined, exited, 15_000);
  if (ready !== 'ready') {
    const text = readFileSync(logFile, 'utf8');
    if (ready === 'exited' && /address already in use/.test(text)) return 'port taken';
    await stopChild(child, exited, 0);
    throw new Error(`docker-registry did not answer on ${host} (${ready}):\n${text.slice(-2000)}`);
  }
  return {
    host,
    port,
    dir,
    dataDir,
    pid: child.pid,
    stop: async () => {
      await stopChild(child, exited, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Status of `GET /v2/`, or undefined when nothing answers. */
async function v2Status(host) {
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

/** `Authorization: Basic` for `auth`, none without. */
export const basicHeader = (auth) => (auth === undefined ? {} : { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` });

/** The repository's tags (`GET /v2/<repo>/tags/list`), sorted; [] when it has none. */
export async function tagsOf(host, repo, auth) {
  const res = await fetch(`http://${host}/v2/${repo}/tags/list`, { headers: basicHeader(auth) });
  if (res.status === 404) {
    await res.arrayBuffer();
    return [];
  }
  const json = await res.json();
  return (json.tags ?? []).sort();
}

/** A port free on 127.0.0.1 right now. */
export function freePort() {
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
export const exitOf = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** Polls `condition` every 50 ms until it holds, `exited` settles, or `timeoutMs` passes: 'ready', 'exited' or 'timeout'. */
export async function waitFor(condition, exited, timeoutMs) {
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

/** SIGTERM to the child's PID, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild(child, exited, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer;
  const late = new Promise((r) => (timer = setTimeout(() => r('late'), graceMs)));
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
export function bcrypt(password) {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const standard = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const salt = randomBytes(16)
    .toString('base64')
    .slice(0, 22)
    .replace(/[A-Za-z0-9+/]/g, (c) => alphabet[standard.indexOf(c)]);
  const setting = `$2b$05$${salt}`;
  const hash = execFileSync('perl', ['-e', 'print crypt($ENV{MBT_PASSWORD}, $ENV{MBT_SETTING})'], {
    env: { ...process.env, MBT_PASSWORD: password, MBT_SETTING: setting },
    encoding: 'utf8',
  });
  if (!hash.startsWith(setting) || hash.length !== 60)
    throw new Error(`perl's crypt() made no bcrypt hash (got "${hash.slice(0, 7)}..."): is libcrypt libxcrypt?`);
  return hash;
}
