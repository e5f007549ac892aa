// A real ssh-agent for the session tests (SSH forwarding into builds, ssh:// engine access):
// `ssh-agent -D -a <temp folder>/agent.sock` in the foreground, so it is our child and stops by
// PID, loaded with the given private keys by `ssh-add`. Plain JavaScript (types in
// ssh-agent.d.mts) because the benches run plain node.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, stopChild, waitFor } from './registry-server.mjs';

/** `ssh-add ARGS` against the agent at `socket`: its exit status and stdout. */
export function sshAdd(socket, ...args) {
  try {
    const stdout = execFileSync('ssh-add', args, {
      env: { ...process.env, SSH_AUTH_SOCK: socket },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, stdout };
  } catch (e) {
    return { status: typeof e.status === 'number' ? e.status : -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

/** The SHA256 fingerprints of the keys the agent at `socket` holds (`ssh-add -l`), [] when none. */
export function agentFingerprints(socket) {
  const listed = sshAdd(socket, '-l', '-E', 'sha256');
  if (listed.status === 1) return [];
  if (listed.status !== 0) throw new Error(`ssh-add -l: exit ${listed.status}: ${listed.stderr ?? ''}`);
  return listed.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ')[1]);
}

/** Starts an agent holding the private keys at `keyPaths`; resolves once it answers with all of them. */
export async function startAgent(keyPaths = [], o = {}) {
  const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'mbt-agent-')); // short: a socket path is at most 107 bytes
  const socket = join(dir, 'agent.sock');
  const logFile = join(dir, 'agent.log');
  const log = openSync(logFile, 'w');
  // Its own process group: a Ctrl-C in a terminal reaches the bench or test, which stops it in order.
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = exitOf(child);
  let stopped;
  const agent = {
    socket,
    pid: child.pid,
    dir,
    fingerprints: [],
    stop: () =>
      (stopped ??= (async () => {
        await stopChild(child, exited, 5_000);
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
  try {
    // ssh-add -l: 1 when the agent holds no key, 2 when none answers.
    const ready = await waitFor(async () => sshAdd(socket, '-l').status === 1, exited, 10_000);
    if (ready !== 'ready') throw new Error(`ssh-agent did not answer on ${socket} (${ready}):\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    for (const key of keyPaths) {
      const added = sshAdd(socket, '-q', key);
      if (added.status !== 0) throw new Error(`ssh-add ${key}: exit ${added.status}: ${added.stderr ?? ''}`);
    }
    agent.fingerprints = agentFingerprints(socket);
    if (agent.fingerprints.length !== keyPaths.length) throw new Error(`ssh-agent holds ${agent.fingerprints.length} keys, not ${keyPaths.length}`);
  } catch (e) {
    await agent.stop();
    throw e;
  }
  return agent;
}
