/**
 * session/grpc.ts over a real HTTP/2 connection on a socket pair: node:http2 plays the
 * daemon's gRPC client (as BuildKit does over the hijacked /session stream).
 */
import http2, { type ClientHttp2Session } from 'node:http2';
import { createServer, connect, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcError, serveGrpc, Status, type Method } from '../../src/session/grpc.js';
import { bytesField, bytesOf, frame, FrameReader, readFields } from '../../src/session/wire.js';

const methods = new Map<string, Method>([
  ['/t.S/Echo', { kind: 'unary', handle: (req) => Promise.resolve(bytesOf(1, Buffer.concat([Buffer.from('echo:'), bytesField(readFields(req), 1)]))) }],
  ['/t.S/Fail', { kind: 'unary', handle: () => Promise.reject(new GrpcError(Status.NOT_FOUND, 'secret x not found: 100%')) }],
  ['/t.S/Bug', { kind: 'unary', handle: () => Promise.reject(new Error('boom')) }],
  [
    '/t.S/Upper',
    {
      kind: 'bidi',
      handle: async (call) => {
        for await (const m of call.messages as AsyncIterable<Buffer>) call.send(bytesOf(1, bytesField(readFields(m), 1).toString().toUpperCase()));
      },
    },
  ],
]);

let dir: string;
let server: Server;
let client: ClientHttp2Session;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mbt-grpc-'));
  const path = join(dir, 's.sock');
  server = createServer((socket) => serveGrpc(http2.performServerHandshake(socket), methods));
  await new Promise<void>((r) => server.listen(path, r));
  client = http2.connect('http://localhost', { createConnection: () => connect(path) });
});

afterAll(async () => {
  client.close();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** One call: the messages sent, then what came back (messages, status, message). */
function call(path: string, messages: Buffer[]): Promise<{ replies: Buffer[]; status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const req = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    const reader = new FrameReader();
    const replies: Buffer[] = [];
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (trailers = h));
    req.on('trailers', (t: http2.IncomingHttpHeaders) => (trailers = t));
    req.on('data', (c: Buffer) => replies.push(...reader.push(c)));
    req.on('end', () => resolve({ replies, status: String(trailers['grpc-status']), message: decodeURIComponent(String(trailers['grpc-message'] ?? '')) }));
    req.on('error', reject);
    for (const m of messages) req.write(frame(m));
    req.end();
  });
}

describe('the gRPC server of a session', () => {
  it('answers a unary call with one message and status OK', async () => {
    const r = await call('/t.S/Echo', [bytesOf(1, 'hi')]);
    expect(r.status).toBe('0');
    expect(r.replies.map((m) => bytesField(readFields(m), 1).toString())).toEqual(['echo:hi']);
  });

  it('answers UNIMPLEMENTED for a method it does not serve, and a handler error with its status', async () => {
    expect((await call('/t.S/Nope', [Buffer.alloc(0)])).status).toBe(String(Status.UNIMPLEMENTED));
    const failed = await call('/t.S/Fail', [Buffer.alloc(0)]);
    expect(failed).toEqual({ replies: [], status: String(Status.NOT_FOUND), message: 'secret x not found: 100%' });
    expect((await call('/t.S/Bug', [Buffer.alloc(0)])).status).toBe(String(Status.INTERNAL));
  });

  it('refuses a unary call without exactly one message', async () => {
    expect((await call('/t.S/Echo', [])).status).toBe(String(Status.INVALID_ARGUMENT));
    expect((await call('/t.S/Echo', [bytesOf(1, 'a'), bytesOf(1, 'b')])).status).toBe(String(Status.INVALID_ARGUMENT));
  });

  it('streams both ways, in order, and ends with OK when the client half-closes', async () => {
    const r = await call(
      '/t.S/Upper',
      ['a', 'bc', 'def'].map((t) => bytesOf(1, t)),
    );
    expect(r.status).toBe('0');
    expect(r.replies.map((m) => bytesField(readFields(m), 1).toString())).toEqual(['A', 'BC', 'DEF']);
  });
});
