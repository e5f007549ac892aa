/**
 * The seam between the Engine methods (http-engine.ts) and the HTTP client that carries
 * them (dockerode-engine.ts, the only module that knows dockerode). Owns the request
 * shape both sides agree on and reading a response body.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
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
}

export async function readText(res: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}
