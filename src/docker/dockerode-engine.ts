/**
 * `createEngine()`, and the only module that imports dockerode. Owns the dockerode /
 * docker-modem client (one per engine, no idle timeout on any request, so long builds,
 * archives and exports never time out), API version negotiation on first use, and the
 * fast connect failure (< 2 s) whose message names the endpoint and where it came from.
 * Requests go through `modem.dial` with every HTTP status accepted, so status handling,
 * error messages and abort behaviour belong to http-engine.ts rather than docker-modem.
 */
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Docker from 'dockerode';
import { detectBuildkit, negotiateApiVersion } from './api-version.js';
import { errorMessage, rec, str } from './api-json.js';
import { connectionOptions, resolveEndpoint, type ConnectionOptions, type EndpointOptions } from './endpoint.js';
import { EngineError, type Endpoint, type Engine, type EngineInfo } from './engine.js';
import { HttpEngine } from './http-engine.js';
import { readText, type SendOptions, type Transport } from './transport.js';

/** How long the first request (`info()`, or any method's implicit negotiation) waits for an answer. */
export const CONNECT_TIMEOUT_MS = 1500;
/** ssh needs a handshake and a remote `docker system dial-stdio` first. */
export const SSH_CONNECT_TIMEOUT_MS = 10_000;

const ANY_STATUS: Record<number, true> = {};
for (let s = 100; s < 600; s++) ANY_STATUS[s] = true;

/** An Engine for `--host`, else DOCKER_HOST, else the default socket. Never throws; problems surface from its methods. */
export function createEngine(opts: EndpointOptions = {}): Engine {
  const env = opts.env ?? process.env;
  return new HttpEngine(new DockerodeTransport(resolveEndpoint({ ...opts, env }), env));
}

/** dockerode constructor options for a connection, every key explicit (see `newClient`). */
export function dockerodeOptions(conn: ConnectionOptions): Docker.DockerOptions & { agent?: HttpsAgent } {
  const none = { socketPath: undefined, host: undefined, port: undefined, ca: undefined, cert: undefined, key: undefined, timeout: undefined, version: undefined };
  switch (conn.transport) {
    case 'unix':
      return { ...none, socketPath: conn.socketPath, protocol: 'http' };
    case 'ssh':
      return { ...none, host: conn.host, port: conn.port, protocol: 'ssh', username: conn.username, sshOptions: conn.agent === undefined ? {} : { agent: conn.agent } };
    case 'tcp': {
      if (conn.tls === undefined) return { ...none, host: conn.host, port: conn.port, protocol: 'http' };
      const { ca, cert, key, verify } = conn.tls;
      // Without DOCKER_TLS_VERIFY the CLI encrypts but does not check the daemon's certificate.
      return { ...none, host: conn.host, port: conn.port, protocol: 'https', ca, cert, key, ...(verify ? {} : { agent: new HttpsAgent({ rejectUnauthorized: false }) }) };
    }
  }
}

/**
 * docker-modem merges defaults from `process.env` under the options it is given: with
 * DOCKER_HOST set it picks https for port 2376 or DOCKER_TLS_VERIFY=1 (even for ssh://)
 * and reads DOCKER_CERT_PATH's files, throwing when they are missing. Hide DOCKER_HOST
 * during the synchronous constructor so only the endpoint resolved by endpoint.ts counts.
 */
function newClient(options: Docker.DockerOptions): Docker {
  const saved = process.env['DOCKER_HOST'];
  delete process.env['DOCKER_HOST'];
  try {
    return new Docker(options);
  } finally {
    if (saved !== undefined) process.env['DOCKER_HOST'] = saved;
  }
}

class DockerodeTransport implements Transport {
  private client: Docker | undefined;
  private negotiated: Promise<EngineInfo> | undefined;

  constructor(
    readonly endpoint: Endpoint,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private get from(): string {
    return this.endpoint.source === 'default' ? 'the default endpoint' : `from ${this.endpoint.source}`;
  }

  private get connectTimeoutMs(): number {
    return this.endpoint.url.startsWith('ssh://') ? SSH_CONNECT_TIMEOUT_MS : CONNECT_TIMEOUT_MS;
  }

  private docker(): Docker {
    this.client ??= newClient(dockerodeOptions(connectionOptions(this.endpoint, this.env)));
    return this.client;
  }

  async send(method: string, path: string, o: SendOptions = {}): Promise<IncomingMessage> {
    const docker = this.docker();
    return new Promise((resolve, reject) => {
      docker.modem.dial(
        {
          path: `${path}?`,
          method,
          // `_body: {}` sends no body at all (docker-modem skips an empty object).
          options: { _query: { ...o.query }, _body: o.body ?? {} },
          ...(o.file && { file: o.file }),
          ...(o.headers && { headers: { ...o.headers } }),
          ...(o.signal && { abortSignal: o.signal }),
          isStream: true,
          statusCodes: ANY_STATUS,
        },
        (err, res) => {
          if (!err) return resolve(res as IncomingMessage);
          const reason: unknown = o.signal?.reason;
          const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
          if (o.signal?.aborted && !timedOut) return reject(reason);
          reject(this.connectError(timedOut ? `no answer within ${this.connectTimeoutMs} ms` : err.message));
        },
      );
    });
  }

  private connectError(why: string): EngineError {
    return new EngineError(`cannot connect to the Docker engine at ${this.endpoint.url} (${this.from}): ${why}`, this.endpoint);
  }

  ready(signal?: AbortSignal): Promise<EngineInfo> {
    this.negotiated ??= this.negotiate().catch((e: unknown) => {
      this.negotiated = undefined;
      throw e;
    });
    if (!signal) return this.negotiated;
    const negotiated = this.negotiated;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      negotiated.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Unversioned `GET /_ping` (headers) and `GET /version` (body), then every later request uses `/v<version>`. */
  private async negotiate(): Promise<EngineInfo> {
    const signal = AbortSignal.timeout(this.connectTimeoutMs);
    const [ping, version] = await Promise.all([this.send('GET', '/_ping', { signal }), this.send('GET', '/version', { signal })]);
    const [, body] = await Promise.all([readText(ping), readText(version)]);
    if (version.statusCode !== 200) throw this.connectError(`GET /version answered HTTP ${version.statusCode}: ${errorMessage(body)}`);
    let v: Record<string, unknown>;
    try {
      v = rec(JSON.parse(body));
    } catch {
      throw this.connectError('GET /version did not answer JSON; is this a Docker engine?');
    }
    const header = (name: string): string | undefined => {
      const h = ping.headers[name];
      return typeof h === 'string' && h !== '' ? h : undefined;
    };
    const minApi = str(v['MinAPIVersion']);
    const chosen = negotiateApiVersion(
      { apiVersion: header('api-version') ?? str(v['ApiVersion']), ...(minApi !== '' && { minApiVersion: minApi }) },
      this.env['DOCKER_API_VERSION'],
    );
    if (!chosen.ok) throw new EngineError(`cannot use the Docker engine at ${this.endpoint.url} (${this.from}): ${chosen.message}`, this.endpoint);
    // docker-modem prefixes every later path with `/${version}`; its typings omit the field.
    (this.docker().modem as unknown as { version?: string }).version = `v${chosen.version}`;
    const os = str(v['Os']) || (header('ostype') ?? '');
    return {
      serverVersion: str(v['Version']),
      apiVersion: chosen.version,
      os,
      arch: str(v['Arch']),
      buildkit: detectBuildkit(chosen.version, header('builder-version'), os),
    };
  }
}
