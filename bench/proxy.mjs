// A counting proxy in front of the Docker Engine API, for the benchmarks: a unix socket
// server that forwards every request to the engine's socket unchanged and records, per
// POST /build, the request body bytes (the build context, after HTTP chunk decoding), the
// time from the request's first byte to the response's last byte, and the `t=` tag.
// Point a tool at it with DOCKER_HOST=unix://<path>. Upgraded connections (attach,
// BuildKit sessions) are spliced through byte for byte.
import { createConnection } from 'node:net';
import http from 'node:http';
import { rmSync } from 'node:fs';

const BUILD = /^(?:\/v[0-9.]+)?\/build(?:\?|$)/;

function parseLabels(text) {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/**
 * @param {{path: string, upstream?: string, refuseSessions?: boolean}} o  refuseSessions: answer `POST /session` 404, as an engine without sessions would
 * @returns {Promise<{path: string, reset(): void, snapshot(): {requests: number, builds: {tags: string[], labels: Record<string, string>, buildId: string, bytes: number, ms: number, start: number, end: number}[]}, close(): Promise<void>}>}
 */
export async function startProxy(o) {
  const upstream = o.upstream ?? '/var/run/docker.sock';
  rmSync(o.path, { force: true });
  let requests = 0;
  /** Every request: method, path, start and duration (ms). */
  let trace = [];
  /** @type {{tags: string[], labels: Record<string, string>, buildId: string, bytes: number, ms: number, start: number, end: number}[]} */
  let builds = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const server = http.createServer((req, res) => {
    requests++;
    const started = performance.now();
    const traced = { method: req.method, path: req.url, start: started, ms: -1 };
    trace.push(traced);
    res.on('finish', () => (traced.ms = performance.now() - started));
    const isBuild = req.method === 'POST' && BUILD.test(req.url ?? '');
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const record = isBuild
      ? { tags: query.getAll('t'), labels: parseLabels(query.get('labels')), buildId: query.get('buildid') ?? '', bytes: 0, ms: 0, start: started, end: 0 }
      : null;
    if (record) builds.push(record);
    const up = http.request({ socketPath: upstream, method: req.method, path: req.url, headers: req.headers, agent }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, ures.rawHeaders);
      ures.pipe(res);
      ures.on('end', () => {
        if (record) {
          record.end = performance.now();
          record.ms = record.end - started;
        }
      });
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bench proxy: ${e.message}`);
    });
    // A client that hangs up (e.g. a cancelled build) cancels the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (record) req.on('data', (chunk) => (record.bytes += chunk.length));
    req.pipe(up);
  });

  // Connection upgrades (hijacked streams): splice raw bytes both ways.
  server.on('upgrade', (req, socket, head) => {
    requests++;
    trace.push({ method: req.method, path: (req.url ?? '').replace(/\?.*$/, ''), start: performance.now(), ms: -1 });
    if (o.refuseSessions && /^(?:\/v[0-9.]+)?\/session(?:\?|$)/.test(req.url ?? '')) {
      const body = '{"message":"page not found"}';
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const up = createConnection(upstream, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });

  server.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.path, resolve);
  });
  return {
    path: o.path,
    reset() {
      requests = 0;
      builds = [];
      trace = [];
    },
    snapshot: () => ({ requests, builds: builds.map((b) => ({ ...b })), trace: [...trace] }),
    // Every connection is dropped at once, so nothing is left to wait for: the close callback
    // is not waited on (with an upgraded session stream it may never come, and a script whose
    // last step awaited it ended with exit 13, a top-level await left unsettled).
    close: async () => {
      server.close();
      server.closeAllConnections();
      agent.destroy();
      rmSync(o.path, { force: true });
    },
  };
}
