/**
 * The engine a command talks to, at the endpoint the docker CLI would use
 * (docker/endpoint.ts), the line that says which one and why, and connecting to it with
 * the builder it is asked for.
 */
import { engineAt } from '../docker/connect.js';
import { resolveEndpoint } from '../docker/endpoint.js';
import { endpointOrigin, type BuilderKind, type Endpoint, type Engine, type EngineInfo } from '../docker/engine.js';
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

/** A connection under way: the engine and its negotiation, started before the build file loads. */
export interface Connecting {
  readonly engine: Engine;
  readonly info: Promise<EngineInfo>;
}

/** Starts connecting; an exit code when the endpoint cannot be resolved (engineOrReport said why). */
export function startConnecting(io: CliIo, opts: EngineFlags): Connecting | ExitCode {
  const engine = engineOrReport(io, opts);
  if (typeof engine === 'number') return engine;
  const info = engine.info();
  info.catch(() => undefined); // reported by `connect`, if the command gets that far
  return { engine, info };
}

/** Connects and picks the builder; prints why not and returns an exit code when it cannot. */
export async function connect(
  io: CliIo, opts: EngineFlags & { builder: 'auto' | BuilderKind }, started: Connecting | ExitCode = startConnecting(io, opts),
): Promise<{ engine: Engine; builder: BuilderKind } | ExitCode> {
  if (typeof started === 'number') return started;
  const { engine } = started;
  try {
    const info = await started.info;
    if (opts.builder === 'buildkit' && !info.buildkit) {
      io.stderr.write(`error: the engine at ${engine.endpoint.url} (Docker ${info.serverVersion}) does not support BuildKit; use --builder classic\n`);
      return ExitCode.failed;
    }
    return { engine, builder: opts.builder === 'auto' ? (info.buildkit ? 'buildkit' : 'classic') : opts.builder };
  } catch (e) {
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.failed;
  }
}
