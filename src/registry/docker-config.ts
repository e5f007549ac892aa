/**
 * The docker CLI's config.json, for its credentials (docker/cli `cli/config/config.go`,
 * `configfile/file.go`): `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; `auths`
 * maps a server to `{auth: base64("user:password"), identitytoken, registrytoken}`, `credsStore`
 * names the default helper, `credHelpers` a helper per server. Keys match without regard to
 * case, as Go's encoding/json matches them. A missing file holds no credentials; a file that
 * cannot be read or parsed is an error that names the file, never what it holds.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../core/result.js';

/** Credentials written in the file for one server. */
export interface FileAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
}

export interface DockerConfig {
  readonly file: string;
  /** Server (as written: `host[:port]`, `https://index.docker.io/v1/`, ...) → its credentials. */
  readonly auths: ReadonlyMap<string, FileAuth>;
  readonly credsStore?: string;
  readonly credHelpers: ReadonlyMap<string, string>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. */
export function configFilePath(env: Env): string {
  const dir = env['DOCKER_CONFIG'] || join(env['HOME']?.trim() || homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Reads and checks the config file of `env`. */
export function readDockerConfig(env: Env): Result<DockerConfig, string> {
  const file = configFilePath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return ok({ file, auths: new Map(), credHelpers: new Map() });
    return err(`cannot read ${file} (${code ?? 'unknown error'})`);
  }
  return parseDockerConfig(file, text);
}

/** The credentials part of a config.json's text; errors name `file` and the key, never a value. */
export function parseDockerConfig(file: string, text: string): Result<DockerConfig, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return err(`${file} is not valid JSON`);
  }
  if (!isObject(json)) return err(`${file} does not hold a JSON object`);
  const bad = (what: string) => err(`${file}: ${what}`);
  const auths = field(json, 'auths') ?? {};
  if (!isObject(auths)) return bad('"auths" is not an object');
  const parsed = new Map<string, FileAuth>();
  for (const [server, entry] of Object.entries(auths)) {
    const one = fileAuth(entry);
    if (!one.ok) return bad(`auths["${server}"]: ${one.error}`);
    parsed.set(server, one.value);
  }
  const credsStore = field(json, 'credsStore') ?? '';
  if (typeof credsStore !== 'string') return bad('"credsStore" is not a string');
  const helpers = field(json, 'credHelpers') ?? {};
  if (!isObject(helpers) || !Object.values(helpers).every((h) => typeof h === 'string')) return bad('"credHelpers" is not an object of strings');
  return ok({ file, auths: parsed, credHelpers: new Map(Object.entries(helpers as Record<string, string>)), ...(credsStore ? { credsStore } : {}) });
}

/** One `auths` entry: `auth` (base64 of `user:password`, split at the first `:`) wins over `username`/`password`. */
function fileAuth(entry: unknown): Result<FileAuth, string> {
  if (!isObject(entry)) return err('is not an object');
  const strings: Record<string, string> = {};
  for (const name of ['auth', 'username', 'password', 'identitytoken', 'registrytoken']) {
    const value = field(entry, name);
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') return err(`"${name}" is not a string`);
    strings[name] = value;
  }
  const { auth, ...rest } = strings;
  if (auth === undefined) return ok(rest);
  const decoded = decodeAuth(auth);
  return decoded.ok ? ok({ ...rest, ...decoded.value }) : decoded;
}

/** base64 of `user:password` (docker/cli configfile decodeAuth). */
function decodeAuth(auth: string): Result<{ username: string; password: string }, string> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) return err('"auth" is not base64');
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) return err('"auth" is not base64 of "user:password"');
  return ok({ username: text.slice(0, colon), password: text.slice(colon + 1).replace(/\0+$/, '') });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `o[name]`, matching the key without regard to case (an exact match first), as Go's encoding/json does. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const key = Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : o[key];
}
