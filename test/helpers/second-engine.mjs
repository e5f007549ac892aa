// A second Docker engine with an empty image store, standing in for a fresh CI runner, for the
// engine tests (through second-engine.ts) and the benches: `dockerd` with everything of its
// own in one temp folder (data root, exec root, pid file, socket, daemon.json) and its own
// containerd namespaces; no bridge, no iptables. dockerd starts its own containerd under the
// exec root (the main engine's is not at /run/containerd). busybox:latest is loaded from the
// main engine (`docker save | docker -H <sock> load`), so its image ID is the same. With
// `tls: true` it also listens on tcp://127.0.0.1 at a free port, verifying clients
// (`--tlsverify`) against a CA made for it by openssl in its folder, which also holds a client
// certificate laid out for DOCKER_CERT_PATH. Plain JavaScript (types in second-engine.d.mts).
// Needs root, like the engine itself.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { exitOf, freePort, stopChild, waitFor } from './registry-server.mjs';

/** Whether the engine at socket `socket` answers `/_ping`. */
export function ping(socket) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Starts it; resolves once it answers `/_ping` and has busybox. */
export async function startEngine(o = {}) {
  const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'mbt-dockerd-')); // short: a socket path is at most 107 bytes
  const namespace = basename(dir).toLowerCase();
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  writeFileSync(join(dir, 'daemon.json'), '{}\n'); // not the host's /etc/docker/daemon.json
  let tls;
  try {
    tls = o.tls === true ? { tcpPort: await freePort(), ...makeCertificates(dir) } : undefined;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const logFile = join(dir, 'dockerd.log');
  const log = openSync(logFile, 'w');
  // prettier-ignore
  const args = [
    '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'docker.pid'), '-H', host,
    '--containerd-namespace', namespace, '--containerd-plugins-namespace', `${namespace}-plugins`,
    '--bridge=none', '--iptables=false', '--ip-masq=false',
    ...(tls === undefined ? [] : [
      '-H', `tcp://127.0.0.1:${tls.tcpPort}`, '--tlsverify',
      '--tlscacert', join(tls.serverDir, 'ca.pem'), '--tlscert', join(tls.serverDir, 'cert.pem'), '--tlskey', join(tls.serverDir, 'key.pem'),
    ]),
  ];
  // Its own process group: a Ctrl-C in a terminal reaches the bench or test, which stops it in order.
  const child = spawn('dockerd', args, { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = exitOf(child);
  let stopped;
  const engine = {
    socket,
    host,
    dir,
    pid: child.pid,
    ...(tls === undefined ? {} : { tcpHost: `tcp://127.0.0.1:${tls.tcpPort}`, certDir: tls.certDir }),
    stop: () =>
      (stopped ??= (async () => {
        const containerd = containerdPid(dir);
        await stopChild(child, exited, 20_000);
        if (containerd !== undefined) await killPid(containerd, 10_000);
        unmountUnder(dir);
        rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      })()),
  };
  try {
    const ready = await waitFor(() => ping(socket), exited, 60_000);
    if (ready !== 'ready') throw new Error(`the second dockerd did not answer /_ping (${ready}):\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    execFileSync('bash', ['-c', 'set -o pipefail; docker save busybox:latest | docker -H "$MBT_HOST" load -q'], {
      env: { ...process.env, MBT_HOST: host },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    await engine.stop();
    throw e;
  }
  return engine;
}

/** `openssl ARGS` in `cwd`; throws with its stderr when it fails. */
const openssl = (cwd, ...args) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * A CA, a server certificate for IP:127.0.0.1 (`<dir>/tls`) and a client certificate
 * (`<dir>/client`), each folder holding ca.pem, cert.pem and key.pem: the client's is what
 * DOCKER_CERT_PATH names. P-256 keys (fast to make), valid for two days.
 */
function makeCertificates(dir) {
  const serverDir = join(dir, 'tls');
  const certDir = join(dir, 'client');
  const ca = join(dir, 'ca');
  for (const d of [serverDir, certDir, ca]) mkdirSync(d);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  // prettier-ignore
  openssl(ca, 'req', '-x509', ...ec, '-keyout', 'key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mbt-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (out, cn, extensions) => {
    writeFileSync(join(out, 'ext.cnf'), extensions);
    openssl(out, 'req', '-new', ...ec, '-keyout', 'key.pem', '-out', 'req.csr', '-subj', `/CN=${cn}`);
    // prettier-ignore
    openssl(out, 'x509', '-req', '-in', 'req.csr', '-CA', join(ca, 'ca.pem'), '-CAkey', join(ca, 'key.pem'), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-extfile', 'ext.cnf', '-out', 'cert.pem');
    for (const f of ['ext.cnf', 'req.csr']) rmSync(join(out, f));
    copyFileSync(join(ca, 'ca.pem'), join(out, 'ca.pem'));
  };
  leaf(serverDir, '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
  leaf(certDir, 'mbt-client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  rmSync(join(ca, 'key.pem')); // nothing else is ever signed
  return { serverDir, certDir };
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** The PID of the containerd that dockerd started under its exec root, while it runs. */
export function containerdPid(dir) {
  try {
    const pid = Number(readFileSync(join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isZombie(pid) {
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGTERM to a PID that is not our child, SIGKILL after `graceMs`; resolves once it is gone. */
async function killPid(pid, graceMs) {
  const gone = async () => !processAlive(pid) || isZombie(pid);
  const never = new Promise(() => undefined);
  if (await gone()) return;
  process.kill(pid, 'SIGTERM');
  if ((await waitFor(gone, never, graceMs)) === 'ready') return;
  process.kill(pid, 'SIGKILL');
  await waitFor(gone, never, 5_000);
}

/** Lazily unmounts whatever dockerd left mounted under `dir` (its data root is bind-mounted onto itself), deepest first. */
function unmountUnder(dir) {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p) => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}
