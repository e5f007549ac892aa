// Types of sshd.mjs.

export const SSHD_BIN: string;
export const SSH_BIN: string;

export interface KeyPair {
  /** `<dir>/<name>`, no passphrase: what `ssh-add` or `startAgent` takes. */
  readonly privateKey: string;
  /** `<dir>/<name>.pub` */
  readonly publicKey: string;
  /** Its text, `ssh-ed25519 AAAA... mbt-<name>`: what `startSshd({ authorizedKeys })` takes. */
  readonly publicLine: string;
  /** `SHA256:...`, as `ssh-add -l` prints it. */
  readonly fingerprint: string;
}

/**
 * The environment a client of the server needs, to merge over `process.env`:
 * - `PATH`: `binDir` first, whose `ssh` reads `sshConfig` (the docker CLI runs `ssh` from PATH
 *   for `DOCKER_HOST=ssh://...`; OpenSSH takes ~/.ssh from the passwd entry, so a temp HOME
 *   would not do);
 * - `SSH_AUTH_SOCK`: the agent given, which must hold a key in `authorizedKeys`;
 * - `DOCKER_HOST`: `ssh://root@127.0.0.1:PORT` (the docker CLI; mbuild's own ssh transport,
 *   dockerode over ssh2, needs only this and SSH_AUTH_SOCK: ssh2 checks no host key);
 * - `GIT_SSH_COMMAND`: `/usr/bin/ssh -F <sshConfig>`, for `git clone ssh://root@127.0.0.1:PORT<path>`.
 * HOME is left alone.
 */
// A type, not an interface: it fits Record<string, string> (an env).
export type SshClientEnv = {
  readonly PATH: string;
  readonly SSH_AUTH_SOCK: string;
  readonly DOCKER_HOST: string;
  readonly GIT_SSH_COMMAND: string;
};

export interface TestSshd {
  /** `127.0.0.1`: it listens there only. */
  readonly host: string;
  readonly port: number;
  /** `root`: the only user that logs in (with a key in `authorizedKeys`). */
  readonly user: string;
  /** `ssh://root@127.0.0.1:PORT` */
  readonly dockerHost: string;
  /** Its host key, `ssh-ed25519 AAAA...`. */
  readonly hostKeyPub: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 AAAA...`, a known_hosts line. */
  readonly knownHostsLine: string;
  /** A known_hosts holding `knownHostsLine` (in `dir`): mount it at /root/.ssh/known_hosts in a tools-image container. */
  readonly knownHostsFile: string;
  /** An ssh_config for Host 127.0.0.1: user root, its port, `knownHostsFile` only, strict host key checking, batch mode, keys from the agent only. */
  readonly sshConfig: string;
  /** A folder holding an `ssh` that runs `/usr/bin/ssh -F <sshConfig>`. */
  readonly binDir: string;
  readonly pid: number;
  /** The temp folder that holds all of it (host key, authorized_keys, pid file, config, log). */
  readonly dir: string;
  /** sshd's log (`-e`: what it would send to syslog), for failure messages. */
  readonly logFile: string;
  /** See SshClientEnv: `{ ...process.env, ...sshd.clientEnv(agent.socket) }`. */
  clientEnv(agentSocket: string): SshClientEnv;
  /** Stops sshd (by PID, waiting for it) and removes `dir`; calling it again waits for the first call. */
  stop(): Promise<void>;
}

/** Makes an ed25519 key pair without passphrase in `dir` (default name `id_ed25519`). */
export function makeKey(dir: string, name?: string): KeyPair;

/**
 * Starts `/usr/sbin/sshd -D -e -f <own config>` on 127.0.0.1 at a free port (creating /run/sshd
 * if missing); resolves once it sends its banner.
 * `authorizedKeys`: public key lines (KeyPair.publicLine) that may log in as root.
 * `dockerHost`: DOCKER_HOST for its sessions (`SetEnv`), so ssh:// reaches that engine; default: none, the main engine.
 * `prefix`: of its temp folder (default `mbt-sshd-`).
 */
export function startSshd(o?: { authorizedKeys?: readonly string[]; dockerHost?: string; prefix?: string }): Promise<TestSshd>;
