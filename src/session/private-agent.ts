/**
 * An ssh agent of the session's own, holding the key files an `ssh` entry names: OpenSSH's
 * `ssh-agent -D` on a socket in a fresh temp folder, the keys added with `ssh-add`. Started
 * on the first use of its id, stopped (by PID) and its folder removed when the session
 * closes. A key with a passphrase cannot be added without a terminal: the error says to put
 * it in your agent instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../core/result.js';

const START_TIMEOUT_MS = 10_000;

export interface PrivateAgent {
  readonly socket: string;
  stop(): Promise<void>;
}

export async function startPrivateAgent(keys: readonly string[]): Promise<Result<PrivateAgent, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'mbuild-agent-'));
  const socket = join(dir, 'agent.sock');
  let child: ChildProcess;
  try {
    child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return err(`cannot start ssh-agent: ${(e as Error).message}`);
  }
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // A second Ctrl-C exits at once: the agent and its folder still go.
  const onExit = (): void => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const agent: PrivateAgent = {
    socket,
    stop: async () => {
      process.off('exit', onExit);
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const started = await listening(child);
  if (!started.ok) {
    await agent.stop();
    return started;
  }
  const added = await addKeys(socket, keys);
  if (!added.ok) {
    await agent.stop();
    return added;
  }
  return ok(agent);
}

/** ssh-agent -D prints `SSH_AUTH_SOCK=...` once it listens. */
function listening(child: ChildProcess): Promise<Result<void, string>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(err('ssh-agent did not start within 10 s')), START_TIMEOUT_MS);
    const done = (r: Result<void, string>): void => {
      clearTimeout(timer);
      resolve(r);
    };
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('SSH_AUTH_SOCK')) done(ok(undefined));
    });
    child.stdout!.on('error', () => undefined);
    child.once('error', (e) => done(err(`cannot start ssh-agent: ${e.message}`)));
    child.once('close', () => done(err('ssh-agent exited at start')));
  });
}

/** `ssh-add` with no terminal and no askpass: a key that needs a passphrase fails at once. */
function addKeys(socket: string, keys: readonly string[]): Promise<Result<void, string>> {
  return new Promise((resolve) => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SSH_AUTH_SOCK: socket, SSH_ASKPASS_REQUIRE: 'never' };
    const child = spawn('ssh-add', ['-q', ...keys], { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (e) => resolve(err(`cannot run ssh-add: ${e.message}`)));
    child.once('close', (code) => {
      if (code === 0) return resolve(ok(undefined));
      // The first line that says something: not the '@@@' banner ssh-add puts above "Permissions 0644 ... are too open".
      const said = stderr.split('\n').find((l) => l.trim() !== '' && !l.startsWith('@'));
      const why = /passphrase/i.test(stderr) ? 'a key has a passphrase: add it to your ssh agent and name the agent instead' : said?.trim();
      resolve(err(`ssh-add ${keys.join(' ')} failed: ${why ?? `exit ${code ?? 'signal'}`}`));
    });
  });
}
