/**
 * A build secret's value, read where it comes from: an environment variable, or a regular
 * file (a symlink to one is followed) of at most MAX_SECRET_BYTES, BuildKit's and the docker
 * CLI's cap. Every error names the variable or the path, never a byte of the value.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { err, ok, type Result } from './result.js';

/** Where a secret's value comes from (config/types.ts re-exports it). `path` is absolute. */
export type SecretSource = { readonly kind: 'env'; readonly name: string } | { readonly kind: 'file'; readonly path: string };

/** 500 KiB: the largest secret BuildKit's session accepts (and the docker CLI's `--secret`). */
export const MAX_SECRET_BYTES = 500 * 1024;

/** How a source is named in messages: `environment variable NPM_TOKEN`, `file /x/netrc`. */
export const secretSourceText = (source: SecretSource): string => (source.kind === 'env' ? `environment variable ${source.name}` : `file ${source.path}`);

/**
 * The value, synchronously. `env`: the environment `{env: VAR}` reads (for a loaded build
 * file, `BuildFile.environment`: the process environment over the env files).
 */
export function readSecretValue(source: SecretSource, env: Readonly<Record<string, string | undefined>>): Result<Buffer, string> {
  if (source.kind === 'env') {
    const value = Object.hasOwn(env, source.name) ? env[source.name] : undefined;
    if (typeof value !== 'string') return err(`environment variable ${source.name} is not set`);
    const bytes = Buffer.from(value, 'utf8');
    return bytes.length > MAX_SECRET_BYTES
      ? err(`environment variable ${source.name} is too large (${bytes.length} bytes; the limit is ${MAX_SECRET_BYTES})`)
      : ok(bytes);
  }
  return readSecretFile(source.path);
}

/** What is wrong with the file at `path` as a secret, without reading it; undefined when it can be read. */
export function secretFileProblem(path: string): string | undefined {
  const opened = openFile(path);
  if (!opened.ok) return opened.error;
  closeSync(opened.value.fd);
  return undefined;
}

function readSecretFile(path: string): Result<Buffer, string> {
  const opened = openFile(path);
  if (!opened.ok) return opened;
  const { fd, size } = opened.value;
  try {
    // One byte more than the cap: a file that grew since fstat is still refused.
    const buffer = Buffer.alloc(Math.min(size, MAX_SECRET_BYTES) + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_SECRET_BYTES) return err(tooLarge(path, length));
    return ok(buffer.subarray(0, length));
  } catch (e) {
    return err(`cannot read secret file ${path}: ${codeOf(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** Opened without blocking (a FIFO would wait for a writer), checked to be a regular file within the cap. */
function openFile(path: string): Result<{ fd: number; size: number }, string> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return err(`secret file ${path} does not exist`);
    if (code === 'EISDIR') return err(`secret file ${path} is a folder; a secret must be a regular file`);
    return err(`cannot read secret file ${path}: ${codeOf(e)}`);
  }
  const info = fstatSync(fd);
  const problem = info.isDirectory()
    ? `secret file ${path} is a folder; a secret must be a regular file`
    : !info.isFile()
      ? `secret file ${path} is not a regular file (a device, a FIFO or a socket)`
      : info.size > MAX_SECRET_BYTES
        ? tooLarge(path, info.size)
        : undefined;
  if (problem === undefined) return ok({ fd, size: info.size });
  closeSync(fd);
  return err(problem);
}

const tooLarge = (path: string, size: number): string => `secret file ${path} is too large (${size} bytes; the limit is ${MAX_SECRET_BYTES}, 500 KiB)`;

/** An errno code (`EACCES`), or the error's message: node's messages name the path, never the content. */
const codeOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
