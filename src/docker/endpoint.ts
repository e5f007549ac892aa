/**
 * Which Docker Engine to talk to, resolved as the docker CLI does, and how to connect to
 * it. Owns: the precedence `--host` > `DOCKER_HOST` > the docker context named by
 * DOCKER_CONTEXT > the `currentContext` of the CLI's config.json (docker-context.ts reads
 * both) > the default socket (`$HOME/.docker/run/docker.sock` when it exists, else
 * `/var/run/docker.sock`); host syntax (`unix://`, `tcp://`, `ssh://`, `npipe://`, bare
 * `host:port` = tcp), and TLS: from DOCKER_TLS_VERIFY / DOCKER_TLS / DOCKER_CERT_PATH, or
 * from the context's own store for a context's endpoint. The scheme alone decides the
 * transport: unlike docker-modem's defaults, neither port 2376 nor DOCKER_TLS_VERIFY ever
 * turns `ssh://` into https. Imports no dockerode: dockerode-engine.ts maps
 * ConnectionOptions onto the dockerode constructor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { err, ok, type Result } from '../core/result.js';
import {
  chosenContext,
  contextTlsFiles,
  DEFAULT_CONTEXT,
  dockerConfigDir,
  homeDir,
  namedBy,
  readContext,
  type ContextChoice,
  type ContextTls,
  type TlsFiles,
} from './docker-context.js';
import { EngineError, endpointOrigin, type Endpoint } from './engine.js';

export interface EndpointOptions {
  /** The `--host` / `-H` value, if given. */
  readonly host?: string;
  /** Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
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
  const user = join(homeDir(env), '.docker', 'run', 'docker.sock');
  return existsSync(user) ? user : DEFAULT_UNIX_SOCKET;
}

/** An endpoint as resolved: a context's carries where its TLS material is. */
export interface ResolvedEndpoint extends Endpoint {
  readonly contextTls?: ContextTls;
  /** Something the user should know (a config.json the docker CLI would ignore too). */
  readonly warning?: string;
}

/**
 * `--host`, else DOCKER_HOST, else the context DOCKER_CONTEXT or `currentContext` names,
 * else the default socket. The error (a context that does not exist or cannot be read)
 * names the context and what named it.
 */
export function resolveEndpoint(opts: EndpointOptions = {}): Result<ResolvedEndpoint, string> {
  const env = opts.env ?? process.env;
  const flag = nonEmpty(opts.host);
  if (flag !== undefined) return ok(overriding({ url: normalizeHost(flag, env), source: '--host' }, env));
  // As the CLI's resolveContextName: any non-empty DOCKER_HOST means the default context.
  const dockerHost = env['DOCKER_HOST'] ?? '';
  if (dockerHost !== '') {
    const host = nonEmpty(dockerHost);
    return ok(overriding(host === undefined ? defaultEndpoint(env) : { url: normalizeHost(host, env), source: 'DOCKER_HOST' }, env));
  }
  const { choice, warning } = chosenContext(env);
  if (choice === undefined) return ok({ ...defaultEndpoint(env), ...(warning !== undefined && { warning }) });
  return contextEndpoint(choice, env);
}

const defaultEndpoint = (env: NodeJS.ProcessEnv): ResolvedEndpoint => ({ url: `unix://${defaultSocketPath(env)}`, source: 'default' });

/** The endpoint of a named context; `default` is the default endpoint (with the environment's TLS settings). */
function contextEndpoint(choice: ContextChoice, env: NodeJS.ProcessEnv): Result<ResolvedEndpoint, string> {
  const named = { source: choice.source, context: choice.name, ...(choice.configFile !== undefined && { configFile: choice.configFile }) };
  if (choice.name === DEFAULT_CONTEXT) return ok({ ...defaultEndpoint(env), ...named });
  const context = readContext(dockerConfigDir(env), choice.name);
  if (!context.ok) return err(`docker context "${choice.name}" (named by ${namedBy(choice)}) ${context.error}`);
  const host = nonEmpty(context.value.host);
  return ok({ url: host === undefined ? defaultEndpoint(env).url : normalizeHost(host, env), ...named, contextTls: context.value.tls });
}

/** Notes the context that `--host` or DOCKER_HOST takes precedence over, if any. */
function overriding(endpoint: ResolvedEndpoint, env: NodeJS.ProcessEnv): ResolvedEndpoint {
  const { choice } = chosenContext(env);
  if (choice === undefined || choice.name === DEFAULT_CONTEXT) return endpoint;
  return { ...endpoint, overrides: `docker context "${choice.name}", named by ${namedBy(choice)}` };
}

/** As the CLI's ParseHost: no scheme means tcp; `unix://` alone means the default socket. */
function normalizeHost(host: string, env: NodeJS.ProcessEnv): string {
  if (!host.includes('://')) return `tcp://${host}`;
  if (host === 'unix://') return `unix://${defaultSocketPath(env)}`;
  return host;
}

/** Parses the endpoint URL and loads TLS files; throws EngineError naming the problem. */
export function connectionOptions(endpoint: ResolvedEndpoint, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const fail = (why: string): never => {
    throw new EngineError(`invalid Docker endpoint ${endpoint.url} (${endpointOrigin(endpoint)}): ${why}`, endpoint);
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
      const tls = endpoint.contextTls === undefined ? tlsFiles(endpoint, env) : contextTls(endpoint, endpoint.contextTls);
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
  const dir = certPath ?? join(homeDir(env), '.docker');
  const required = verify ? ['ca.pem', 'cert.pem', 'key.pem'] : certPath !== undefined ? ['cert.pem', 'key.pem'] : [];
  const missing = required.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    const why = verify ? 'DOCKER_TLS_VERIFY is set' : 'DOCKER_CERT_PATH is set';
    const where = certPath !== undefined ? `DOCKER_CERT_PATH=${dir}` : `${dir} (DOCKER_CERT_PATH is not set)`;
    throw new EngineError(
      `cannot use TLS for ${endpoint.url} (${endpointOrigin(endpoint)}): ${why} but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing in ${where}`,
      endpoint,
    );
  }
  const read = (f: string): Buffer | undefined => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : undefined);
  const ca = verify ? read('ca.pem') : undefined;
  const cert = read('cert.pem');
  const key = read('key.pem');
  return { verify, ...(ca && { ca }), ...(cert && key && { cert, key }) };
}

function contextTls(endpoint: Endpoint, tls: ContextTls): TlsFiles | undefined {
  const files = contextTlsFiles(tls);
  if (!files.ok) throw new EngineError(`cannot use TLS for ${endpoint.url} (${endpointOrigin(endpoint)}): ${files.error}`, endpoint);
  return files.value;
}
