/**
 * Docker credential helpers (docker-credential-helpers `client/client.go`): `docker-credential-<suffix> <verb>`
 * is run without a shell, found on the PATH of the environment given; the input (a server URL for
 * `get`) goes to its stdin, its answer is JSON on stdout. A failing helper exits non-zero with its
 * message on stdout; exactly `credentials not found in native keychain` means "no credentials".
 * A helper that does not answer within the timeout is killed.
 */
import { spawn } from 'node:child_process';
import { err, ok, type Result } from '../core/result.js';

export const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
export const DEFAULT_HELPER_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 1 << 20;
const MAX_MESSAGE = 300;

export interface HelperOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeoutMs: number;
}

/** The program of a helper suffix; a suffix that could name another path is refused. */
export const helperProgram = (suffix: string): Result<string, string> =>
  /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(suffix) ? ok(`docker-credential-${suffix}`) : err(`"${suffix}" is not a credential helper name`);

/** The helpers running now, each as what stops it: its process group killed, its answer `stopped`. */
const running = new Set<() => void>();
let stopsAtExit = false;

/**
 * Stops every helper still running and ends its wait at once. A helper leads its own process
 * group, so a Ctrl-C at the terminal never reaches it: the CLI calls this when it is interrupted,
 * and the process calls it as it exits, so a helper that hangs is neither waited for nor left.
 */
export function stopHelpers(): void {
  for (const stop of [...running]) stop();
}

/** Runs `docker-credential-<suffix> <verb>` with `input` on stdin: its stdout, or why it failed (its own message, shortened). */
export function runHelper(suffix: string, verb: 'get' | 'list', input: string, opts: HelperOptions): Promise<Result<string, string>> {
  const program = helperProgram(suffix);
  if (!program.ok) return Promise.resolve(program);
  const name = program.value;
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined));
    // Its own process group, so that a helper that hangs goes with everything it started.
    const child = spawn(name, [verb], { env, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    const out: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Result<string, string>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      running.delete(stop);
      child.stdout.destroy();
      resolve(r);
    };
    const stop = () => {
      killGroup(child.pid);
      finish(err(`${name} ${verb} was stopped`));
    };
    running.add(stop);
    if (!stopsAtExit) {
      stopsAtExit = true;
      process.once('exit', stopHelpers);
    }
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish(err(`${name} ${verb} did not answer within ${opts.timeoutMs / 1000} s`));
    }, opts.timeoutMs);
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(err(e.code === 'ENOENT' ? `${name} is not on PATH` : `${name} could not be run (${e.code ?? e.message})`));
    });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT) out.push(chunk);
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) return finish(size > MAX_OUTPUT ? err(`${name} ${verb} answered more than ${MAX_OUTPUT} bytes`) : ok(stdout));
      // Its stdout, as the docker CLI shows it; never its stderr, where a helper may say anything.
      const said = shorten(stdout.trim());
      finish(err(said !== '' ? said : `${name} ${verb} failed (${signal ?? `exit ${String(code)}`})`));
    });
    child.stdin.on('error', () => undefined); // a helper that exits without reading its input
    child.stdin.end(input);
  });
}

/** Kills a helper's process group (it leads one: spawned detached). */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const shorten = (text: string): string => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text);

/** A helper's answer to `get`. */
export interface HelperCredentials {
  readonly username: string;
  readonly secret: string;
}

/** `docker-credential-<suffix> get` for `serverUrl`: its credentials, undefined when it has none, or an error. */
export async function helperGet(suffix: string, serverUrl: string, opts: HelperOptions): Promise<Result<HelperCredentials | undefined, string>> {
  const run = await runHelper(suffix, 'get', serverUrl, opts);
  if (!run.ok) return run.error === NOT_FOUND_MESSAGE ? ok(undefined) : err(`docker-credential-${suffix} get ${serverUrl}: ${run.error}`);
  const answer = parseJsonObject(run.value);
  const username = answer?.['Username'];
  const secret = answer?.['Secret'];
  if (typeof username !== 'string' || typeof secret !== 'string')
    return err(`docker-credential-${suffix} get ${serverUrl}: its answer is not {"Username", "Secret"} JSON`);
  return ok(username === '' && secret === '' ? undefined : { username, secret });
}

/** `docker-credential-<suffix> list`: the server URLs it holds credentials for. */
export async function helperList(suffix: string, opts: HelperOptions): Promise<Result<string[], string>> {
  const run = await runHelper(suffix, 'list', '', opts);
  if (!run.ok) return err(`docker-credential-${suffix} list: ${run.error}`);
  const answer = parseJsonObject(run.value);
  if (answer === undefined) return err(`docker-credential-${suffix} list: its answer is not a JSON object`);
  return ok(Object.keys(answer).sort());
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
