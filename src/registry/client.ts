/**
 * A registry HTTP API v2 client for a cache keyed by tags (distribution `docs/spec/api.md`):
 * whether a manifest exists (HEAD), its bytes (GET, digest checked), a new tag or repository
 * for an existing manifest without moving a layer (cross-repository blob mounts, then a
 * manifest PUT), and the image ID a manifest names. Every manifest request sends the four
 * manifest media types in `Accept`. Problems are values (`RegistryError`), never exceptions.
 */
import { err, ok, type Result } from '../core/result.js';
import type { Credentials } from './credentials.js';
import { statusError, type RegistryError } from './errors.js';
import type { HttpResponse } from './http.js';
import { MANIFEST_ACCEPT, referencesOf, sha256Digest } from './manifest.js';
import { formatRef, manifestReference, parseImageRef, type ImageRef } from './reference.js';
import { Session, type SessionOptions } from './session.js';

export type { RegistryError } from './errors.js';

export interface ManifestRef {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

/** What `imageConfig` reads of an image's config blob. */
export interface ImageConfig {
  /** The config digest: the image ID an engine gives the image once pulled. */
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Manifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

const pull = (repository: string): string => `repository:${repository}:pull`;
const push = (repository: string): string => `repository:${repository}:pull,push`;
const manifestPath = (ref: ImageRef): string => `/v2/${ref.repository}/manifests/${manifestReference(ref)}`;
/** How deep an index may nest (an index of image manifests is depth 1). */
const MAX_INDEX_DEPTH = 2;

export class RegistryClient {
  private readonly session: Session;

  constructor(credentials: Credentials, opts: SessionOptions = {}) {
    this.session = new Session(credentials, opts);
  }

  /** The manifest `ref` names, by its headers; undefined when the registry has none (404, MANIFEST_UNKNOWN, NAME_UNKNOWN). */
  async head(ref: ImageRef, signal?: AbortSignal): Promise<Result<ManifestRef | undefined, RegistryError>> {
    const what = `HEAD ${formatRef(ref)}`;
    const res = await this.call(
      ref,
      { method: 'HEAD', path: manifestPath(ref), headers: { Accept: MANIFEST_ACCEPT }, scopes: [pull(ref.repository)], what },
      signal,
    );
    if (!res.ok) return res;
    const { status, headers } = res.value;
    if (status === 404) return ok(undefined);
    if (status !== 200) return err(statusError(status, res.value.body, what));
    const digest = headers['docker-content-digest'];
    const size = Number(headers['content-length']);
    if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest) || !Number.isSafeInteger(size)) {
      const got = await this.manifest(ref, signal); // a registry that does not say: read the manifest itself
      if (!got.ok || got.value === undefined) return got.ok ? ok(undefined) : got;
      return ok({ digest: got.value.digest, mediaType: got.value.mediaType, size: got.value.bytes.length });
    }
    return ok({ digest, mediaType: mediaTypeOf(res.value), size });
  }

  /** The manifest's exact bytes, media type and digest (checked against the bytes); undefined when there is none. */
  async manifest(ref: ImageRef, signal?: AbortSignal): Promise<Result<Manifest | undefined, RegistryError>> {
    const what = `GET ${formatRef(ref)}`;
    const res = await this.call(
      ref,
      { method: 'GET', path: manifestPath(ref), headers: { Accept: MANIFEST_ACCEPT }, scopes: [pull(ref.repository)], what },
      signal,
    );
    if (!res.ok) return res;
    const { status, headers, body } = res.value;
    if (status === 404) return ok(undefined);
    if (status !== 200) return err(statusError(status, body, what));
    const digest = sha256Digest(body);
    const said = headers['docker-content-digest'];
    if (typeof said === 'string' && said.startsWith('sha256:') && said !== digest)
      return err({ kind: 'protocol', message: `${what}: the registry says digest ${said}, its bytes are ${digest}` });
    if (ref.digest !== undefined && ref.digest !== digest) return err({ kind: 'protocol', message: `${what}: the manifest's bytes are ${digest}` });
    return ok({ bytes: body, mediaType: mediaTypeOf(res.value), digest });
  }

  /**
   * Puts `from`'s manifest at `to` without moving layers: same registry only; blobs mounted when the
   * repositories differ (an index: its manifests copied first, by digest); `refused` when the registry
   * cannot (a blob it will not mount, a manifest it rejects): then the caller pushes instead.
   */
  copy(from: ImageRef, to: ImageRef, signal?: AbortSignal): Promise<Result<ManifestRef, RegistryError>> {
    return this.copyAt(from, to, 0, signal);
  }

  /** The image ID a schema-2 or OCI image manifest names (its config digest); undefined for no manifest or an index. */
  async configDigest(ref: ImageRef, signal?: AbortSignal): Promise<Result<string | undefined, RegistryError>> {
    const got = await this.manifest(ref, signal);
    if (!got.ok || got.value === undefined) return got.ok ? ok(undefined) : got;
    return ok(referencesOf(got.value.bytes, got.value.mediaType)?.config);
  }

  /**
   * The image a manifest names, read from its config blob without pulling any layer: its ID
   * (the config digest, checked against the bytes) and its labels. Undefined for no manifest
   * or an index; `refused` when the registry sends the blob elsewhere (a redirect).
   */
  async imageConfig(ref: ImageRef, signal?: AbortSignal): Promise<Result<ImageConfig | undefined, RegistryError>> {
    const id = await this.configDigest(ref, signal);
    if (!id.ok || id.value === undefined) return id.ok ? ok(undefined) : id;
    const what = `GET the config of ${formatRef(ref)}`;
    const res = await this.call(ref, { method: 'GET', path: `/v2/${ref.repository}/blobs/${id.value}`, scopes: [pull(ref.repository)], what }, signal);
    if (!res.ok) return res;
    if (res.value.status !== 200) return err(statusError(res.value.status, res.value.body, what));
    if (sha256Digest(res.value.body) !== id.value) return err({ kind: 'protocol', message: `${what}: its bytes are not ${id.value}` });
    return ok({ id: id.value, labels: labelsOf(res.value.body) });
  }

  private async copyAt(from: ImageRef, to: ImageRef, depth: number, signal?: AbortSignal): Promise<Result<ManifestRef, RegistryError>> {
    const what = `copy ${formatRef(from)} to ${formatRef(to)}`;
    if (from.registry !== to.registry) return err({ kind: 'refused', message: `${what}: a manifest can be copied only within one registry` });
    const got = await this.manifest(from, signal);
    if (!got.ok) return got;
    if (got.value === undefined) return err({ kind: 'refused', message: `${what}: ${formatRef(from)} does not exist` });
    const { bytes, mediaType, digest } = got.value;
    if (from.repository !== to.repository) {
      const refs = referencesOf(bytes, mediaType);
      if (refs === undefined) return err({ kind: 'refused', message: `${what}: cannot read a manifest of type ${mediaType}` });
      if (refs.manifests.length > 0 && depth >= MAX_INDEX_DEPTH) return err({ kind: 'refused', message: `${what}: indexes nest too deep` });
      for (const child of refs.manifests) {
        const copied = await this.copyAt({ ...from, digest: child }, { registry: to.registry, repository: to.repository, digest: child }, depth + 1, signal);
        if (!copied.ok) return copied;
      }
      for (const blob of refs.blobs) {
        const mounted = await this.mount(from, to, blob, signal);
        if (!mounted.ok) return mounted;
      }
    }
    const put = await this.call(
      to,
      {
        method: 'PUT',
        path: manifestPath(to),
        headers: { 'Content-Type': mediaType },
        body: bytes,
        scopes: [push(to.repository)],
        what: `PUT ${formatRef(to)}`,
      },
      signal,
    );
    if (!put.ok) return put;
    if (put.value.status !== 201 && put.value.status !== 200) return err(statusError(put.value.status, put.value.body, `${what}: PUT`));
    return ok({ digest, mediaType, size: bytes.length });
  }

  /** `POST .../blobs/uploads/?mount=&from=`: 201 mounted; 202 (an upload began instead) is cancelled and `refused`. */
  private async mount(from: ImageRef, to: ImageRef, blob: string, signal?: AbortSignal): Promise<Result<void, RegistryError>> {
    const what = `mount ${blob} from ${from.repository} into ${to.registry}/${to.repository}`;
    const query = new URLSearchParams({ mount: blob, from: from.repository });
    const res = await this.call(
      to,
      {
        method: 'POST',
        path: `/v2/${to.repository}/blobs/uploads/?${query.toString()}`,
        body: Buffer.alloc(0),
        scopes: [push(to.repository), pull(from.repository)],
        what,
      },
      signal,
    );
    if (!res.ok) return res;
    if (res.value.status === 201) return ok(undefined);
    if (res.value.status !== 202) return err(statusError(res.value.status, res.value.body, what));
    await this.cancelUpload(to, res.value, signal);
    return err({ kind: 'refused', message: `${what}: the registry cannot mount it (it began an upload instead)` });
  }

  /** Cancels the upload a refused mount began (`DELETE <Location>`), on the same registry only; its outcome does not matter. */
  private async cancelUpload(to: ImageRef, res: HttpResponse, signal?: AbortSignal): Promise<void> {
    const location = res.headers.location;
    if (location === undefined) return;
    const url = new URL(location, 'http://registry.invalid');
    if (url.host !== 'registry.invalid' && url.host !== to.registry) return;
    const path = `${url.pathname}${url.search}`;
    await this.call(to, { method: 'DELETE', path, scopes: [push(to.repository)], what: `DELETE the upload` }, signal);
  }

  /** A request about `ref`, refused before it is sent when `ref` is no reference docker would accept. */
  private call(ref: ImageRef, req: Parameters<Session['request']>[1], signal?: AbortSignal): Promise<Result<HttpResponse, RegistryError>> {
    const text = formatRef(ref);
    const parsed = parseImageRef(text);
    if (!parsed.ok || parsed.value.registry !== ref.registry || parsed.value.repository !== ref.repository)
      return Promise.resolve(err({ kind: 'refused', message: parsed.ok ? `"${text}" is not a valid image reference` : parsed.error }));
    return this.session.request(ref.registry, req, signal);
  }
}

/** `config.Labels` of an image config; none when it has none or is not JSON. */
function labelsOf(body: Buffer): Readonly<Record<string, string>> {
  try {
    const labels = (JSON.parse(body.toString('utf8')) as { config?: { Labels?: unknown } } | null)?.config?.Labels;
    if (typeof labels !== 'object' || labels === null) return {};
    return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

/** A response's media type: `Content-Type` without parameters. */
function mediaTypeOf(res: HttpResponse): string {
  const type = res.headers['content-type'] ?? '';
  return type.split(';')[0]!.trim();
}
