/**
 * Pushes and pulls through the Engine API (v1.41, Docker 20.10) with an `X-Registry-Auth`
 * header, as mbuild's executor sends them: `POST /images/{name}/push?tag=` and
 * `POST /images/create?fromImage=&tag=`. The answer streams JSON lines; an error may come after
 * the status 200 as a line with `errorDetail`, so every line is read.
 */
import http from 'node:http';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** The socket path of a `unix://` host; the default socket when none is given. */
export const socketOf = (host?: string): string => (host === undefined ? DEFAULT_SOCKET : host.replace(/^unix:\/\//, ''));

interface Line {
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { message?: string };
  readonly aux?: { Digest?: string; Size?: number };
}

/** `POST path` on the engine with `X-Registry-Auth: auth`; every JSON line of the answer. Throws on a status other than 200 or an error line. */
async function streamCall(path: string, auth: string, host?: string): Promise<Line[]> {
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ socketPath: socketOf(host), path: `/v1.41${path}`, method: 'POST', headers: { 'X-Registry-Auth': auth } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  if (status !== 200) throw new Error(`engine ${path}: ${String(status)} ${body.trim()}`);
  const lines = body
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
  const failed = lines.find((l) => l.error !== undefined || l.errorDetail !== undefined);
  if (failed !== undefined) throw new Error(`engine ${path}: ${failed.errorDetail?.message ?? failed.error ?? ''}`);
  return lines;
}

/** Pushes `name:tag` from the engine; the manifest digest and size the engine reports. */
export async function enginePush(name: string, tag: string, auth: string, host?: string): Promise<{ digest: string; size: number }> {
  const lines = await streamCall(`/images/${encodeURIComponent(name)}/push?tag=${encodeURIComponent(tag)}`, auth, host);
  const aux = lines.find((l) => l.aux?.Digest !== undefined)?.aux;
  if (aux?.Digest === undefined || aux.Size === undefined) throw new Error(`engine push ${name}:${tag}: no digest in the answer`);
  return { digest: aux.Digest, size: aux.Size };
}

/** Pulls `name:tag` into the engine; its last status line. */
export async function enginePull(name: string, tag: string, auth: string, host?: string): Promise<string> {
  const lines = await streamCall(`/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`, auth, host);
  return lines.at(-1)?.status ?? '';
}
