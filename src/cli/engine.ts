/**
 * The engine a command talks to, at the endpoint the docker CLI would use
 * (docker/endpoint.ts), and the line that says which one and why.
 */
import { engineAt } from '../docker/connect.js';
import { resolveEndpoint } from '../docker/endpoint.js';
import { endpointOrigin, type Endpoint, type Engine } from '../docker/engine.js';
import { ExitCode, type CliIo } from './io.js';

/** The global `-H/--host` and `-v/--verbose`. */
export interface EngineFlags {
  readonly host?: string;
  readonly verbose?: boolean;
}

/** e.g. `engine: unix:///var/run/docker.sock (docker context "ci", named by DOCKER_CONTEXT)`. */
export const engineLine = (e: Endpoint): string => `engine: ${e.url} (${endpointOrigin(e)})`;

/** What `plan --format json` says of the endpoint. */
export const engineJson = ({ url, source, context, configFile, overrides }: Endpoint): Endpoint => ({
  url, source, ...(context !== undefined && { context }), ...(configFile !== undefined && { configFile }), ...(overrides !== undefined && { overrides }),
});

/**
 * The engine, its endpoint's warning printed (and with `--verbose` its engine line) on
 * stderr; a docker context that does not exist or cannot be read is bad input (exit 2).
 */
export function engineOrReport(io: CliIo, opts: EngineFlags): Engine | ExitCode {
  const env = io.env as NodeJS.ProcessEnv;
  const resolved = resolveEndpoint({ ...(opts.host !== undefined && { host: opts.host }), env });
  if (!resolved.ok) {
    io.stderr.write(`error: ${resolved.error}\n`);
    return ExitCode.invalid;
  }
  if (resolved.value.warning !== undefined) io.stderr.write(`warning: ${resolved.value.warning}\n`);
  if (opts.verbose === true) io.stderr.write(`${engineLine(resolved.value)}\n`);
  return engineAt(resolved.value, env);
}
