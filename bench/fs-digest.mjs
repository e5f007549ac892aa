// The digest of an image's file system, for checking that the tools built the same thing:
// a created (never started) container's `GET /containers/{id}/export`, one line per entry
// (path, type, permission bits, uid:gid, SHA-256 of a file's content, a link's target),
// sorted, hashed. Modification times are left out: they differ by nature (RUN steps).
import { createHash } from 'node:crypto';
import http from 'node:http';
import { extract } from 'tar-stream';

const SOCKET = '/var/run/docker.sock';

function api(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: SOCKET, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      if ((res.statusCode ?? 500) >= 300) {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`)));
        return;
      }
      resolve(res);
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function json(method, path, body) {
  const res = await api(method, path, body);
  let text = '';
  for await (const d of res) text += d;
  return text ? JSON.parse(text) : undefined;
}

const TYPES = { file: 'f', directory: 'd', symlink: 'l', link: 'h' };

/** `{digest, entries, id}` of the image `ref` (a tag or an ID); memoised by image ID. */
const memo = new Map();
export async function imageDigest(ref) {
  const info = await json('GET', `/images/${encodeURIComponent(ref)}/json`);
  const id = info.Id;
  if (!memo.has(id)) memo.set(id, digestOf(id));
  return { id, ...(await memo.get(id)) };
}

async function digestOf(id) {
  const created = await json('POST', '/containers/create', { Image: id, Cmd: ['/bin/true'], NetworkDisabled: true, Labels: { 'mbuild-bench': '1' } });
  try {
    const res = await api('GET', `/containers/${created.Id}/export`);
    const lines = [];
    const ex = extract();
    const done = (async () => {
      for await (const entry of ex) {
        const h = entry.header;
        const type = TYPES[h.type] ?? h.type;
        let what = '';
        if (h.type === 'file') {
          const hash = createHash('sha256');
          for await (const c of entry) hash.update(c);
          what = hash.digest('hex').slice(0, 32);
        } else {
          entry.resume();
          if (h.type === 'symlink' || h.type === 'link') what = `-> ${h.linkname}`;
        }
        lines.push(`${h.name.replace(/\/+$/, '')} ${type} ${(h.mode & 0o7777).toString(8)} ${h.uid}:${h.gid} ${what}`);
      }
    })();
    res.pipe(ex);
    await done;
    lines.sort();
    return { digest: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16), entries: lines.length };
  } finally {
    await json('DELETE', `/containers/${created.Id}?force=1`).catch(() => {});
  }
}
