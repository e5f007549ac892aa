/**
 * A minimal Language Server Protocol client over stdio (JSON-RPC with Content-Length
 * framing), enough to drive a real language server from a test: requests, notifications,
 * answers to the server's own requests (`answers`, else null), and waiting for a notification
 * that matches.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

interface Message {
  readonly jsonrpc: '2.0';
  readonly id?: number | string;
  readonly method?: string;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: { code: number; message: string };
}

interface Waiter {
  readonly method: string;
  readonly test: (params: unknown) => boolean;
  readonly resolve: (params: unknown) => void;
}

export class LspClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly notifications: Message[] = [];
  private waiters: Waiter[] = [];
  private stderr = '';

  /** `answers`: the result of each request of the server by method (`workspace/configuration`...), from its params. */
  constructor(
    command: string,
    args: readonly string[],
    cwd: string,
    private readonly answers: Readonly<Record<string, (params: unknown) => unknown>> = {},
  ) {
    this.child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`language server exited (${String(code ?? signal)}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** The first notification `method` (already received or to come) whose params pass `test`. */
  notification<T>(method: string, test: (params: T) => boolean): Promise<T> {
    const seen = this.notifications.find((m) => m.method === method && test(m.params as T));
    if (seen !== undefined) return Promise.resolve(seen.params as T);
    return new Promise<T>((resolve) => this.waiters.push({ method, test: test as (p: unknown) => boolean, resolve: resolve as (p: unknown) => void }));
  }

  /** shutdown + exit, then SIGKILL by PID if the server is still there; resolves once it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const kill = setTimeout(() => this.child.pid !== undefined && process.kill(this.child.pid, 'SIGKILL'), 2000);
    try {
      await Promise.race([this.request('shutdown', null), gone]);
      this.notify('exit', null);
    } catch {
      // the server is gone already
    }
    await gone;
    clearTimeout(kill);
  }

  private send(message: Message): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString('ascii'))?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      // A request of the server (workspace/configuration, client/registerCapability...).
      this.send({ jsonrpc: '2.0', id: message.id, result: this.answers[message.method]?.(message.params) ?? null });
    } else if (message.method !== undefined) {
      this.notifications.push(message);
      const ready = this.waiters.filter((w) => w.method === message.method && w.test(message.params));
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(message.params);
    } else if (typeof message.id === 'number') {
      const p = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) p?.reject(new Error(`${message.error.code}: ${message.error.message}`));
      else p?.resolve(message.result);
    }
  }
}
