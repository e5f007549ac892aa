/**
 * Docker contexts, read as the docker CLI reads them (cli/command/cli.go resolveContextName,
 * cli/config Dir(), cli/context/store): the CLI's config folder is DOCKER_CONFIG, else
 * `~/.docker`; DOCKER_CONTEXT, else `currentContext` in its config.json, names the context
 * (the name `default` meaning the default endpoint); a context's metadata is
 * `contexts/meta/<sha256(name)>/meta.json` (`{"Endpoints": {"docker": {"Host", "SkipTLSVerify"}}}`),
 * its TLS material `contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem`. Field names match
 * without regard to case, as Go's encoding/json matches them. A config.json that cannot be
 * read is a warning and no context, as in the docker CLI; a context that cannot be read is an
 * error. `--host` and DOCKER_HOST come first: endpoint.ts decides that.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { err, messageOf, ok, type Result } from '../core/result.js';

export const DEFAULT_CONTEXT = 'default';

/** $HOME, else the account's home folder. */
export const homeDir = (env: NodeJS.ProcessEnv): string => (env['HOME']?.trim() ? env['HOME'].trim() : homedir());

/** DOCKER_CONFIG, else `~/.docker`. */
export const dockerConfigDir = (env: NodeJS.ProcessEnv): string => env['DOCKER_CONFIG'] || join(homeDir(env), '.docker');

/** A context name and what named it (for `currentContext`, `configFile`: the config.json that holds it). */
export type ContextChoice =
  | { readonly name: string; readonly source: 'DOCKER_CONTEXT'; readonly configFile?: undefined }
  | { readonly name: string; readonly source: 'currentContext'; readonly configFile: string };

/** The context DOCKER_CONTEXT names, else config.json's `currentContext`; none, with a warning when config.json cannot be used. */
export function chosenContext(env: NodeJS.ProcessEnv): { readonly choice?: ContextChoice; readonly warning?: string } {
  const named = env['DOCKER_CONTEXT'];
  if (named) return { choice: { name: named, source: 'DOCKER_CONTEXT' } };
  const configFile = join(dockerConfigDir(env), 'config.json');
  const read = readJson(configFile);
  const ignored = (why: string) => ({ warning: `ignoring ${configFile}, as the docker CLI does: ${why}` });
  if (!read.ok) return read.error === 'missing' ? {} : ignored(read.error);
  const current = field(read.value, 'currentContext');
  if (current !== undefined && typeof current !== 'string') return ignored('currentContext is not a string');
  return current ? { choice: { name: current, source: 'currentContext', configFile } } : {};
}

/** Says which variable or file named the context, for messages. */
export const namedBy = (c: ContextChoice): string => (c.source === 'DOCKER_CONTEXT' ? 'DOCKER_CONTEXT' : `currentContext in ${c.configFile}`);

/** A context's docker endpoint. */
export interface DockerContext {
  /** `Endpoints.docker.Host`; empty means the default socket. */
  readonly host: string;
  readonly tls: ContextTls;
}

/** TLS material for a tcp endpoint, from a context or from DOCKER_CERT_PATH (endpoint.ts). */
export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Check the daemon's certificate (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify): against `ca`, else the system's roots. */
  readonly verify: boolean;
}

/** Where a context's TLS material is, and its `SkipTLSVerify`. */
export interface ContextTls {
  readonly dir: string;
  readonly skipVerify: boolean;
}

/** Reads the context `name` of the store under `configDir`; the error says what is wrong, for "docker context "x" ..." */
export function readContext(configDir: string, name: string): Result<DockerContext, string> {
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const read = readJson(metaFile);
  if (!read.ok)
    return err(read.error === 'missing' ? `does not exist (no ${metaFile}; \`docker context ls\` lists the contexts)` : `cannot be read: ${read.error}`);
  const endpoints = field(read.value, 'Endpoints');
  const docker = isObject(endpoints) ? endpoints['docker'] : undefined;
  if (!isObject(docker)) return err(`has no docker endpoint (${metaFile})`);
  const host = field(docker, 'Host') ?? '';
  const skipVerify = field(docker, 'SkipTLSVerify') ?? false;
  if (typeof host !== 'string' || typeof skipVerify !== 'boolean') return err(`has an invalid docker endpoint (${metaFile})`);
  return ok({ host, tls: { dir: join(configDir, 'contexts', 'tls', id, 'docker'), skipVerify } });
}

/**
 * TLS for a context's tcp endpoint, as the docker CLI sets it up: on when the context has a
 * TLS folder for its docker endpoint (whichever of ca.pem, cert.pem and key.pem it holds) or
 * SkipTLSVerify; the server's certificate checked unless SkipTLSVerify (against ca.pem, else
 * the system's roots). The environment's DOCKER_TLS_VERIFY and DOCKER_CERT_PATH do not apply.
 */
export function contextTlsFiles(tls: ContextTls): Result<TlsFiles | undefined, string> {
  let names: string[];
  try {
    names = readdirSync(tls.dir);
  } catch (e) {
    if (code(e) !== 'ENOENT' && code(e) !== 'ENOTDIR') return err(`cannot read ${tls.dir}: ${messageOf(e)}`);
    return ok(tls.skipVerify ? { verify: false } : undefined);
  }
  const files: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [f, key] of [
    ['ca.pem', 'ca'],
    ['cert.pem', 'cert'],
    ['key.pem', 'key'],
  ] as const) {
    if (!names.includes(f)) continue;
    try {
      files[key] = readFileSync(join(tls.dir, f));
    } catch (e) {
      return err(`cannot read ${join(tls.dir, f)}: ${messageOf(e)}`);
    }
  }
  const { ca, cert, key } = files;
  return ok({ verify: !tls.skipVerify, ...(ca && { ca }), ...(cert && key && { cert, key }) });
}

/** A JSON file's value; `missing` when it does not exist; empty means null, as for Go's decoder. */
function readJson(path: string): Result<unknown, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return err(code(e) === 'ENOENT' || code(e) === 'ENOTDIR' ? 'missing' : messageOf(e));
  }
  try {
    const value: unknown = text.trim() === '' ? null : JSON.parse(text);
    return value === null || isObject(value) ? ok(value) : err(`${path}: not a JSON object`);
  } catch (e) {
    return err(`${path}: ${messageOf(e)}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field as Go's encoding/json finds it: the exact name, else the first that matches without regard to case. */
function field(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

const code = (e: unknown): unknown => (e as NodeJS.ErrnoException | undefined)?.code;
