// A second Docker engine with an empty image store, standing in for a fresh CI runner, for the
// engine tests (through second-engine.ts) and the benches: `dockerd` with everything of its
// own in one temp folder (data root, exec root, pid file, socket, daemon.json) and its own
// containerd namespaces; no bridge, no iptables. dockerd starts its own containerd under the
// exec root (the main engine's is not at /run/containerd). busybox:latest is loaded from the
// main engine (`docker save | docker -H <sock> load`), so its image ID is the same. Plain
// JavaScript (types in second-engine.d.mts). Needs root, like the engine itself.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { exitOf, stopChild, waitFor } from './registry-server.mjs';

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
  const logFile = join(dir, 'dockerd.log');
  const log = openSync(logFile, 'w');
  // prettier-ignore
  const args = [
    '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'docker.pid'), '-H', host,
    '--containerd-namespace', namespace, '--containerd-plugins-namespace', `${namespace}-plugins`,
    '--bridge=none', '--iptables=false', '--ip-masq=false',
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
