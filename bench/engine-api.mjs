// What the bench scripts share about the engine: its API on the default socket, the removal
// of every image a tool built for a project (by the labels the generated Dockerfiles set),
// and how docker-compose (v1, Debian's package) is installed when missing.
import http from 'node:http';

/** One Engine API call on `socket` (default: the main engine's); its JSON body (null when empty), or an error with the status. */
export function engineApi(method, path, socket = '/var/run/docker.sock') {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () =>
        (res.statusCode ?? 500) < 300 ? resolve(text ? JSON.parse(text) : null) : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** One `GET /_ping` on DOCKER_HOST's socket (else the main engine's): the one engine call a floor for a no-op makes. */
export function pingEngine() {
  const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`/_ping: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const labelsOf = (tool, project) => [`bench.tool=${tool}`, `bench.project=${project}`];

/**
 * POST /images/prune, again while the engine answers 409 "a prune operation is already running"
 * (the engine is shared: another bench or a test may be pruning), for up to a minute, every 250 ms.
 */
async function prune(filters) {
  for (let waited = 0; ; waited += 250) {
    try {
      return await engineApi('POST', `/images/prune?filters=${filters}`);
    } catch (e) {
      if (!/: 409 .*prune operation is already running/.test(e.message) || waited >= 60_000) throw e;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Prunes every image carrying all of `labels` (`key=value`), untagged ones too, until a pass deletes nothing. */
export async function pruneByLabel(...labels) {
  const filters = encodeURIComponent(JSON.stringify({ label: labels, dangling: ['false'] }));
  for (let pass = 0; pass < 50; pass++) {
    const r = await prune(filters);
    if (!r?.ImagesDeleted?.length) break;
  }
}

/** Prunes the images a tool built for a project (untagged layers too) until a pass deletes nothing; the images still left. */
export async function pruneLabelled(tool, project) {
  await pruneByLabel(...labelsOf(tool, project));
  return engineApi('GET', `/images/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: labelsOf(tool, project) }))}`);
}

/** A shell command that installs docker-compose with apt-get (updating the lists only when the first try fails). */
export const INSTALL_COMPOSE =
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }';
