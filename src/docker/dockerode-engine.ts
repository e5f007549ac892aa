/**
 * The Transport for ssh endpoints, and the only module that imports dockerode (lazily, on
 * the first request: loading it costs 167 ms). Owns the dockerode / docker-modem client
 * (one per engine, no idle timeout on any request, so long builds, archives and exports
 * never time out). Requests go through `modem.dial` with every HTTP status accepted, so
 * status handling, error messages and abort behaviour belong to http-engine.ts.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Agent } from 'node:https';
import type Docker from 'dockerode';
import type { ConnectionOptions } from './endpoint.js';
import type { Endpoint, EngineInfo } from './engine.js';
import { connectError, connectTimeoutMs, negotiate, Negotiation } from './negotiate.js';
import type { Duplex } from 'node:stream';
import { errorMessage } from './api-json.js';
import { EngineError } from './engine.js';
import { readText, UPGRADE_TIMEOUT_MS, upgradeHeaders, type SendOptions, type Transport, type UpgradeOptions } from './transport.js';

const ANY_STATUS: Record<number, true> = {};
for (let s = 100; s < 600; s++) ANY_STATUS[s] = true;

/** dockerode constructor options for a connection, every key explicit (see `newClient`). */
export function dockerodeOptions(conn: ConnectionOptions): Docker.DockerOptions & { agent?: Agent } {
  const none = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
    version: undefined,
  };
  switch (conn.transport) {
    case 'unix':
      return { ...none, socketPath: conn.socketPath, protocol: 'http' };
    case 'ssh':
      return {
        ...none,
        host: conn.host,
        port: conn.port,
        protocol: 'ssh',
        username: conn.username,
        sshOptions: conn.agent === undefined ? {} : { agent: conn.agent },
      };
    case 'tcp': {
      if (conn.tls === undefined) return { ...none, host: conn.host, port: conn.port, protocol: 'http' };
      const { ca, cert, key, verify } = conn.tls;
      // Without DOCKER_TLS_VERIFY the CLI encrypts but does not check the daemon's certificate.
      return {
        ...none,
        host: conn.host,
        port: conn.port,
        protocol: 'https',
        ca,
        cert,
        key,
        ...(verify ? {} : { agent: new (process.getBuiltinModule('node:https').Agent)({ rejectUnauthorized: false }) }),
      };
    }
  }
}

/**
 * docker-modem merges defaults from `process.env` under the options it is given: with
 * DOCKER_HOST set it picks https for port 2376 or DOCKER_TLS_VERIFY=1 (even for ssh://)
 * and reads DOCKER_CERT_PATH's files, throwing when they are missing. Hide DOCKER_HOST
 * during the synchronous constructor so only the endpoint resolved by endpoint.ts counts.
 */
async function newClient(options: Docker.DockerOptions): Promise<Docker> {
  // require, not import(): the CLI runs as a CommonJS bundle compiled through vm.Script,
  // where a dynamic import() has no loader (dockerode is CommonJS anyway).
  const Dockerode = createRequire(import.meta.url)('dockerode') as typeof Docker;
  const saved = process.env['DOCKER_HOST'];
  delete process.env['DOCKER_HOST'];
  try {
    return new Dockerode(options);
  } finally {
    if (saved !== undefined) process.env['DOCKER_HOST'] = saved;
  }
}

export class DockerodeTransport implements Transport {
  private client: Promise<Docker> | undefined;
  private readonly negotiation: Negotiation;

  constructor(
    readonly endpoint: Endpoint,
    private readonly conn: ConnectionOptions,
    env: NodeJS.ProcessEnv,
  ) {
    this.negotiation = new Negotiation(async () => {
      const info = await negotiate(endpoint, env, (path, signal) => this.send('GET', path, { signal }));
      // docker-modem prefixes every later path with `/${version}`; its typings omit the field.
      ((await this.docker()).modem as unknown as { version?: string }).version = `v${info.apiVersion}`;
      return info;
    });
  }

  private docker(): Promise<Docker> {
    this.client ??= newClient(dockerodeOptions(this.conn));
    return this.client;
  }

  ready(signal?: AbortSignal): Promise<EngineInfo> {
    return this.negotiation.ready(signal);
  }

  async send(method: string, path: string, o: SendOptions = {}): Promise<IncomingMessage> {
    const docker = await this.docker();
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
          reject(connectError(this.endpoint, timedOut ? `no answer within ${connectTimeoutMs(this.endpoint)} ms` : err.message));
        },
      );
    });
  }

  async upgrade(path: string, o: UpgradeOptions): Promise<Duplex> {
    await this.ready(o.signal);
    const docker = await this.docker();
    return new Promise((resolve, reject) => {
      // Not docker-modem's abortSignal: it stays on the request, and would cut the upgraded
      // stream (a session shared by the whole run) whenever the signal fires later.
      let settled = false;
      const give = (e: unknown): void => {
        settled = true;
        o.signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      const onAbort = (): void => give(o.signal?.reason);
      const timer = setTimeout(() => give(connectError(this.endpoint, `no answer to POST ${path} within ${UPGRADE_TIMEOUT_MS / 1000} s`)), UPGRADE_TIMEOUT_MS);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      docker.modem.dial(
        { path: `${path}?`, method: 'POST', options: {}, headers: upgradeHeaders(o), hijack: true, isStream: true, statusCodes: ANY_STATUS },
        (e, stream) => {
          clearTimeout(timer);
          o.signal?.removeEventListener('abort', onAbort);
          if (settled) return (stream as Duplex | undefined)?.destroy();
          if (e) return reject(connectError(this.endpoint, e.message));
          const res = stream as IncomingMessage;
          if (typeof res.statusCode !== 'number') return resolve(stream as Duplex);
          void readText(res).then((body) =>
            reject(new EngineError(`POST ${path}: ${errorMessage(body)} (HTTP ${res.statusCode ?? 0})`, this.endpoint, res.statusCode)),
          );
        },
      );
    });
  }
}
