/**
 * One BuildKit session, as the docker CLI opens one (its `build_session.go`): `POST
 * /session` upgraded to h2c (Engine.dialSession), then an HTTP/2 server on that stream
 * (node:http2 `performServerHandshake`: the daemon is the HTTP/2 client) serving the
 * methods it was given. A build names it by id (`POST /build?session=`). Closing ends the
 * stream, which is how the daemon learns the session is gone (there is no DELETE).
 */
import { randomUUID } from 'node:crypto';
import type { ServerHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Engine } from '../docker/engine.js';
import { serveGrpc, type Method } from './grpc.js';

/** How long a closing session waits for calls in flight before it cuts them. */
const CLOSE_GRACE_MS = 1000;

export class BuildSession {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly id: string,
    private readonly stream: Duplex,
    private readonly h2: ServerHttp2Session,
  ) {}

  /** Opens a session serving `methods`. Rejects with EngineError when the engine refuses or cannot be reached. */
  static async open(engine: Engine, o: { name: string; sharedKey: string; methods: ReadonlyMap<string, Method>; signal?: AbortSignal }): Promise<BuildSession> {
    const id = randomUUID();
    const stream = await engine.dialSession({
      id,
      name: o.name,
      sharedKey: o.sharedKey,
      methods: [...o.methods.keys()],
      ...(o.signal && { signal: o.signal }),
    });
    // Loaded here, not at start-up: a run with nothing to build never pays for node:http2 (~12 ms).
    const http2 = process.getBuiltinModule('node:http2');
    const h2 = http2.performServerHandshake(stream);
    h2.on('error', () => undefined); // the connection's end is seen through `open`
    stream.on('error', () => undefined);
    serveGrpc(h2, o.methods);
    return new BuildSession(id, stream, h2);
  }

  /** False once the daemon or `close` ended the connection: a later build needs a new session. */
  get open(): boolean {
    return !this.h2.closed && !this.h2.destroyed && !this.stream.destroyed;
  }

  /** Ends the connection (calls in flight get a short grace); resolves once the stream is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.stream.destroyed) return resolve();
      this.stream.once('close', () => resolve());
      const cut = setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS);
      cut.unref();
      this.h2.close(() => {
        clearTimeout(cut);
        this.stream.destroy();
      });
    });
    return this.closing;
  }
}
