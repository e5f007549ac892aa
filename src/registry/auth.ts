/**
 * The Authorization header of a registry request. Nothing is sent until a registry first
 * answers 401: its challenge is then kept for the registry. Basic sends the credentials of
 * the docker config; Bearer sends a token from the challenge's realm (with those credentials,
 * or anonymously when there are none), kept per registry and scope set until it expires.
 */
import { err, ok, type Result } from '../core/result.js';
import { parseChallenges, pickChallenge, type Challenge } from './challenge.js';
import type { AuthConfig, Credentials } from './credentials.js';
import type { RegistryError } from './errors.js';
import { basicAuthorization, fetchToken, type Send, type Token } from './token.js';

export interface Authorization {
  /** The header's value; undefined: send none. */
  readonly header: string | undefined;
  /** The credentials it was made from, to cut their secrets out of messages. */
  readonly auth: AuthConfig | undefined;
}

export class Authorizer {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, Token>();

  constructor(
    private readonly credentials: Credentials,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the challenge of a 401's `WWW-Authenticate`; false when it offers none this client can answer. */
  learn(registry: string, header: string | string[] | undefined): boolean {
    const challenge = pickChallenge(parseChallenges(Array.isArray(header) ? header.join(', ') : (header ?? '')));
    if (challenge === undefined) return false;
    this.challenges.set(registry, challenge);
    return true;
  }

  /** The header for a request needing `scopes`; `fresh` asks the token server again rather than reusing a kept token. */
  async authorize(registry: string, scopes: readonly string[], send: Send, fresh: boolean): Promise<Result<Authorization, RegistryError>> {
    const challenge = this.challenges.get(registry);
    if (challenge === undefined) return ok({ header: undefined, auth: undefined });
    const found = await this.credentials.get(registry);
    if (!found.ok) return err({ kind: 'unauthorized', message: `credentials for ${registry}: ${found.error}` });
    const auth = found.value;
    if (challenge.scheme === 'basic')
      return ok({ header: auth?.username && auth.password !== undefined ? basicAuthorization(auth.username, auth.password) : undefined, auth });
    const key = `${registry} ${[...scopes].sort().join(' ')}`;
    const kept = this.tokens.get(key);
    if (!fresh && kept !== undefined && kept.expiresAt > this.now()) return ok({ header: `Bearer ${kept.token}`, auth });
    const token = await fetchToken(challenge.params, scopes, auth, send, this.now);
    if (!token.ok) return token;
    this.tokens.set(key, token.value);
    return ok({ header: `Bearer ${token.value.token}`, auth });
  }
}
