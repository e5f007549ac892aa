/**
 * The seam between the Engine methods (http-engine.ts) and the HTTP client that carries
 * them (dockerode-engine.ts, the only module that knows dockerode). Owns the request
 * shape both sides agree on and reading a response body.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import type { Endpoint, EngineInfo } from './engine.js';

export interface SendOptions {
  readonly query?: Readonly<Record<string, string>>;
  /** A JSON body (POST only). */
  readonly body?: object;
  /** A streamed body, e.g. the build context tar. */
  readonly file?: Readable;
  readonly signal?: AbortSignal;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Transport {
  readonly endpoint: Endpoint;
  /**
   * Negotiates the API version once (retried after a failure) and describes the daemon.
   * Rejects with EngineError when the daemon cannot be reached, or with `signal.reason`.
   */
  ready(signal?: AbortSignal): Promise<EngineInfo>;
  /**
   * One request with the negotiated version prefix; resolves with the response whatever its
   * status, and never times out once connected. Rejects with EngineError on transport
   * failure, or with `signal.reason` when the caller aborted.
   */
  send(method: string, path: string, o?: SendOptions): Promise<IncomingMessage>;
  /**
   * `POST <path>` with `Connection: Upgrade` on a connection of its own (never a pooled one):
   * resolves with the raw stream after `101 Switching Protocols` (bytes read past the
   * response already put back), or rejects with EngineError carrying the engine's message.
   */
  upgrade(path: string, o: UpgradeOptions): Promise<Duplex>;
}

/** How long an upgrade (a BuildKit session's `POST /session`) may wait for its `101`: a proxy that swallows it must not hang the run. */
export const UPGRADE_TIMEOUT_MS = 15_000;

export interface UpgradeOptions {
  /** The protocol asked for, e.g. `h2c`. */
  readonly protocol: string;
  /** Header values; an array goes out as repeated header lines. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly signal?: AbortSignal;
}

/** The headers of an upgrade request. */
export const upgradeHeaders = (o: UpgradeOptions): Record<string, string | string[]> => {
  const headers: Record<string, string | string[]> = { Connection: 'Upgrade', Upgrade: o.protocol };
  for (const [k, v] of Object.entries(o.headers)) headers[k] = typeof v === 'string' ? v : [...v];
  return headers;
};

export async function readText(res: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}
