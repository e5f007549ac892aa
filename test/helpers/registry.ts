/**
 * Real registries for engine tests (registry-server.mjs, shared with the benches: plain HTTP
 * on 127.0.0.1, optionally htpasswd), and what tests do to them behind mbuild's back:
 * entries deleted, blobs unlinked.
 */
import { basicHeader, type BasicUser } from './registry-server.mjs';

export { REGISTRY_BIN, bcrypt, exitOf, freePort, startRegistry, stopChild, tagsOf, waitFor, type BasicUser, type TestRegistry } from './registry-server.mjs';

const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** Deletes the manifest a tag names (by its digest, as the API requires): a cache entry that vanished from the registry. */
export async function deleteManifest(host: string, repo: string, tag: string, auth?: BasicUser): Promise<void> {
  const head = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_ACCEPT, ...basicHeader(auth) } });
  const digest = head.headers.get('docker-content-digest');
  if (head.status !== 200 || digest === null) throw new Error(`HEAD ${host}/${repo}:${tag}: ${String(head.status)}`);
  const del = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: basicHeader(auth) });
  await del.arrayBuffer();
  if (del.status !== 202) throw new Error(`DELETE ${host}/${repo}@${digest}: ${String(del.status)}`);
}

/** Unlinks a blob from one repository (the registry then cannot mount it from there). */
export async function deleteBlob(host: string, repo: string, digest: string, auth?: BasicUser): Promise<void> {
  const del = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'DELETE', headers: basicHeader(auth) });
  await del.arrayBuffer();
  if (del.status !== 202) throw new Error(`DELETE ${host}/${repo} blob ${digest}: ${String(del.status)}`);
}

/** Status of `HEAD /v2/<repo>/blobs/<digest>`: 200 when the repository has the blob. */
export async function blobStatus(host: string, repo: string, digest: string, auth?: BasicUser): Promise<number> {
  const res = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: basicHeader(auth) });
  return res.status;
}
