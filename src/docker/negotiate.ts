/**
 * API version negotiation, shared by both transports: unversioned `GET /_ping` (headers)
 * and `GET /version` (body) in parallel, then every later request uses `/v<version>`.
 * Also the wording of "cannot connect" errors, which name the endpoint and its source.
 */
import type { IncomingMessage } from 'node:http';
import { detectBuildkit, negotiateApiVersion } from './api-version.js';
import { errorMessage, rec, str } from './api-json.js';
import { EngineError, type Endpoint, type EngineInfo } from './engine.js';
import { readText } from './transport.js';

/** How long the first request (`info()`, or any method's implicit negotiation) waits for an answer. */
export const CONNECT_TIMEOUT_MS = 1500;
/** ssh needs a handshake and a remote `docker system dial-stdio` first. */
export const SSH_CONNECT_TIMEOUT_MS = 10_000;

export const connectTimeoutMs = (endpoint: Endpoint): number => (endpoint.url.startsWith('ssh://') ? SSH_CONNECT_TIMEOUT_MS : CONNECT_TIMEOUT_MS);

export function connectError(endpoint: Endpoint, why: string): EngineError {
  const from = endpoint.source === 'default' ? 'the default endpoint' : `from ${endpoint.source}`;
  return new EngineError(`cannot connect to the Docker engine at ${endpoint.url} (${from}): ${why}`, endpoint);
}

/** Sends the two unversioned requests with `signal` and picks the version every later request uses. */
export async function negotiate(
  endpoint: Endpoint,
  env: NodeJS.ProcessEnv,
  sendRaw: (path: string, signal: AbortSignal) => Promise<IncomingMessage>,
): Promise<EngineInfo> {
  const signal = AbortSignal.timeout(connectTimeoutMs(endpoint));
  const [ping, version] = await Promise.all([sendRaw('/_ping', signal), sendRaw('/version', signal)]);
  const [, body] = await Promise.all([readText(ping), readText(version)]);
  if (version.statusCode !== 200) throw connectError(endpoint, `GET /version answered HTTP ${version.statusCode}: ${errorMessage(body)}`);
  let v: Record<string, unknown>;
  try {
    v = rec(JSON.parse(body));
  } catch {
    throw connectError(endpoint, 'GET /version did not answer JSON; is this a Docker engine?');
  }
  const header = (name: string): string | undefined => {
    const h = ping.headers[name];
    return typeof h === 'string' && h !== '' ? h : undefined;
  };
  const minApi = str(v['MinAPIVersion']);
  const chosen = negotiateApiVersion(
    { apiVersion: header('api-version') ?? str(v['ApiVersion']), ...(minApi !== '' && { minApiVersion: minApi }) },
    env['DOCKER_API_VERSION'],
  );
  const from = endpoint.source === 'default' ? 'the default endpoint' : `from ${endpoint.source}`;
  if (!chosen.ok) throw new EngineError(`cannot use the Docker engine at ${endpoint.url} (${from}): ${chosen.message}`, endpoint);
  const os = str(v['Os']) || (header('ostype') ?? '');
  return {
    serverVersion: str(v['Version']),
    apiVersion: chosen.version,
    os,
    arch: str(v['Arch']),
    buildkit: detectBuildkit(chosen.version, header('builder-version'), os),
  };
}

/** A transport's `ready()`: negotiates once, retried after a failure, and honours the caller's signal. */
export class Negotiation {
  private negotiated: Promise<EngineInfo> | undefined;

  constructor(private readonly run: () => Promise<EngineInfo>) {}

  ready(signal?: AbortSignal): Promise<EngineInfo> {
    this.negotiated ??= this.run().catch((e: unknown) => {
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
}
