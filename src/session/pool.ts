/**
 * The sessions of one run (or one watch): a build gets the session that serves exactly
 * what its image declares. Images that declare the same secrets and ssh agents (most often
 * all of them, through `defaults`) share one session; an image's session never serves a
 * secret it did not declare, as `docker build` gives a build only its own `--secret` flags
 * (BuildKit may still run a step shared with another build through that build's session). A session
 * is opened on the first BuildKit build that needs it (a run that builds nothing opens
 * none), reopened if the daemon dropped it, and every one is closed by `close`.
 */
import { err, ok, type Result } from '../core/result.js';
import { messageOf } from '../core/result.js';
import type { Engine, EngineError } from '../docker/engine.js';
import type { Method } from './grpc.js';
import { Redactor } from './redact.js';
import { authService, CREDENTIALS, GET_SECRET, health, HEALTH_CHECK, secretsService, type LoginLookup } from './services.js';
import { BuildSession } from './session.js';
import { Agents, CHECK_AGENT, checkAgent, FORWARD_AGENT, forwardAgent, type AgentSource } from './ssh.js';

/** What one image's builds may use through a session. */
export interface SessionNeeds<S> {
  readonly secrets: readonly { readonly id: string; readonly source: S }[];
  readonly ssh: readonly { readonly id: string; readonly paths: readonly string[] }[];
}

export interface PoolOptions<S> {
  /** The session's name in the daemon's logs, e.g. the project name. */
  readonly name: string;
  /** Reads a secret's value when a build asks for it (never earlier, never kept). */
  readonly readSecret: (source: S) => Result<Buffer, string>;
  readonly login: LoginLookup;
  /** `$SSH_AUTH_SOCK` of the run, for ssh entries without a path. */
  readonly agentSocket?: () => string | undefined;
}

interface Profile {
  readonly key: string;
  session?: Promise<Result<BuildSession, string>>;
  agents?: Agents;
}

export class SessionPool<S> {
  private readonly profiles = new Map<string, Profile>();
  private closed = false;
  /** Aborts a session still being opened when the run ends (a daemon that never answers must not hold it). */
  private readonly ending = new AbortController();
  /** Every secret value served in this run is masked in build output. */
  readonly redactor = new Redactor();

  constructor(
    private readonly engine: Engine,
    private readonly o: PoolOptions<S>,
  ) {}

  /** The id of the session for a build with these needs, opening it if need be. */
  async sessionFor(needs: SessionNeeds<S>): Promise<Result<string, string>> {
    if (this.closed) return err('the run is over');
    const key = JSON.stringify([needs.secrets, needs.ssh]);
    let profile = this.profiles.get(key);
    if (profile === undefined) {
      this.profiles.set(key, (profile = { key }));
      this.maskDeclared(needs);
    }
    const current = profile.session && (await profile.session);
    if (current?.ok && current.value.open) return ok(current.value.id);
    profile.session = this.open(profile, needs);
    const opened = await profile.session;
    return opened.ok ? ok(opened.value.id) : err(opened.error);
  }

  /** Not the build's AbortSignal: a session belongs to the run, not to the build that happened to open it; `close` ends it. */
  private async open(profile: Profile, needs: SessionNeeds<S>): Promise<Result<BuildSession, string>> {
    await profile.agents?.close();
    profile.agents = new Agents(this.agentSources(needs));
    try {
      const session = await BuildSession.open(this.engine, {
        name: this.o.name,
        sharedKey: this.o.name,
        methods: this.methods(needs, profile.agents),
        signal: this.ending.signal,
      });
      return ok(session);
    } catch (e) {
      // An engine (or a proxy in front of it) that has no /session answers 404 or 400.
      const status = (e as Partial<EngineError> | undefined)?.statusCode;
      const refused = status === 404 || status === 400;
      return err(`could not open a BuildKit session${refused ? ' (the engine does not accept sessions)' : ''}: ${messageOf(e)}`);
    }
  }

  private agentSources(needs: SessionNeeds<S>): Map<string, AgentSource> {
    const sources = new Map<string, AgentSource>();
    const agentSocket = this.o.agentSocket?.();
    for (const { id, paths } of needs.ssh) {
      if (paths.length === 0) {
        if (agentSocket !== undefined) sources.set(id, { kind: 'socket', path: agentSocket });
      } else sources.set(id, paths.length === 1 && isSocket(paths[0]!) ? { kind: 'socket', path: paths[0]! } : { kind: 'keys', paths });
    }
    return sources;
  }

  private methods(needs: SessionNeeds<S>, agents: Agents): Map<string, Method> {
    const secrets = new Map(needs.secrets.map((s) => [s.id, s.source]));
    const lookup = (id: string): Result<Buffer, string> | undefined => {
      const source = secrets.get(id);
      if (source === undefined) return undefined;
      const value = this.o.readSecret(source);
      if (value.ok) this.redactor.add(value.value);
      return value;
    };
    return new Map<string, Method>([
      [HEALTH_CHECK, health],
      [GET_SECRET, secretsService(lookup)],
      [CREDENTIALS, authService(this.o.login)],
      [CHECK_AGENT, checkAgent(agents)],
      [FORWARD_AGENT, forwardAgent(agents)],
    ]);
  }

  /**
   * Masks the values of every secret an image declares, before its build starts: when
   * BuildKit runs one step for two builds (two runs at once, or two images), it asks only
   * one of their sessions, and the other build's output must be masked all the same.
   */
  private maskDeclared(needs: SessionNeeds<S>): void {
    for (const { source } of needs.secrets) {
      const value = this.o.readSecret(source);
      if (value.ok) this.redactor.add(value.value);
    }
  }

  /** Closes every session and stops every private agent; later `sessionFor` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.ending.abort(new Error('the run is over'));
    await Promise.all(
      [...this.profiles.values()].map(async (p) => {
        const s = p.session && (await p.session.catch(() => undefined));
        if (s?.ok) await s.value.close();
        await p.agents?.close();
      }),
    );
  }
}

function isSocket(path: string): boolean {
  try {
    return process.getBuiltinModule('node:fs').statSync(path).isSocket();
  } catch {
    return false;
  }
}
