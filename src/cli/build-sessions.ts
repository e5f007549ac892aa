/**
 * The BuildKit sessions of a run, as the executor sees them (execute/job.ts BuildSessions):
 * a SessionPool (session/pool.ts) serving each image exactly its declared secrets and ssh
 * agents, registry logins from the docker CLI's credentials, and secret values masked in
 * build output. An image that needs no session still gets one (private base images pull
 * through it); if the engine refuses sessions, such an image builds without one, once warned.
 */
import type { ImageSpec, SecretSource } from '../config/types.js';
import { needsSession } from '../config/types.js';
import { ok, type Result } from '../core/result.js';
import { readSecretValue } from '../core/secret-value.js';
import type { Engine } from '../docker/engine.js';
import type { BuildSessions } from '../execute/job.js';
import { SessionPool } from '../session/pool.js';
import type { LoginLookup } from '../session/services.js';

export interface BuildSessionOptions {
  readonly engine: Engine;
  /** The session's name in the daemon's logs. */
  readonly name: string;
  /** Where `{env: VAR}` secrets and `$SSH_AUTH_SOCK` are read: the build file's environment (env files included), as of the run at hand. */
  readonly env: () => NodeJS.ProcessEnv;
  readonly login: LoginLookup;
  readonly warn: (message: string) => void;
}

export interface RunSessions extends BuildSessions {
  close(): Promise<void>;
}

export function buildSessions(o: BuildSessionOptions): RunSessions {
  const pool = new SessionPool<SecretSource>(o.engine, {
    name: o.name,
    readSecret: (source) => readSecretValue(source, o.env()),
    login: o.login,
    agentSocket: () => o.env()['SSH_AUTH_SOCK'] || undefined,
  });
  let warned = false;
  return {
    async sessionFor(image: ImageSpec): Promise<Result<string | undefined, string>> {
      const s = await pool.sessionFor({ secrets: image.secrets, ssh: image.ssh });
      if (s.ok || needsSession(image)) return s;
      if (!warned) o.warn(`${s.error}; images without secrets or ssh build without one (private base images cannot be pulled by BuildKit)`);
      warned = true;
      return ok(undefined);
    },
    redact: (text) => pool.redactor.redact(text),
    close: () => pool.close(),
  };
}
