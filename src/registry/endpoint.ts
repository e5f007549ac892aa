/**
 * Where a registry's API is: plain `http://` for loopback hosts (localhost, 127.0.0.0/8, [::1]),
 * as the engine's own resolver does for them; `https://` otherwise, trusting the system's roots
 * plus the engine's extra CAs for that host (`/etc/docker/certs.d/<host:port>/*.crt`, moby
 * `registry/registry.go` ReadCertsDirectory). Docker Hub's API is at registry-1.docker.io.
 */
import { readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { DOCKER_HUB } from './reference.js';

export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

/** Whether `hostname` (as URL.hostname gives it: `[::1]` bracketed) is this machine. */
export const isLoopback = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.(?:\d{1,3})\.(?:\d{1,3})\.(?:\d{1,3})$/.test(hostname);

/** The base URL of a registry's API (`http://127.0.0.1:5000`, `https://registry-1.docker.io`). */
export function registryBase(registry: string): URL {
  const host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
  const url = new URL(`http://${host}`);
  return isLoopback(url.hostname) ? url : new URL(`https://${host}`);
}

/** The extra CAs of `certsDir/<host:port>/*.crt`, PEM; none when the folder is absent. */
export function extraCAs(certsDir: string, hostPort: string): string[] {
  const dir = join(certsDir, hostPort);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.crt'));
  } catch {
    return [];
  }
  return names.sort().flatMap((n) => {
    try {
      return [readFileSync(join(dir, n), 'utf8')];
    } catch {
      return [];
    }
  });
}

/** One https agent per `host:port`, trusting the system's roots and that host's extra CAs; kept-alive connections. */
export class Agents {
  private readonly agents = new Map<string, https.Agent>();

  constructor(private readonly certsDir: string) {}

  for(url: URL): https.Agent | undefined {
    if (url.protocol !== 'https:') return undefined;
    let agent = this.agents.get(url.host);
    if (agent === undefined) {
      const extra = extraCAs(this.certsDir, url.host);
      agent = new https.Agent({ keepAlive: true, ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}) });
      this.agents.set(url.host, agent);
    }
    return agent;
  }
}
