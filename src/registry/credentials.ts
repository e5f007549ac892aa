/**
 * Registry credentials found the way the docker CLI finds them (docker/cli `configfile/file.go`
 * GetCredentialsStore, `credentials/file_store.go`, `native_store.go`): the helper
 * `credHelpers[server]`, else `credsStore`, else the `auths` of config.json (the exact key, else a
 * key whose host is the server). Docker Hub's key is `https://index.docker.io/v1/`. A helper's
 * answer is asked once per server and kept. Also the Engine API's encodings of them:
 * `X-Registry-Auth` and `X-Registry-Config` (base64url of JSON, padded, as Go's URLEncoding).
 */
import { err, ok, type Result } from '../core/result.js';
import { readDockerConfig, type DockerConfig, type FileAuth } from './docker-config.js';
import { DEFAULT_HELPER_TIMEOUT_MS, helperGet, helperList, type HelperOptions } from './helpers.js';
import { DOCKER_HUB } from './reference.js';

export interface AuthConfig {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
  readonly serveraddress: string;
}

export interface Credentials {
  /** The credentials for a registry (`host[:port]`, `docker.io`); undefined when there are none. */
  get(registry: string): Promise<Result<AuthConfig | undefined, string>>;
  /** Every registry the config knows, for X-Registry-Config. */
  all(): Promise<Result<Record<string, AuthConfig>, string>>;
}

/** The key Docker Hub's credentials are stored under. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HUB_NAMES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io', DOCKER_HUB_KEY]);

/** The config key of a registry: Docker Hub's is its old index URL; any other is `host[:port]`. */
export const credentialKey = (registry: string): string => (HUB_NAMES.has(registry) ? DOCKER_HUB_KEY : registry);

/** `host[:port]` of a config key written as a URL (`https://host:port/v2/` → `host:port`), as docker's ConvertToHostname. */
export const keyHost = (key: string): string => key.replace(/^https?:\/\//, '').split('/')[0]!;

type Env = Readonly<Record<string, string | undefined>>;

/** The credentials of the docker CLI config that `env` names; a missing file means none, a bad one an error naming it. */
export async function loadCredentials(env: Env, opts: { helperTimeoutMs?: number } = {}): Promise<Result<Credentials, string>> {
  const config = readDockerConfig(env);
  if (!config.ok) return config;
  return ok(new ConfigCredentials(config.value, { env, timeoutMs: opts.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS }));
}

class ConfigCredentials implements Credentials {
  private readonly asked = new Map<string, Promise<Result<AuthConfig | undefined, string>>>();

  constructor(
    private readonly config: DockerConfig,
    private readonly helper: HelperOptions,
  ) {}

  get(registry: string): Promise<Result<AuthConfig | undefined, string>> {
    const key = credentialKey(registry);
    let answer = this.asked.get(key);
    if (answer === undefined) {
      answer = this.lookUp(key);
      this.asked.set(key, answer);
    }
    return answer;
  }

  async all(): Promise<Result<Record<string, AuthConfig>, string>> {
    const keys = new Set<string>();
    if (this.config.credsStore === undefined) for (const key of this.config.auths.keys()) keys.add(key);
    else {
      const listed = await helperList(this.config.credsStore, this.helper);
      if (!listed.ok) return listed;
      for (const key of listed.value) keys.add(key);
    }
    for (const key of this.config.credHelpers.keys()) keys.add(key);
    const out: Record<string, AuthConfig> = {};
    for (const key of [...keys].sort()) {
      const auth = this.config.credsStore === undefined && !this.config.credHelpers.has(key) ? this.fromFile(key) : await this.get(key);
      if (!auth.ok) return auth;
      if (auth.value !== undefined) out[key] = auth.value;
    }
    return ok(out);
  }

  private async lookUp(key: string): Promise<Result<AuthConfig | undefined, string>> {
    const suffix = this.config.credHelpers.get(key) ?? this.config.credsStore;
    if (suffix === undefined) return this.fromFile(key);
    const got = await helperGet(suffix, key, this.helper);
    if (!got.ok) return err(`${got.error} (${this.config.credHelpers.has(key) ? 'credHelpers' : 'credsStore'} in ${this.config.file})`);
    if (got.value === undefined) return ok(undefined);
    const { username, secret } = got.value;
    return ok(username === '<token>' ? { identitytoken: secret, serveraddress: key } : { username, password: secret, serveraddress: key });
  }

  private fromFile(key: string): Result<AuthConfig | undefined, string> {
    const auths = this.config.auths;
    const entry = auths.get(key) ?? [...auths.keys()].sort().flatMap((k) => (keyHost(k) === key ? [auths.get(k)!] : []))[0];
    return ok(entry === undefined || isEmpty(entry) ? undefined : { ...entry, serveraddress: key });
  }
}

const isEmpty = (a: FileAuth): boolean => !a.username && !a.password && !a.identitytoken && !a.registrytoken;

/** Go's base64.URLEncoding (RFC 4648 §5, padded) of `text`. */
export const base64Url = (text: string): string => Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

/** The JSON fields of an AuthConfig the engine reads, in a fixed order, without empty ones. */
function authJson(auth: AuthConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['username', 'password', 'identitytoken', 'registrytoken', 'serveraddress'] as const) {
    const value = auth[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** `X-Registry-Auth` for a push or pull: anonymous is `e30=` (`{}`), which the engine requires rather than no header. */
export const authHeader = (auth: AuthConfig | undefined): string => base64Url(JSON.stringify(auth === undefined ? {} : authJson(auth)));

/** `X-Registry-Config` for a classic build: every registry → its AuthConfig. */
export const registryConfigHeader = (auths: Record<string, AuthConfig>): string =>
  base64Url(JSON.stringify(Object.fromEntries(Object.entries(auths).map(([key, auth]) => [key, authJson(auth)]))));
