/**
 * Which Docker Engine to talk to, resolved as the docker CLI does, and how to connect to
 * it. Owns: the precedence `--host` > `DOCKER_HOST` > default socket
 * (`$HOME/.docker/run/docker.sock` when it exists, else `/var/run/docker.sock`), host
 * syntax (`unix://`, `tcp://`, `ssh://`, `npipe://`, bare `host:port` = tcp), and TLS from
 * DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH. The scheme alone decides the
 * transport: unlike docker-modem's defaults, neither port 2376 nor DOCKER_TLS_VERIFY ever
 * turns `ssh://` into https. Imports no dockerode: dockerode-engine.ts maps
 * ConnectionOptions onto the dockerode constructor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { EngineError, type Endpoint } from './engine.js';

export interface EndpointOptions {
  /** The `--host` / `-H` value, if given. */
  readonly host?: string;
  /** Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface TlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** DOCKER_TLS_VERIFY: check the daemon's certificate against `ca`. */
  readonly verify: boolean;
}

/** Everything needed to open a connection; exactly one of `socketPath` / `host` is set. */
export type ConnectionOptions =
  | { readonly transport: 'unix'; readonly socketPath: string }
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number; readonly tls?: TlsFiles }
  | { readonly transport: 'ssh'; readonly host: string; readonly port: number; readonly username: string; readonly agent?: string };

export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';

const nonEmpty = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/** The default socket: Docker Desktop's per-user socket when it exists, else the system one. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const user = join(nonEmpty(env['HOME']) ?? homedir(), '.docker', 'run', 'docker.sock');
  return existsSync(user) ? user : DEFAULT_UNIX_SOCKET;
}

/** `--host`, else DOCKER_HOST, else the default socket; never throws. */
export function resolveEndpoint(opts: EndpointOptions = {}): Endpoint {
  const env = opts.env ?? process.env;
  const flag = nonEmpty(opts.host);
  if (flag !== undefined) return { url: normalizeHost(flag, env), source: '--host' };
  const dockerHost = nonEmpty(env['DOCKER_HOST']);
  if (dockerHost !== undefined) return { url: normalizeHost(dockerHost, env), source: 'DOCKER_HOST' };
  return { url: `unix://${defaultSocketPath(env)}`, source: 'default' };
}

/** As the CLI's ParseHost: no scheme means tcp; `unix://` alone means the default socket. */
function normalizeHost(host: string, env: NodeJS.ProcessEnv): string {
  if (!host.includes('://')) return `tcp://${host}`;
  if (host === 'unix://') return `unix://${defaultSocketPath(env)}`;
  return host;
}

/** Parses the endpoint URL and loads TLS files; throws EngineError naming the problem. */
export function connectionOptions(endpoint: Endpoint, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const fail = (why: string): never => {
    throw new EngineError(`invalid Docker endpoint ${endpoint.url} (from ${endpoint.source}): ${why}`, endpoint);
  };
  const scheme = endpoint.url.slice(0, endpoint.url.indexOf('://'));
  const rest = endpoint.url.slice(scheme.length + 3);
  switch (scheme) {
    case 'unix':
    case 'npipe':
      if (rest === '') fail('no socket path');
      return { transport: 'unix', socketPath: rest };
    case 'tcp': {
      const u = parseUrl(endpoint.url, fail);
      if (u.pathname !== '' && u.pathname !== '/') fail('a path after host:port is not supported');
      const tls = tlsFiles(endpoint, env);
      const port = u.port === '' ? (tls ? 2376 : 2375) : Number(u.port);
      return tls ? { transport: 'tcp', host: bareHost(u.hostname), port, tls } : { transport: 'tcp', host: bareHost(u.hostname), port };
    }
    case 'ssh': {
      const u = parseUrl(endpoint.url, fail);
      if (u.pathname !== '' && u.pathname !== '/') fail('ssh:// hosts take no path');
      const username = decodeURIComponent(u.username) || nonEmpty(env['USER']) || userInfo().username;
      const agent = nonEmpty(env['SSH_AUTH_SOCK']);
      const base = { transport: 'ssh', host: bareHost(u.hostname), port: u.port === '' ? 22 : Number(u.port), username } as const;
      return agent === undefined ? base : { ...base, agent };
    }
    default:
      return fail('the scheme must be unix://, tcp://, ssh:// or npipe://');
  }
}

function parseUrl(url: string, fail: (why: string) => never): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail('not a valid URL');
  }
  if (u.hostname === '') fail('no host');
  return u;
}

const bareHost = (hostname: string): string => (hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname);

/**
 * TLS as the docker CLI sets it up: on when DOCKER_TLS_VERIFY or DOCKER_TLS is non-empty
 * (the CLI treats any non-empty value, even `0`, as set) or DOCKER_CERT_PATH is set;
 * certificates from DOCKER_CERT_PATH, else `~/.docker`. Verifying needs ca.pem, cert.pem
 * and key.pem; an explicit DOCKER_CERT_PATH needs at least cert.pem and key.pem.
 */
function tlsFiles(endpoint: Endpoint, env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const verify = nonEmpty(env['DOCKER_TLS_VERIFY']) !== undefined;
  const certPath = nonEmpty(env['DOCKER_CERT_PATH']);
  if (!verify && nonEmpty(env['DOCKER_TLS']) === undefined && certPath === undefined) return undefined;
  const dir = certPath ?? join(nonEmpty(env['HOME']) ?? homedir(), '.docker');
  const required = verify ? ['ca.pem', 'cert.pem', 'key.pem'] : certPath !== undefined ? ['cert.pem', 'key.pem'] : [];
  const missing = required.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    const why = verify ? 'DOCKER_TLS_VERIFY is set' : 'DOCKER_CERT_PATH is set';
    const where = certPath !== undefined ? `DOCKER_CERT_PATH=${dir}` : `${dir} (DOCKER_CERT_PATH is not set)`;
    throw new EngineError(
      `cannot use TLS for ${endpoint.url} (from ${endpoint.source}): ${why} but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing in ${where}`,
      endpoint,
    );
  }
  const read = (f: string): Buffer | undefined => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : undefined);
  const ca = verify ? read('ca.pem') : undefined;
  const cert = read('cert.pem');
  const key = read('key.pem');
  return { verify, ...(ca && { ca }), ...(cert && key && { cert, key }) };
}
