/**
 * A pass-through proxy in front of the real Docker engine, on a unix socket in a temp dir,
 * that can stop one matching response at an exact point: hold it (before its head, or
 * once N bytes of its body went through) until the test releases it, or cut the connection
 * there (the daemon's connection dropped). Everything else is the real engine's answer.
 * It gives engine tests a moment to act in the middle of a run (swap a folder while an
 * output is read, interrupt mbuild mid-copy) without sleeping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENGINE_SOCKET = process.env['DOCKER_HOST']?.startsWith('unix://') ? process.env['DOCKER_HOST'].slice('unix://'.length) : '/var/run/docker.sock';

/** `METHOD /path` without the API version prefix or the query, e.g. `GET /containers/abc/archive`. */
export type Match = (route: string) => boolean;

export interface Stop {
  /** Resolves when the response got to the point. */
  readonly reached: Promise<void>;
  /** Lets a held response go on (no effect on a cut one). */
  release(): void;
}

interface Rule {
  readonly match: Match;
  readonly action: 'hold' | 'cut';
  /** Body bytes let through first; undefined: stop before the head (hold only). */
  readonly afterBytes?: number;
  readonly reached: () => void;
  readonly released: Promise<void>;
}

export interface EngineProxy {
  /** `unix://...`, for DOCKER_HOST. */
  readonly url: string;
  /** Holds the next response matching `match`, before its head or after `afterBytes` body bytes. */
  hold(match: Match, afterBytes?: number): Stop;
  /** Cuts the connection of the next response matching `match` once `afterBytes` body bytes went through. */
  cut(match: Match, afterBytes: number): Stop;
  /** Every request's route, in the order they came. */
  readonly routes: readonly string[];
  /** Every request's route with the bytes of its body, in the order they came (counted as they arrive). */
  readonly bodies: readonly { readonly route: string; bytes: number }[];
  /** The ids of the BuildKit sessions opened through the proxy (`POST /session`), in order. */
  readonly sessions: readonly string[];
  /** Upgraded connections (sessions) still open, counting both of each pair's sockets once. */
  openUpgrades(): number;
  /** What happened to the upgraded connections, for a failure message. */
  upgradeTimeline(): string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const endToEnd = (h: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP_BY_HOP.has(k)));
const routeOf = (req: IncomingMessage): string => `${req.method!} ${(req.url ?? '/').replace(/^\/v\d+\.\d+/, '').replace(/\?.*$/, '')}`; // a server's request has a method

/** `socket`: the engine behind the proxy (default: the main engine's). */
export async function startEngineProxy(socket: string = ENGINE_SOCKET): Promise<EngineProxy> {
  const routes: string[] = [];
  const bodies: { route: string; bytes: number }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mbuild-engine-proxy-'));
  const socketPath = join(dir, 'docker.sock');
  const rules: Rule[] = [];
  const take = (route: string): Rule | undefined => {
    const i = rules.findIndex((r) => r.match(route));
    return i < 0 ? undefined : rules.splice(i, 1)[0];
  };

  const server = createServer((req, res) => {
    routes.push(routeOf(req));
    const body = { route: routeOf(req), bytes: 0 };
    bodies.push(body);
    req.on('data', (chunk: Buffer) => (body.bytes += chunk.length));
    const rule = take(routeOf(req));
    const up = request({ socketPath: socket, method: req.method, path: req.url, headers: endToEnd(req.headers) }, (ures) => {
      void (async () => {
        if (rule?.action === 'hold' && rule.afterBytes === undefined) {
          rule.reached();
          await rule.released;
        }
        res.writeHead(ures.statusCode ?? 502, endToEnd(ures.headers));
        let sent = 0;
        let stopped = rule === undefined || rule.afterBytes === undefined;
        ures.on('data', (chunk: Buffer) => {
          res.write(chunk);
          sent += chunk.length;
          if (stopped || sent < rule!.afterBytes!) return;
          stopped = true;
          rule!.reached();
          if (rule!.action === 'cut') {
            res.socket?.destroy();
            ures.destroy();
            return;
          }
          ures.pause();
          void rule!.released.then(() => ures.resume());
        });
        ures.on('end', () => res.end());
        ures.on('error', () => res.destroy());
      })();
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  const upgrades = spliceUpgrades(server, socket, (req) => routes.push(routeOf(req)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  const add = (match: Match, action: Rule['action'], afterBytes: number | undefined): Stop => {
    let reached!: () => void;
    let release!: () => void;
    const stop = { reached: new Promise<void>((r) => (reached = r)), release: () => release() };
    rules.push({ match, action, ...(afterBytes !== undefined && { afterBytes }), reached, released: new Promise<void>((r) => (release = r)) });
    return stop;
  };

  return {
    url: `unix://${socketPath}`,
    hold: (match, afterBytes) => add(match, 'hold', afterBytes),
    cut: (match, afterBytes) => add(match, 'cut', afterBytes),
    routes,
    bodies,
    sessions: upgrades.sessions,
    openUpgrades: upgrades.open,
    upgradeTimeline: upgrades.timeline,
    async close() {
      server.closeAllConnections();
      upgrades.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The upgraded connections of a proxy: the BuildKit session ids they announced, and how many are open. */
export interface Upgrades {
  readonly sessions: readonly string[];
  readonly open: () => number;
  /** What happened to each upgraded pair, in order (`client`: the proxy's caller, `engine`: the daemon), with ms since it was spliced: for failure messages. */
  readonly timeline: () => string;
  readonly destroy: () => void;
}

/** Splices upgraded connections (a BuildKit session's `POST /session`) of `server` to the engine at `socket`, raw bytes both ways. */
export function spliceUpgrades(server: Server, socket: string, onRequest: (req: IncomingMessage) => void = () => undefined): Upgrades {
  const sockets = new Set<Socket>();
  const sessions: string[] = [];
  const events: string[] = [];
  let count = 0;
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    onRequest(req);
    const id = req.headers['x-docker-expose-session-uuid'];
    if (typeof id === 'string') sessions.push(id);
    const n = ++count;
    events.push(`#${n} spliced`);
    const t0 = performance.now();
    const up = createConnection(socket, () => {
      const lines = [`${req.method!} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]!}: ${req.rawHeaders[i + 1]!}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    for (const [name, s, other] of [
      ['engine', up, client],
      ['client', client, up],
    ] as const) {
      sockets.add(s);
      // Once one side closed, the other is piped nowhere and paused: resumed, its end (the caller's
      // process gone while the daemon had already closed) is seen and it closes too.
      s.on('close', () => {
        sockets.delete(s);
        other.resume();
      });
      s.on('error', () => other.destroy());
      for (const event of ['end', 'error', 'close']) s.on(event, () => events.push(`#${n} ${name} ${event} +${Math.round(performance.now() - t0)} ms`));
    }
  });
  return {
    sessions,
    timeline: () => events.join('; '),
    open: () => Math.ceil(sockets.size / 2),
    destroy: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
