/**
 * A docker CLI config folder (what DOCKER_CONFIG names) with contexts laid out as the docker
 * CLI's context store writes them: contexts/meta/<sha256(name)>/meta.json and
 * contexts/tls/<sha256(name)>/docker/*.pem.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const contextId = (name: string): string => createHash('sha256').update(name).digest('hex');

export interface ContextSpec {
  /** The docker endpoint as stored: `{Host, SkipTLSVerify}`; `null` stores a context without one. */
  readonly docker: Record<string, unknown> | null;
  /** File name (ca.pem, cert.pem, key.pem) -> contents. */
  readonly tls?: Record<string, string>;
}

export function writeContext(configDir: string, name: string, spec: ContextSpec): string {
  const meta = join(configDir, 'contexts', 'meta', contextId(name));
  mkdirSync(meta, { recursive: true });
  const endpoints = spec.docker === null ? {} : { docker: spec.docker };
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: endpoints }));
  if (spec.tls !== undefined) {
    const tls = join(configDir, 'contexts', 'tls', contextId(name), 'docker');
    mkdirSync(tls, { recursive: true });
    for (const [f, text] of Object.entries(spec.tls)) writeFileSync(join(tls, f), text);
  }
  return join(meta, 'meta.json');
}

/** config.json with `currentContext`, as `docker context use NAME` writes it. */
export function writeCurrentContext(configDir: string, name: string): string {
  mkdirSync(configDir, { recursive: true });
  const file = join(configDir, 'config.json');
  writeFileSync(file, JSON.stringify({ auths: {}, currentContext: name }, null, '\t'));
  return file;
}
