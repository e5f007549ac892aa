/**
 * Authorized requests to registries: each request is sent with what the registry asked for
 * before (auth.ts); a 401 teaches its challenge and the request is sent once more with fresh
 * credentials; a second 401 is `unauthorized`. Errors never carry a secret (errors.ts redact).
 */
import { err, ok, type Result } from '../core/result.js';
import { Authorizer, type Authorization } from './auth.js';
import type { Credentials } from './credentials.js';
import { Agents, DEFAULT_CERTS_DIR, registryBase } from './endpoint.js';
import { redact, redactBody, statusError, type RegistryError } from './errors.js';
import { send, type HttpRequest, type HttpResponse } from './http.js';
import type { Send } from './token.js';

export interface SessionOptions {
  /** The deadline of one HTTP exchange. */
  readonly timeoutMs?: number;
  /** Where extra CAs per `host:port` are (`/etc/docker/certs.d`). */
  readonly certsDir?: string;
}

export interface RegistryRequest {
  readonly method: HttpRequest['method'];
  /** The path and query under the registry's base URL (`/v2/app/manifests/1`). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** `repository:<name>:pull[,push]` scopes a token must grant. */
  readonly scopes: readonly string[];
  /** What it does, for messages: `HEAD 127.0.0.1:5000/app:1`. */
  readonly what: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export class Session {
  private readonly authorizer: Authorizer;
  private readonly agents: Agents;
  private readonly timeoutMs: number;

  constructor(credentials: Credentials, opts: SessionOptions = {}) {
    this.authorizer = new Authorizer(credentials);
    this.agents = new Agents(opts.certsDir ?? DEFAULT_CERTS_DIR);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Sends `req` to `registry`: any HTTP answer but a final 401 is a response; the caller reads its status. */
  async request(registry: string, req: RegistryRequest, signal?: AbortSignal): Promise<Result<HttpResponse, RegistryError>> {
    const url = new URL(req.path, registryBase(registry));
    const transport: Send = (r) => send(r, { timeoutMs: this.timeoutMs, agent: this.agents.for(r.url), ...(signal ? { signal } : {}) });
    const sendWith = async ({ header, auth }: Authorization): Promise<Result<HttpResponse, RegistryError>> => {
      const headers = { ...req.headers, ...(header === undefined ? {} : { Authorization: header }) };
      const res = await transport({ method: req.method, url, headers, ...(req.body ? { body: req.body } : {}) });
      if (!res.ok) return err(redact({ kind: 'unreachable', message: `${req.what}: ${registry}: ${res.error}` }, auth));
      // An error's body becomes a message: it must not echo a secret back (a proxy that quotes the request).
      return res.value.status < 300 ? res : ok({ ...res.value, body: redactBody(res.value.body, auth) });
    };
    const before = await this.authorizer.authorize(registry, req.scopes, transport, false);
    if (!before.ok) return before;
    const first = await sendWith(before.value);
    if (!first.ok || first.value.status !== 401) return first;
    if (!this.authorizer.learn(registry, first.value.headers['www-authenticate'])) return err(unauthorized(req.what, first.value, undefined));
    const fresh = await this.authorizer.authorize(registry, req.scopes, transport, true);
    if (!fresh.ok) return fresh;
    const { header, auth } = fresh.value;
    if (header === undefined) return err(unauthorized(req.what, first.value, registry));
    if (header === before.value.header) return err(redact(unauthorized(req.what, first.value, undefined), auth));
    const second = await sendWith(fresh.value);
    if (!second.ok || second.value.status !== 401) return second;
    return err(redact(unauthorized(req.what, second.value, undefined), auth));
  }
}

/** A final 401; `noCredentialsFor`: none were configured for that registry, and it wants some. */
function unauthorized(what: string, res: HttpResponse, noCredentialsFor: string | undefined): RegistryError {
  const error = statusError(401, res.body, what);
  if (noCredentialsFor === undefined) return error;
  return { kind: 'unauthorized', message: `${error.message} (no credentials for ${noCredentialsFor} in the docker config: docker login ${noCredentialsFor})` };
}
