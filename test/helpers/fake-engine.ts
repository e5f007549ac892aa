/**
 * A tiny scriptable fake of the Docker Engine API, served on a unix socket in a temp dir.
 * It answers /_ping and /version, replays a scripted list of chunks for POST /build (and can
 * cut the stream mid-line, send junk, or stall until the client disconnects), answers any
 * other route from a table, and records every request. It exists for the faults a real
 * daemon cannot produce on demand; everything else is tested against the real daemon.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  readonly method: string;
  /** Path without the `/v1.xx` prefix, e.g. `/build`. */
  readonly path: string;
  /** The `1.xx` of the prefix, when there was one. */
  readonly version: string | undefined;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface BuildScript {
  /** HTTP status of the /build response (default 200). */
  readonly status?: number;
  /** Written one by one, each flushed before the next. */
  readonly chunks: readonly (string | Buffer)[];
  /** After the chunks: end the response (default), destroy the socket, or stall until the client goes away. */
  readonly then?: 'end' | 'cut' | 'stall';
}

export type RouteReply = { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> };

export interface FakeEngineOptions {
  readonly apiVersion?: string;
  readonly minApiVersion?: string;
  /** Sent as the `Builder-Version` header of /_ping when set. */
  readonly builderVersion?: string;
  /** The `Server` header of /_ping (default `Docker/99.0.0-fake (linux)`; null: none, as behind some proxies). */
  readonly serverHeader?: string | null;
  /** Headers of /_ping to replace (a string) or leave out (null). */
  readonly pingHeaders?: Readonly<Record<string, string | null>>;
  /** Status of /_ping (default 200). */
  readonly pingStatus?: number;
  /** What /version answers instead of the usual JSON. */
  readonly versionReply?: RouteReply;
  /** Accept connections but never answer /_ping or /version. */
  readonly silent?: boolean;
  readonly build?: BuildScript;
  /** Replies for other routes, keyed `METHOD /path` (path without the version prefix). */
  readonly routes?: Readonly<Record<string, (r: RecordedRequest) => RouteReply>>;
}

export interface FakeEngine {
  readonly socketPath: string;
  /** `unix://<socketPath>`, for `createEngine({ host })`. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Resolves with the first request (past or future) matching `pred`; rejects after `ms` (default 5 s). */
  waitForRequest(pred: (r: RecordedRequest) => boolean, ms?: number): Promise<RecordedRequest>;
  /** Resolves when a client disconnected from a POST /build response before it ended; rejects after `ms` (default 5 s). */
  buildDisconnected(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeEngine(opts: FakeEngineOptions = {}): Promise<FakeEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'mbuild-fake-engine-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: RecordedRequest[] = [];
  const waiters: { pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  let onDisconnect!: () => void;
  const disconnected = new Promise<void>((resolve) => (onDisconnect = resolve));
  const apiVersion = opts.apiVersion ?? '1.41';

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
      const r: RecordedRequest = {
        method: req.method ?? 'GET',
        path: m?.[2] ?? url.pathname,
        version: m?.[1],
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(r);
      for (const w of waiters.filter((x) => x.pred(r))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(r);
      }
      void answer(r, res);
    });
  });

  async function answer(r: RecordedRequest, res: ServerResponse): Promise<void> {
    const key = `${r.method} ${r.path}`;
    if (opts.silent && (r.path === '/_ping' || r.path === '/version')) return; // never answers
    if (r.path === '/_ping') {
      const server = opts.serverHeader === undefined ? 'Docker/99.0.0-fake (linux)' : opts.serverHeader;
      const headers: Record<string, string | null> = {
        'Api-Version': apiVersion,
        Ostype: 'linux',
        ...(opts.builderVersion ? { 'Builder-Version': opts.builderVersion } : {}),
        ...(server !== null && { Server: server }),
        ...opts.pingHeaders,
      };
      res.writeHead(opts.pingStatus ?? 200, Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== null)));
      res.end('OK');
      return;
    }
    if (r.path === '/version') {
      if (opts.versionReply) json(res, opts.versionReply.status, opts.versionReply.body, opts.versionReply.headers);
      else json(res, 200, { Version: '99.0.1-from-version', ApiVersion: apiVersion, MinAPIVersion: opts.minApiVersion ?? '1.12', Os: 'linux', Arch: 'amd64' });
      return;
    }
    const route = opts.routes?.[key];
    if (route) {
      const reply = route(r);
      json(res, reply.status, reply.body, reply.headers);
      return;
    }
    if (key === 'POST /build' && opts.build) return replay(opts.build, res);
    if (key === 'POST /build/cancel') json(res, 200, undefined);
    else json(res, 404, { message: `fake engine: no route for ${key}` });
  }

  async function replay(script: BuildScript, res: ServerResponse): Promise<void> {
    let ended = false;
    res.on('close', () => {
      if (!ended) onDisconnect();
    });
    res.writeHead(script.status ?? 200, { 'Content-Type': 'application/json' });
    for (const c of script.chunks) {
      await new Promise<void>((resolve) => res.write(c, () => resolve()));
      // A macrotask between writes so that each chunk leaves as its own read on the client.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const then = script.then ?? 'end';
    if (then === 'end') {
      ended = true;
      res.end();
    } else if (then === 'cut') {
      ended = true;
      res.socket?.destroy();
    } // 'stall': leave the response open until the client disconnects.
  }

  function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    socketPath,
    url: `unix://${socketPath}`,
    requests,
    buildDisconnected: (ms = 5000) => within(disconnected, ms, 'the client to disconnect from POST /build'),
    waitForRequest(pred, ms = 5000) {
      const seen = requests.find(pred);
      if (seen) return Promise.resolve(seen);
      return within(new Promise((resolve) => waiters.push({ pred, resolve })), ms, 'a matching request');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `p`, or a rejection naming what was awaited once `ms` have passed. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`fake engine: gave up waiting ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
