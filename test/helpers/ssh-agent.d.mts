// Types of ssh-agent.mjs.

export interface TestAgent {
  /** `<dir>/agent.sock`: SSH_AUTH_SOCK. */
  readonly socket: string;
  readonly pid: number;
  /** The temp folder that holds the socket and the agent's log. */
  readonly dir: string;
  /** `SHA256:...` of each key it holds (`ssh-add -l -E sha256`), after the keys were added. */
  readonly fingerprints: readonly string[];
  /** Stops the agent (by PID, waiting for it) and removes `dir`; calling it again waits for the first call. */
  stop(): Promise<void>;
}

export interface SshAddResult {
  /** 0 ok; for `-l`: 1 the agent holds no key, 2 no agent answers. */
  readonly status: number;
  readonly stdout: string;
  readonly stderr?: string;
}

/** `ssh-add ARGS` with SSH_AUTH_SOCK=`socket`. */
export function sshAdd(socket: string, ...args: string[]): SshAddResult;
/** The SHA256 fingerprints the agent at `socket` holds, [] when none; throws when no agent answers. */
export function agentFingerprints(socket: string): string[];
/**
 * Starts `ssh-agent -D -a <temp folder>/agent.sock` and adds the private keys at `keyPaths`;
 * resolves once it holds them all. `prefix`: of its temp folder (default `mbt-agent-`).
 */
export function startAgent(keyPaths?: readonly string[], o?: { prefix?: string }): Promise<TestAgent>;
