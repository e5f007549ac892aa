/**
 * What went wrong with a registry, as a value: `unauthorized` (credentials missing, wrong, or
 * not enough), `unreachable` (no answer, or the registry failing: 5xx), `refused` (the registry
 * answered but will not do it: a blob not mountable, a manifest it rejects), `protocol` (an
 * answer that makes no sense). The message names the registry and what it said, and never a
 * credential: every secret of the AuthConfig used is cut out of it.
 */
import { STATUS_CODES } from 'node:http';
import type { AuthConfig } from './credentials.js';

export type RegistryError = {
  readonly kind: 'unauthorized' | 'unreachable' | 'refused' | 'protocol';
  readonly message: string;
};

const MAX_SAID = 300;

/** What a registry's error body says: `CODE: message` of each of `{"errors": [...]}`, else its first line of text. */
export function registrySaid(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const json = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(json.errors) && json.errors.length > 0)
      return cap(json.errors.map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(': ')).join('; '));
  } catch {
    /* not JSON */
  }
  return cap(text.split('\n')[0]!.trim());
}

/** The registry error codes of a body (`MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, ...). */
export function errorCodes(body: Buffer): string[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown }[] };
    return Array.isArray(json.errors) ? json.errors.flatMap((e) => (typeof e.code === 'string' ? [e.code] : [])) : [];
  } catch {
    return [];
  }
}

const cap = (s: string): string => (s.length > MAX_SAID ? `${s.slice(0, MAX_SAID)}…` : s);

/** An error response's body with every secret of `auth` replaced by `***` (see `redact`). */
export function redactBody(body: Buffer, auth: AuthConfig | undefined): Buffer {
  const text = body.toString('utf8');
  const scrubbed = redact({ kind: 'protocol', message: text }, auth).message;
  return scrubbed === text ? body : Buffer.from(scrubbed, 'utf8');
}

/** `error` with every secret of `auth` (and its Basic encoding) replaced by `***`. */
export function redact(error: RegistryError, auth: AuthConfig | undefined): RegistryError {
  if (auth === undefined) return error;
  const secrets = [auth.password, auth.identitytoken, auth.registrytoken].filter((s): s is string => s !== undefined && s.length >= 1);
  if (auth.username !== undefined && auth.password !== undefined) secrets.push(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  let message = error.message;
  for (const s of secrets.sort((a, b) => b.length - a.length)) message = message.split(s).join('***');
  return message === error.message ? error : { kind: error.kind, message };
}

/** The error for an HTTP status a registry answered with, for `what` (`HEAD 127.0.0.1:5000/app:tag`); a body-less answer (HEAD) says the status's name. */
export function statusError(status: number, body: Buffer, what: string): RegistryError {
  const said = registrySaid(body) || (STATUS_CODES[status] ?? '');
  const message = `${what}: ${String(status)}${said === '' ? '' : ` ${said}`}`;
  if (status === 401 || status === 403) return { kind: 'unauthorized', message };
  if (status >= 500) return { kind: 'unreachable', message };
  if (status >= 400) return { kind: 'refused', message };
  return { kind: 'protocol', message: `${message} (unexpected)` };
}
