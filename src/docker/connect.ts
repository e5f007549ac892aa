/**
 * `createEngine()`: the Engine for `--host`, else DOCKER_HOST, else the default socket,
 * with the transport its endpoint needs (node:http for unix/tcp/TLS, dockerode for ssh).
 * Never throws; problems surface from the Engine's methods.
 */
import { DockerodeTransport } from './dockerode-engine.js';
import { connectionOptions, resolveEndpoint, type EndpointOptions } from './endpoint.js';
import type { Engine } from './engine.js';
import { HttpEngine } from './http-engine.js';
import { NodeTransport } from './node-transport.js';
import type { Transport } from './transport.js';

export function createEngine(opts: EndpointOptions = {}): Engine {
  const env = opts.env ?? process.env;
  const endpoint = resolveEndpoint({ ...opts, env });
  return new HttpEngine(lazyTransport(() => {
    const conn = connectionOptions(endpoint, env);
    return conn.transport === 'ssh' ? new DockerodeTransport(endpoint, conn, env) : new NodeTransport(endpoint, conn, env);
  }, endpoint));
}

/** Resolves the connection (which may throw, e.g. missing TLS files) on first use, so the error surfaces from a method. */
function lazyTransport(make: () => Transport, endpoint: Transport['endpoint']): Transport {
  let t: Transport | undefined;
  const get = (): Transport => (t ??= make());
  return {
    endpoint,
    ready: async (signal) => get().ready(signal),
    send: async (method, path, o) => get().send(method, path, o),
  };
}
