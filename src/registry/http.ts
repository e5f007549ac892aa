/**
 * One HTTP exchange with a registry or its token server over node:http/https: the whole body
 * read (capped: manifests are small), a deadline for the whole exchange, an AbortSignal
 * honoured, no redirect followed. A connection that fails is `unreachable` with the reason
 * (refused, host not found, certificate not trusted, timed out, cancelled).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { err, ok, type Result } from '../core/result.js';

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** For https: the agent that holds the trusted CAs. */
  readonly agent?: https.Agent;
}

/** The most a response body may hold (a registry refuses manifests over 4 MiB). */
export const MAX_BODY = 8 << 20;

/** Sends `req`: the response, or why no response came (a message without the URL's query). */
export function send(req: HttpRequest, opts: HttpOptions): Promise<Result<HttpResponse, string>> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve(err('cancelled'));
    const lib = req.url.protocol === 'https:' ? https : http;
    const headers = { ...req.headers, ...(req.body === undefined ? {} : { 'Content-Length': String(req.body.length) }) };
    const request = lib.request(req.url, { method: req.method, headers, ...(opts.agent && req.url.protocol === 'https:' ? { agent: opts.agent } : {}) });
    let settled = false;
    const finish = (r: Result<HttpResponse, string>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const fail = (why: string) => {
      finish(err(why));
      request.destroy();
    };
    const onAbort = () => fail('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => fail(`no answer within ${opts.timeoutMs / 1000} s`), opts.timeoutMs);
    request.on('error', (e: NodeJS.ErrnoException) => fail(connectionError(e)));
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) fail(`a response body over ${MAX_BODY} bytes`);
        else chunks.push(chunk);
      });
      res.on('error', (e: NodeJS.ErrnoException) => fail(connectionError(e)));
      res.on('end', () => finish(ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
    });
    request.end(req.body);
  });
}

/** What a failed connection means, in words. */
function connectionError(e: NodeJS.ErrnoException): string {
  switch (e.code ?? '') {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    default:
      if (e.code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/.test(e.code))
        return `TLS: ${e.message} (extra CAs go in /etc/docker/certs.d/<host:port>/*.crt)`;
      return e.code ?? e.message;
  }
}
