/**
 * `createEngine()`: the Engine for the endpoint the docker CLI would use (endpoint.ts:
 * `--host`, DOCKER_HOST, a docker context, the default socket), with the transport its
 * endpoint needs (node:http for unix/tcp/TLS, dockerode for ssh).
 */
import { DockerodeTransport } from './dockerode-engine.js';
import { connectionOptions, resolveEndpoint, type EndpointOptions, type ResolvedEndpoint } from './endpoint.js';
import type { Engine } from './engine.js';
import { HttpEngine } from './http-engine.js';
import { NodeTransport } from './node-transport.js';
import type { Transport } from './transport.js';

/**
 * Throws only when the endpoint cannot be resolved (a docker context that does not exist or
 * cannot be read); the CLI resolves first (cli/engine.ts) and reports that as bad input.
 */
export function createEngine(opts: EndpointOptions = {}): Engine {
  const env = opts.env ?? process.env;
  const endpoint = resolveEndpoint({ ...opts, env });
  if (!endpoint.ok) throw new Error(endpoint.error);
  return engineAt(endpoint.value, env);
}

/** The Engine at a resolved endpoint. Never throws; problems surface from the Engine's methods. */
export function engineAt(endpoint: ResolvedEndpoint, env: NodeJS.ProcessEnv = process.env): Engine {
  return new HttpEngine(
    lazyTransport(() => {
      const conn = connectionOptions(endpoint, env);
      return conn.transport === 'ssh' ? new DockerodeTransport(endpoint, conn, env) : new NodeTransport(endpoint, conn, env);
    }, endpoint),
  );
}

/** Resolves the connection (which may throw, e.g. missing TLS files) on first use, so the error surfaces from a method. */
function lazyTransport(make: () => Transport, endpoint: Transport['endpoint']): Transport {
  let t: Transport | undefined;
  const get = (): Transport => (t ??= make());
  return {
    endpoint,
    ready: async (signal) => get().ready(signal),
    send: async (method, path, o) => get().send(method, path, o),
    upgrade: async (path, o) => get().upgrade(path, o),
  };
}
