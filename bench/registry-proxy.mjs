// A counting proxy in front of a registry, for the benches: an HTTP server on 127.0.0.1 that
// forwards every request unchanged (the Host header too, so the registry's upload URLs name
// the proxy) to the registry, and counts requests by method and kind (manifest, blob, blob
// upload, cross-repository mount, tags, ping) and the body bytes each way: what the registry
// served (response bodies: blobs pulled, manifests read) and what it received (uploads,
// manifests written). Tag images `<proxy host>/...` to go through it.
import http from 'node:http';

/** The kind of a registry API path. */
function kindOf(method, url) {
  const path = new URL(url, 'http://x').pathname;
  if (path === '/v2/' || path === '/v2') return 'ping';
  if (/\/manifests\/[^/]+$/.test(path)) return 'manifest';
  if (/\/blobs\/uploads\/?$/.test(path)) return method === 'POST' && new URL(url, 'http://x').searchParams.has('mount') ? 'mount' : 'upload';
  if (/\/blobs\/uploads\/[^/]+$/.test(path)) return 'upload';
  if (/\/blobs\/[^/]+$/.test(path)) return 'blob';
  if (/\/tags\/list$/.test(path)) return 'tags';
  return 'other';
}

/**
 * @param {{port: number, upstream: string}} o  upstream: `127.0.0.1:PORT` of the registry
 * @returns {Promise<{host: string, reset(): void, snapshot(): {requests: Record<string, number>, statuses: Record<string, number>, served: Record<string, number>, received: Record<string, number>}, close(): Promise<void>}>}
 */
export async function startRegistryProxy(o) {
  const [upHost, upPort] = o.upstream.split(':');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let counts = fresh();
  function fresh() {
    return { requests: {}, statuses: {}, served: {}, received: {} };
  }
  const add = (table, key, n) => (table[key] = (table[key] ?? 0) + n);

  const server = http.createServer((req, res) => {
    const key = `${req.method} ${kindOf(req.method, req.url ?? '/')}`;
    const c = counts;
    add(c.requests, key, 1);
    req.on('data', (chunk) => add(c.received, key, chunk.length));
    const up = http.request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers: req.headers, agent }, (ures) => {
      add(c.statuses, `${key} ${ures.statusCode}`, 1);
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, ures.rawHeaders);
      ures.on('data', (chunk) => add(c.served, key, chunk.length));
      ures.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bench registry proxy: ${e.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', resolve);
  });
  return {
    host: `127.0.0.1:${o.port}`,
    reset: () => (counts = fresh()),
    snapshot: () => structuredClone(counts),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
