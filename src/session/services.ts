/**
 * The unary services a BuildKit session serves (moby/buildkit `session/*.proto`; the daemon
 * calls them, see docs/architecture.md): health, secrets and registry logins. Each answer
 * holds only what the daemon asked for; no message, error included, ever holds a secret.
 */
import type { Result } from '../core/result.js';
import type { AuthConfig } from '../registry/credentials.js';
import { GrpcError, Status, type UnaryMethod } from './grpc.js';
import { bytesOf, readFields, stringField, varintOf } from './wire.js';

export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
export const GET_SECRET = '/moby.buildkit.secrets.v1.Secrets/GetSecret';
export const CREDENTIALS = '/moby.filesync.v1.Auth/Credentials';

/** `grpc.health.v1.HealthCheckResponse{status: SERVING}`: the daemon asks every second and drops the session on the first failure. */
export const health: UnaryMethod = { kind: 'unary', handle: () => Promise.resolve(varintOf(1, 1)) };

/** A secret's value by id; undefined when the build may not have it. */
export type SecretLookup = (id: string) => Result<Buffer, string> | undefined;

/**
 * `GetSecret{ID}` -> `{data}`. NOT_FOUND for an id the image did not declare: BuildKit then
 * fails a required mount with "secret X not found" and skips an optional one.
 */
export function secretsService(lookup: SecretLookup): UnaryMethod {
  return {
    kind: 'unary',
    handle: (request) => {
      const id = stringField(readFields(request), 1);
      const value = lookup(id);
      if (value === undefined) return Promise.reject(new GrpcError(Status.NOT_FOUND, `secret ${id} not found`));
      if (!value.ok) return Promise.reject(new GrpcError(Status.NOT_FOUND, `secret ${id}: ${value.error}`));
      return Promise.resolve(bytesOf(1, value.value));
    },
  };
}

/** The login for a registry (`host[:port]`; Docker Hub arrives as `registry-1.docker.io`); undefined: anonymous. */
export type LoginLookup = (host: string) => Promise<AuthConfig | undefined>;

/**
 * `Auth.Credentials{Host}` -> `{Username, Secret}`, as the docker CLI answers: an identity
 * token goes as the secret with no user name; no login is an empty (anonymous) answer.
 * GetTokenAuthority is not served (UNIMPLEMENTED), so BuildKit fetches tokens itself.
 */
export function authService(login: LoginLookup): UnaryMethod {
  return {
    kind: 'unary',
    handle: async (request) => {
      const auth = await login(stringField(readFields(request), 1));
      if (auth === undefined) return Buffer.alloc(0);
      if (auth.identitytoken !== undefined && auth.identitytoken !== '') return bytesOf(2, auth.identitytoken);
      return Buffer.concat([bytesOf(1, auth.username ?? ''), bytesOf(2, auth.password ?? '')]);
    },
  };
}
