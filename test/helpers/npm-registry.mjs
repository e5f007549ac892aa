// A private npm registry for the session tests, on loopback only: a node:http server on
// 127.0.0.1 at a free port serving a few packages (the packument JSON npm asks for, and each
// version's tarball) to requests that carry `Authorization: Bearer <token>`, and 401 to every
// other request, as a private registry does. Each package's tarball is made here with `tar`
// from the files given (under `package/`, fixed owner and dates, so the same files give the
// same bytes) with its sha1 shasum and sha512 integrity, as npm checks them. Every request is
// recorded (method, path, whether it carried the token) so a test can assert the token was
// used, without holding the header itself. Plain JavaScript (types in npm-registry.d.mts),
// like its siblings.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The package a registry serves when none is given: `@acme/greet@1.0.0`, `greet(who)`. */
export const GREET = {
  name: '@acme/greet',
  version: '1.0.0',
  files: { 'index.js': 'exports.greet = (who) => `Hello, ${who}! (@acme/greet 1.0.0)`;\n' },
};

/** `@acme/greet` → `greet`: the tarball's file name starts with the name without its scope. */
const bareName = (name) => name.split('/').pop();

/** A gzipped tar of `files` under `package/` plus a package.json (unless given): its bytes. */
function packTarball(pkg) {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-npm-pack-'));
  try {
    const files = { 'package.json': `${JSON.stringify({ name: pkg.name, version: pkg.version, main: 'index.js' }, null, 2)}\n`, ...pkg.files };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'package', path)), { recursive: true });
      writeFileSync(join(dir, 'package', path), text);
    }
    // prettier-ignore
    const tar = execFileSync('tar', ['-c', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=2000-01-01 00:00:00Z', 'package'], { cwd: dir, maxBuffer: 64 << 20 });
    return gzipSync(tar); // no file name, mtime 0: the same files give the same bytes
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The packument of one package with one version, its tarball at `base`. */
function packument(pkg, tarball, base) {
  const file = `${bareName(pkg.name)}-${pkg.version}.tgz`;
  const dist = {
    tarball: `${base}${pkg.name}/-/${file}`,
    shasum: createHash('sha1').update(tarball).digest('hex'),
    integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
  };
  return {
    path: `/${pkg.name}/-/${file}`,
    json: JSON.stringify({
      name: pkg.name,
      'dist-tags': { latest: pkg.version },
      versions: { [pkg.version]: { name: pkg.name, version: pkg.version, main: 'index.js', dist } },
    }),
  };
}

/** Starts the registry; resolves once it listens. `token`: what `Authorization: Bearer` must carry. */
export async function startNpmRegistry(o) {
  if (typeof o?.token !== 'string' || o.token === '') throw new Error('npm registry: a token is required');
  const packages = o.packages ?? [GREET];
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  const url = `http://127.0.0.1:${port}/`;
  /** Path → [content type, body]. npm asks for a scoped package as `/@scope%2fname`. */
  const routes = new Map();
  for (const pkg of packages) {
    const tarball = packTarball(pkg);
    const doc = packument(pkg, tarball, url);
    routes.set(`/${pkg.name}`, ['application/json', doc.json]);
    routes.set(`/${pkg.name.replace('/', '%2f')}`, ['application/json', doc.json]);
    routes.set(`/${pkg.name.replace('/', '%2F')}`, ['application/json', doc.json]);
    routes.set(doc.path, ['application/octet-stream', tarball]);
  }
  const requests = [];
  const expected = `Bearer ${o.token}`;
  server.on('request', (req, res) => {
    const header = req.headers.authorization;
    const authorized = header === expected;
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? 'GET', path, authorized, withAuthorization: header !== undefined });
    req.resume();
    if (!authorized) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="mbuild-test"' });
      return void res.end('{"error":"authentication required"}');
    }
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes.get(path) : undefined;
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end('{"error":"not found"}');
    }
    res.writeHead(200, { 'content-type': route[0], 'content-length': Buffer.byteLength(route[1]) });
    res.end(req.method === 'HEAD' ? undefined : route[1]);
  });
  let stopped;
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    stop: () =>
      (stopped ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
