// A real OpenSSH server for the session tests (ssh:// engine access, git over SSH), on loopback
// only: `/usr/sbin/sshd -D -e -f <its own config>` (installed by scripts/ssh.sh) listening on
// 127.0.0.1 at a free port, with its own host key, authorized_keys and pid file in one temp
// folder; public keys only, root allowed (the tests run as root, like the engine). Its session
// commands run as root on this machine, so `docker system dial-stdio` reaches the main engine
// (or `dockerHost`): that is what `DOCKER_HOST=ssh://root@127.0.0.1:PORT` needs. Also the
// client side: a known_hosts holding its host key, an ssh_config that uses it (strict host
// key checking, batch mode, no identity files: keys come from the agent at SSH_AUTH_SOCK), and
// an `ssh` wrapper that reads that config, for the docker CLI, which runs `ssh` from PATH and
// has no flag for its options (OpenSSH reads ~/.ssh from the passwd entry, never from $HOME).
// Plain JavaScript (types in sshd.d.mts) because the benches run plain node.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, freePort, stopChild, waitFor } from './registry-server.mjs';

export const SSHD_BIN = '/usr/sbin/sshd';
export const SSH_BIN = '/usr/bin/ssh';
/** PATH of the commands sshd runs (`docker system dial-stdio`, `git-upload-pack`). */
const SESSION_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** sshd's privilege separation folder: it refuses to start without it. */
const PRIVSEP_DIR = '/run/sshd';

/** An ed25519 key pair without passphrase, `<dir>/<name>` and `<dir>/<name>.pub`. */
export function makeKey(dir, name = 'id_ed25519') {
  const privateKey = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `mbt-${name}`, '-f', privateKey], { stdio: ['ignore', 'ignore', 'pipe'] });
  const publicKey = `${privateKey}.pub`;
  const publicLine = readFileSync(publicKey, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKey], { encoding: 'utf8' }).split(' ')[1];
  return { privateKey, publicKey, publicLine, fingerprint };
}

/** Starts sshd on 127.0.0.1 at a free port; resolves once it greets with its SSH banner. */
export async function startSshd(o = {}) {
  mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'mbt-sshd-'));
  try {
    const hostKey = makeKey(dir, 'ssh_host_ed25519_key');
    writeFileSync(join(dir, 'authorized_keys'), (o.authorizedKeys ?? []).map((k) => `${k.trim()}\n`).join(''), { mode: 0o600 });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const started = await startIn(dir, await freePort(), hostKey, o);
      if (started !== 'port taken') return started;
    }
    throw new Error('sshd: three free ports were taken before it could listen');
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir, port, hostKey, o) {
  const host = '127.0.0.1';
  const configFile = join(dir, 'sshd_config');
  // prettier-ignore
  const config = [
    `ListenAddress ${host}:${port}`, `HostKey ${hostKey.privateKey}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, 'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'StrictModes no', 'UsePAM no', 'X11Forwarding no', 'AllowAgentForwarding no', 'AllowTcpForwarding no',
    'PermitTunnel no', 'PrintMotd no', 'PrintLastLog no', 'UseDNS no', 'LogLevel INFO',
    // SHLVL=1: Debian's bash runs ~/.bashrc for a command sshd starts only at shell level 1,
    // and root's may be slow or set DOCKER_HOST; sessions get a plain PATH instead.
    `SetEnv SHLVL=1 PATH=${SESSION_PATH}${o.dockerHost === undefined ? '' : ` DOCKER_HOST=${o.dockerHost}`}`,
  ];
  writeFileSync(configFile, `${config.join('\n')}\n`);
  const logFile = join(dir, 'sshd.log');
  const log = openSync(logFile, 'w');
  // Its own process group: a Ctrl-C in a terminal reaches the bench or test, which stops it in order.
  const child = spawn(SSHD_BIN, ['-D', '-e', '-f', configFile], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const exited = exitOf(child);
  const ready = await waitFor(() => greets(host, port), exited, 15_000);
  if (ready !== 'ready') {
    const text = readFileSync(logFile, 'utf8');
    if (ready === 'exited' && /Address already in use/.test(text)) return 'port taken';
    await stopChild(child, exited, 0);
    throw new Error(`sshd did not greet on ${host}:${port} (${ready}):\n${text.slice(-2000)}`);
  }
  const hostKeyPub = hostKey.publicLine.split(' ').slice(0, 2).join(' ');
  const knownHostsLine = `[${host}]:${port} ${hostKeyPub}`;
  const client = writeClient(dir, host, port, knownHostsLine);
  let stopped;
  return {
    host,
    port,
    user: 'root',
    dockerHost: `ssh://root@${host}:${port}`,
    hostKeyPub,
    knownHostsLine,
    ...client,
    pid: child.pid,
    dir,
    logFile,
    clientEnv: (agentSocket) => ({
      PATH: `${client.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      SSH_AUTH_SOCK: agentSocket,
      DOCKER_HOST: `ssh://root@${host}:${port}`,
      GIT_SSH_COMMAND: `${SSH_BIN} -F ${client.sshConfig}`,
    }),
    stop: () =>
      (stopped ??= (async () => {
        await stopChild(child, exited, 10_000);
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/** known_hosts, ssh_config and the `ssh` wrapper for clients of this server, in `dir`. */
function writeClient(dir, host, port, knownHostsLine) {
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `${knownHostsLine}\n`);
  const sshConfig = join(dir, 'ssh_config');
  // prettier-ignore
  const lines = [
    `Host ${host}`, '  User root', `  Port ${port}`, `  UserKnownHostsFile ${knownHostsFile}`, '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes', '  BatchMode yes', '  IdentityFile none', '  ForwardAgent no', '  ForwardX11 no',
    '  ControlMaster no', '  ControlPath none', '  LogLevel ERROR',
  ];
  writeFileSync(sshConfig, `${lines.join('\n')}\n`);
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  const wrapper = join(binDir, 'ssh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ${SSH_BIN} -F '${sshConfig}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  return { knownHostsFile, sshConfig, binDir };
}

/** Whether an SSH server answers on host:port with its `SSH-2.0-` banner. */
function greets(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let text = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\n')) done(text.startsWith('SSH-2.0-'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}
