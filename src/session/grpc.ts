/**
 * A gRPC server on one HTTP/2 connection that the daemon opened as a client (the roles of a
 * BuildKit session are inverted). Owns the call lifecycle: finding the handler by path,
 * unary calls (one request, one reply) and bidirectional streams, status trailers, and
 * UNIMPLEMENTED for any method not served (the daemon treats that as "no such service").
 */
import type { IncomingHttpHeaders, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import { FrameReader, frame } from './wire.js';

/** gRPC status codes (grpc/grpc `doc/statuscodes.md`) the services answer with. */
export const Status = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** An error a handler returns to the daemon: a status and a message (which must never hold a secret). */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

export interface UnaryMethod {
  readonly kind: 'unary';
  /** Resolves with the reply message, or rejects with GrpcError. */
  handle(request: Buffer, metadata: IncomingHttpHeaders): Promise<Buffer>;
}

export interface BidiCall {
  readonly metadata: IncomingHttpHeaders;
  /** The daemon's messages, one Buffer each, in order; ends when the daemon half-closes. */
  readonly messages: Readable;
  /** Sends one message; false when the caller should wait for `drained()`. */
  send(message: Buffer): boolean;
  drained(): Promise<void>;
  /** Fires when the call is over, whoever ended it. */
  readonly closed: AbortSignal;
}

export interface BidiMethod {
  readonly kind: 'bidi';
  /** Resolves when the call is done (status OK), or rejects with GrpcError. */
  handle(call: BidiCall): Promise<void>;
}

export type Method = UnaryMethod | BidiMethod;

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };

/** Serves `methods` (path `/<package.Service>/<Method>` -> handler) on every stream of `session`. */
export function serveGrpc(session: ServerHttp2Session, methods: ReadonlyMap<string, Method>): void {
  session.on('stream', (stream, headers) => {
    const method = methods.get(headers[':path'] ?? '');
    if (method === undefined) return fail(stream, new GrpcError(Status.UNIMPLEMENTED, `unknown method ${headers[':path'] ?? ''}`));
    stream.on('error', () => undefined); // a reset stream is the daemon's to decide; nothing to report
    if (method.kind === 'unary') serveUnary(stream, headers, method);
    else serveBidi(stream, headers, method);
  });
}

function serveUnary(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, method: UnaryMethod): void {
  const reader = new FrameReader();
  const messages: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => {
    try {
      messages.push(...reader.push(chunk));
    } catch (e) {
      fail(stream, new GrpcError(Status.INVALID_ARGUMENT, (e as Error).message));
    }
  });
  stream.on('end', () => {
    if (stream.headersSent || stream.destroyed) return;
    if (messages.length !== 1) return fail(stream, new GrpcError(Status.INVALID_ARGUMENT, `expected one request message, got ${messages.length}`));
    method.handle(messages[0]!, headers).then(
      (reply) => finish(stream, reply),
      (e: unknown) => fail(stream, asGrpcError(e)),
    );
  });
}

function serveBidi(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, method: BidiMethod): void {
  const done = new AbortController();
  const reader = new FrameReader();
  const messages = new Readable({ objectMode: true, read: () => stream.resume() });
  stream.on('data', (chunk: Buffer) => {
    try {
      for (const m of reader.push(chunk)) if (!messages.push(m)) stream.pause();
    } catch (e) {
      messages.destroy(e as Error);
    }
  });
  stream.on('end', () => messages.push(null));
  stream.on('close', () => {
    done.abort();
    if (!messages.readableEnded) messages.destroy();
  });
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  const call: BidiCall = {
    metadata: headers,
    messages,
    send: (m) => stream.destroyed || stream.write(frame(m)),
    drained: () => new Promise((resolve) => (stream.destroyed ? resolve() : stream.once('drain', resolve).once('close', resolve))),
    closed: done.signal,
  };
  method.handle(call).then(
    () => endWith(stream, Status.OK, ''),
    (e: unknown) => {
      const g = asGrpcError(e);
      endWith(stream, g.code, g.message);
    },
  );
}

const asGrpcError = (e: unknown): GrpcError => (e instanceof GrpcError ? e : new GrpcError(Status.INTERNAL, e instanceof Error ? e.message : String(e)));

/** `grpc-message` is percent-encoded (doc/PROTOCOL-HTTP2.md). */
const statusTrailers = (code: number, message: string): Record<string, string> => ({
  'grpc-status': String(code),
  ...(message !== '' && { 'grpc-message': encodeURIComponent(message) }),
});

function finish(stream: ServerHttp2Stream, reply: Buffer): void {
  if (stream.destroyed) return;
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers(statusTrailers(Status.OK, '')));
  stream.end(frame(reply));
}

/** A "trailers-only" response: the status travels in the only HEADERS frame. */
function fail(stream: ServerHttp2Stream, e: GrpcError): void {
  if (stream.destroyed) return;
  if (stream.headersSent) return endWith(stream, e.code, e.message);
  stream.respond({ ...RESPONSE_HEADERS, ...statusTrailers(e.code, e.message) }, { endStream: true });
}

function endWith(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed) return;
  stream.once('wantTrailers', () => stream.sendTrailers(statusTrailers(code, message)));
  stream.end();
}
