/**
 * The Transport for local and TCP endpoints (unix sockets, tcp, tcp+TLS): one request per
 * call over node:http/https with a keep-alive agent, no idle timeout once connected.
 * Loading dockerode costs more CPU than a whole no-op `mbuild up` (167 ms, measured with
 * `node -e "require('dockerode')"` on the CI machine), so these endpoints do not load it;
 * ssh endpoints go through dockerode (dockerode-engine.ts), which owns the ssh tunnel.
 */
import http, { type IncomingMessage } from 'node:http';
import type https from 'node:https';
import type { ConnectionOptions } from './endpoint.js';
import type { Endpoint, EngineInfo } from './engine.js';
import { connectError, connectTimeoutMs, negotiate, Negotiation } from './negotiate.js';
import type { Duplex } from 'node:stream';
import { readText, UPGRADE_TIMEOUT_MS, upgradeHeaders, type SendOptions, type Transport, type UpgradeOptions } from './transport.js';
import { errorMessage } from './api-json.js';
import { EngineError } from './engine.js';

type Local = Exclude<ConnectionOptions, { transport: 'ssh' }>;

/** Query strings as docker-modem writes them: every value percent-encoded, spaces as %20. */
export const queryString = (query: Readonly<Record<string, string>> = {}): string => {
  const parts = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
};

export class NodeTransport implements Transport {
  private version = '';
  private readonly negotiation: Negotiation;
  private readonly agent: http.Agent;
  private readonly https: typeof https | undefined;
  private readonly target: https.RequestOptions;

  constructor(
    readonly endpoint: Endpoint,
    conn: Local,
    env: NodeJS.ProcessEnv,
  ) {
    const tls = conn.transport === 'tcp' ? conn.tls : undefined;
    // node:https (and TLS with it) is loaded only for a TLS endpoint: it costs every other run ~4 ms.
    this.https = tls ? process.getBuiltinModule('node:https') : undefined;
    this.agent = this.https ? new this.https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    // No TLS: an empty server name spares the agent's computing one for every request (its
    // first call compiles an IPv6 regular expression, ~5 ms of a no-op run).
    this.target =
      conn.transport === 'unix'
        ? { socketPath: conn.socketPath, servername: '' }
        : tls
          ? // Without DOCKER_TLS_VERIFY the CLI encrypts but does not check the daemon's certificate.
            { host: conn.host, port: conn.port, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.verify }
          : { host: conn.host, port: conn.port, servername: '' };
    this.negotiation = new Negotiation(async () => {
      const info: EngineInfo = await negotiate(endpoint, env, (path, signal) => this.request('GET', path, { signal }));
      this.version = `/v${info.apiVersion}`;
      return info;
    });
  }

  ready(signal?: AbortSignal): Promise<EngineInfo> {
    return this.negotiation.ready(signal);
  }

  send(method: string, path: string, o: SendOptions = {}): Promise<IncomingMessage> {
    return this.request(method, `${this.version}${path}`, o);
  }

  async upgrade(path: string, o: UpgradeOptions): Promise<Duplex> {
    await this.ready(o.signal);
    const lib = this.https ?? http;
    return new Promise((resolve, reject) => {
      // No agent: the connection becomes the upgraded stream and must never return to a pool.
      const req = lib.request({ ...this.target, agent: false, method: 'POST', path: `${this.version}${path}`, headers: upgradeHeaders(o) });
      const fail = (e: unknown): void => {
        settle();
        req.destroy();
        reject(e);
      };
      const onAbort = (): void => fail(o.signal?.reason);
      // A proxy that swallows the upgrade would leave the caller waiting for ever.
      const timer = setTimeout(() => fail(connectError(this.endpoint, `no answer to POST ${path} within ${UPGRADE_TIMEOUT_MS / 1000} s`)), UPGRADE_TIMEOUT_MS);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      req.once('upgrade', (_res, socket, head) => {
        settle();
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      req.once('response', (res) => {
        settle();
        void readText(res).then((body) =>
          reject(new EngineError(`POST ${path}: ${errorMessage(body)} (HTTP ${res.statusCode ?? 0})`, this.endpoint, res.statusCode)),
        );
      });
      req.once('error', (e) => {
        settle();
        reject(connectError(this.endpoint, e.message));
      });
      req.end();
    });
  }

  private request(method: string, path: string, o: SendOptions): Promise<IncomingMessage> {
    const json = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string> = { ...o.headers };
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(json));
    }
    const lib = this.https ?? http;
    return new Promise((resolve, reject) => {
      const req = lib.request({
        ...this.target,
        agent: this.agent,
        method,
        path: `${path}${queryString(o.query)}`,
        headers,
        ...(o.signal && { signal: o.signal }),
      });
      req.once('response', resolve);
      req.once('error', (e) => {
        const reason: unknown = o.signal?.reason;
        const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
        if (o.signal?.aborted && !timedOut) return reject(reason);
        reject(connectError(this.endpoint, timedOut ? `no answer within ${connectTimeoutMs(this.endpoint)} ms` : e.message));
      });
      if (o.file) {
        o.file.once('error', (e) => req.destroy(e));
        o.file.pipe(req);
      } else {
        req.end(json);
      }
    });
  }
}
