/**
 * API version negotiation, shared by both transports, as the docker CLI does it: the
 * headers of an unversioned `GET /_ping` (`Api-Version`, `Ostype`, `Builder-Version`,
 * `Server`); then every later request uses `/v<version>`. `GET /version` (~4 ms of the
 * daemon's time: it asks its runtimes for their versions) is asked only when the ping
 * cannot settle it: no usable `Api-Version` or `Server`, an engine newer than the API
 * mbuild speaks (its minimum decides), or `DOCKER_API_VERSION` set (checked against it).
 * Also the wording of "cannot connect" errors, which name the endpoint and its source.
 */
import type { IncomingMessage } from 'node:http';
import { compareApiVersions, detectBuildkit, isApiVersion, MAX_API_VERSION, negotiateApiVersion } from './api-version.js';
import { errorMessage, rec, str } from './api-json.js';
import { EngineError, endpointOrigin, type Endpoint, type EngineInfo } from './engine.js';
import { readText } from './transport.js';

/** How long the first request (`info()`, or any method's implicit negotiation) waits for an answer. */
export const CONNECT_TIMEOUT_MS = 1500;
/** ssh needs a handshake and a remote `docker system dial-stdio` first. */
export const SSH_CONNECT_TIMEOUT_MS = 10_000;

export const connectTimeoutMs = (endpoint: Endpoint): number => (endpoint.url.startsWith('ssh://') ? SSH_CONNECT_TIMEOUT_MS : CONNECT_TIMEOUT_MS);

export function connectError(endpoint: Endpoint, why: string): EngineError {
  const from = endpointOrigin(endpoint);
  return new EngineError(`cannot connect to the Docker engine at ${endpoint.url} (${from}): ${why}`, endpoint);
}

/** Asks the engine with `signal` and picks the version every later request uses. */
export async function negotiate(
  endpoint: Endpoint,
  env: NodeJS.ProcessEnv,
  sendRaw: (path: string, signal: AbortSignal) => Promise<IncomingMessage>,
): Promise<EngineInfo> {
  const signal = AbortSignal.timeout(connectTimeoutMs(endpoint));
  const requested = env['DOCKER_API_VERSION']?.trim();
  const pinging = sendRaw('/_ping', signal);
  // DOCKER_API_VERSION is checked against /version's minimum: then ask for both at once.
  const early = requested ? versionBody(endpoint, sendRaw, signal) : undefined;
  early?.catch(() => undefined); // awaited below, unless the ping fails first
  const ping = await pinging;
  await readText(ping);
  const header = (name: string): string | undefined => {
    const h = ping.headers[name];
    return typeof h === 'string' && h !== '' ? h : undefined;
  };
  const pinged = header('api-version');
  const api = pinged !== undefined && isApiVersion(pinged) ? pinged : undefined;
  const server = /^Docker\/(\S+)/.exec(header('server') ?? '')?.[1];
  const pingSuffices =
    ping.statusCode === 200 && api !== undefined && compareApiVersions(api, MAX_API_VERSION) <= 0 && server !== undefined && header('ostype') !== undefined;
  const v = early ? await early : pingSuffices ? {} : await versionBody(endpoint, sendRaw, signal);
  const minApi = str(v['MinAPIVersion']);
  const chosen = negotiateApiVersion(
    { apiVersion: api ?? (str(v['ApiVersion']) || (pinged ?? '')), ...(minApi !== '' && { minApiVersion: minApi }) },
    requested,
  );
  const from = endpointOrigin(endpoint);
  if (!chosen.ok) throw new EngineError(`cannot use the Docker engine at ${endpoint.url} (${from}): ${chosen.message}`, endpoint);
  const os = header('ostype') ?? str(v['Os']);
  return {
    serverVersion: str(v['Version']) || (server ?? ''),
    apiVersion: chosen.version,
    os,
    buildkit: detectBuildkit(chosen.version, header('builder-version'), os),
  };
}

async function versionBody(
  endpoint: Endpoint,
  sendRaw: (path: string, signal: AbortSignal) => Promise<IncomingMessage>,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const version = await sendRaw('/version', signal);
  const body = await readText(version);
  if (version.statusCode !== 200) throw connectError(endpoint, `GET /version answered HTTP ${version.statusCode!}: ${errorMessage(body)}`);
  try {
    return rec(JSON.parse(body));
  } catch {
    throw connectError(endpoint, 'GET /version did not answer JSON; is this a Docker engine?');
  }
}

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
