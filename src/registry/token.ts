/**
 * Bearer tokens from a registry's token server (distribution `docs/spec/auth/token.md`,
 * `oauth.md`; docker's `registry/client/auth/session.go`): `GET <realm>?service=&scope=...` with
 * Basic credentials or anonymously; with an identity token, `POST <realm>` a refresh_token
 * grant. The answer is `{token | access_token, expires_in (60 s when absent or less)}`. A
 * registry token from the config is used as it is.
 */
import { err, ok, type Result } from '../core/result.js';
import type { AuthConfig } from './credentials.js';
import { redact } from './errors.js';
import type { RegistryError } from './errors.js';
import { registrySaid } from './errors.js';
import type { HttpRequest, HttpResponse } from './http.js';

export interface Token {
  readonly token: string;
  /** Milliseconds since the epoch after which the token is not used. */
  readonly expiresAt: number;
}

export type Send = (req: HttpRequest) => Promise<Result<HttpResponse, string>>;

const MIN_LIFETIME_S = 60;
/** A token is renewed this long before it expires. */
const MARGIN_MS = 5_000;

export const basicAuthorization = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A token for `scopes` from the token server of a Bearer challenge's `params` (realm, service). */
export async function fetchToken(
  params: Readonly<Record<string, string>>,
  scopes: readonly string[],
  auth: AuthConfig | undefined,
  send: Send,
  now: () => number = Date.now,
): Promise<Result<Token, RegistryError>> {
  if (auth?.registrytoken) return ok({ token: auth.registrytoken, expiresAt: Number.POSITIVE_INFINITY });
  const realm = params['realm'];
  let url: URL;
  try {
    url = new URL(realm ?? '');
  } catch {
    return err({ kind: 'protocol', message: `the Bearer challenge names no valid token server (realm "${realm ?? ''}")` });
  }
  const server = `the token server ${url.host}`;
  const res = await send(tokenRequest(url, params['service'], scopes, auth));
  return scrubbed(answer(res, server, now), auth);
}

/** The token, or the error the token server's answer stands for. */
function answer(res: Awaited<ReturnType<Send>>, server: string, now: () => number): Result<Token, RegistryError> {
  if (!res.ok) return err({ kind: 'unreachable', message: `${server}: ${res.error}` });
  const { status, body } = res.value;
  if (status === 401 || status === 403)
    return err({ kind: 'unauthorized', message: `${server} refused the credentials: ${String(status)} ${registrySaid(body)}`.trimEnd() });
  if (status !== 200) return err({ kind: status >= 500 ? 'unreachable' : 'protocol', message: `${server}: ${String(status)} ${registrySaid(body)}`.trimEnd() });
  return parseToken(body, now(), server);
}

/** An error holds no secret of `auth`, whatever the server echoed. */
const scrubbed = (r: Result<Token, RegistryError>, auth: AuthConfig | undefined): Result<Token, RegistryError> => (r.ok ? r : err(redact(r.error, auth)));

function tokenRequest(realm: URL, service: string | undefined, scopes: readonly string[], auth: AuthConfig | undefined): HttpRequest {
  if (auth?.identitytoken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, client_id: 'mbuild', scope: scopes.join(' ') });
    if (service !== undefined) form.set('service', service);
    return { method: 'POST', url: realm, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) };
  }
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  if (!auth?.username || auth.password === undefined) return { method: 'GET', url, headers: {} };
  url.searchParams.set('account', auth.username);
  return { method: 'GET', url, headers: { Authorization: basicAuthorization(auth.username, auth.password) } };
}

function parseToken(body: Buffer, now: number, server: string): Result<Token, RegistryError> {
  let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    json = JSON.parse(body.toString('utf8')) as typeof json;
  } catch {
    return err({ kind: 'protocol', message: `${server} answered something that is not JSON` });
  }
  const token = typeof json.token === 'string' && json.token !== '' ? json.token : json.access_token;
  if (typeof token !== 'string' || token === '') return err({ kind: 'protocol', message: `${server} answered no token` });
  const lifetime = typeof json.expires_in === 'number' && json.expires_in > MIN_LIFETIME_S ? json.expires_in : MIN_LIFETIME_S;
  return ok({ token, expiresAt: now + lifetime * 1000 - MARGIN_MS });
}
