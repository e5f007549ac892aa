/**
 * The engine a command talks to, at the endpoint the docker CLI would use
 * (docker/endpoint.ts), the line that says which one and why, and connecting to it with
 * the builder it is asked for.
 */
import { sessionProblems } from '../config/rules/index.js';
import { classicDiffCheck } from '../load/dockerfile-diffs.js';
import type { LoadedPlan } from '../load/load-plan.js';
import type { Diagnostic } from '../core/diagnostic.js';
import { err, messageOf, ok, settled, type Result } from '../core/result.js';
import { engineAt } from '../docker/connect.js';
import { resolveEndpoint } from '../docker/endpoint.js';
import { endpointOrigin, type BuilderKind, type Endpoint, type Engine, type EngineInfo } from '../docker/engine.js';
import type { Planned } from '../plan/types.js';
import type { CommandFailure } from './failure.js';
import type { CliIo } from './io.js';
import { warnOn } from './print.js';

/** The global `-H/--host` and `-v/--verbose`. */
export interface EngineFlags {
  readonly host?: string;
  readonly verbose?: boolean;
}

/** e.g. `engine: unix:///var/run/docker.sock (docker context "ci", named by DOCKER_CONTEXT)`. */
export const engineLine = (e: Endpoint): string => `engine: ${e.url} (${endpointOrigin(e)})`;

/** What `plan --format json` says of the endpoint. */
export const engineJson = ({ url, source, context, configFile, overrides }: Endpoint): Endpoint => ({
  url,
  source,
  ...(context !== undefined && { context }),
  ...(configFile !== undefined && { configFile }),
  ...(overrides !== undefined && { overrides }),
});

/**
 * The engine, its endpoint's warning printed (and with `--verbose` its engine line) on
 * stderr; a docker context that does not exist or cannot be read is bad input.
 */
export function engineFor(io: CliIo, opts: EngineFlags): Result<Engine, CommandFailure> {
  const env = io.env as NodeJS.ProcessEnv;
  const resolved = resolveEndpoint({ ...(opts.host !== undefined && { host: opts.host }), env });
  if (!resolved.ok) return err({ reason: 'invalid-input', message: resolved.error });
  if (resolved.value.warning !== undefined) warnOn(io)(resolved.value.warning);
  if (opts.verbose === true) io.stderr.write(`${engineLine(resolved.value)}\n`);
  return ok(engineAt(resolved.value, env));
}

/** A connection under way: the engine and its negotiation, started before the build file loads. */
export interface Connecting {
  readonly engine: Engine;
  readonly info: Promise<EngineInfo>;
}

/** An engine that answered, and the builder to use on it. */
export interface Connected {
  readonly engine: Engine;
  readonly builder: BuilderKind;
}

/** Starts connecting (the endpoint resolved as engineFor does). */
export function startConnecting(io: CliIo, opts: EngineFlags): Result<Connecting, CommandFailure> {
  const engine = engineFor(io, opts);
  if (!engine.ok) return engine;
  const info = engine.value.info();
  info.catch(() => undefined); // reported by `connect`, if the command gets that far
  return ok({ engine: engine.value, info });
}

/** Connects, and picks the builder (builderOn). */
export async function connect(
  io: CliIo,
  opts: EngineFlags & { builder: 'auto' | BuilderKind },
  started: Result<Connecting, CommandFailure> = startConnecting(io, opts),
): Promise<Result<Connected, CommandFailure>> {
  if (!started.ok) return started;
  const { engine } = started.value;
  const info = await settled(started.value.info);
  if (!info.ok) return err({ reason: 'engine-unavailable', message: messageOf(info.error) });
  if (opts.builder === 'buildkit' && !info.value.buildkit) {
    return err({
      reason: 'engine-unavailable',
      message: `the engine at ${engine.endpoint.url} (Docker ${info.value.serverVersion}) does not support BuildKit; use --builder classic`,
    });
  }
  return ok({ engine, builder: builderOn(info.value, opts.builder) });
}

/** The builder asked for; `auto`: BuildKit when the engine has it, else the classic builder. */
export const builderOn = (info: EngineInfo, asked: 'auto' | BuilderKind): BuilderKind => (asked === 'auto' ? (info.buildkit ? 'buildkit' : 'classic') : asked);

/**
 * Secrets and ssh need a BuildKit session, which the classic builder does not have: with
 * `classic` (asked for, or what `auto` found), each image of the plan that declares some is
 * bad input at its `secrets:` / `ssh:` key. `auto` is not known yet: nothing to say.
 */
export const needBuildKit = (planned: Planned & { readonly dockerfiles?: LoadedPlan['dockerfiles'] }, builder: 'auto' | BuilderKind): Diagnostic[] =>
  builder === 'auto'
    ? []
    : [
        ...sessionProblems(
          planned.file,
          builder,
          planned.plan.images.map((i) => i.name),
        ),
        ...(builder === 'classic'
          ? classicDiffCheck(
              planned.file,
              planned.plan.images.map((i) => i.name),
              planned.dockerfiles,
            )
          : []),
      ];

/** needBuildKit as the command's failure. */
export function sessionCheck(planned: Planned, builder: 'auto' | BuilderKind): Result<undefined, CommandFailure> {
  const problems = needBuildKit(planned, builder);
  return problems.length > 0 ? err({ reason: 'invalid-build-file', diagnostics: problems }) : ok(undefined);
}
