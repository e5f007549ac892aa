/**
 * Manifests as a registry stores them (distribution `docs/spec/manifest-v2-2.md`, OCI image-spec):
 * the four media types every request accepts (without them a registry 2.8 rewrites a schema-2
 * manifest to schema 1 by tag, and hides OCI ones), and what a manifest references: an image
 * manifest its config and layers (blobs), an index or list its image manifests.
 */
import { createHash } from 'node:crypto';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** The `Accept` header of every manifest request. */
export const MANIFEST_ACCEPT = [DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX].join(', ');

export const isImageManifest = (mediaType: string): boolean => mediaType === DOCKER_MANIFEST || mediaType === OCI_MANIFEST;
export const isIndex = (mediaType: string): boolean => mediaType === DOCKER_MANIFEST_LIST || mediaType === OCI_INDEX;

/** The digest of exact bytes, as a registry names them. */
export const sha256Digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** What a manifest references: `blobs` (config and layers of an image manifest), `manifests` (of an index). */
export interface References {
  readonly blobs: readonly string[];
  readonly manifests: readonly string[];
  /** An image manifest's config digest: the engine's image ID. */
  readonly config?: string;
}

/** The references of a manifest's bytes; undefined when they are not a manifest of its media type. */
export function referencesOf(bytes: Buffer, mediaType: string): References | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const m = json as { config?: unknown; layers?: unknown; manifests?: unknown };
  if (isImageManifest(mediaType)) {
    const config = digestOf(m.config);
    const layers = Array.isArray(m.layers) ? m.layers.map(digestOf) : [undefined];
    if (config === undefined || layers.some((d) => d === undefined)) return undefined;
    return { blobs: [config, ...(layers as string[])], manifests: [], config };
  }
  if (isIndex(mediaType)) {
    const children = Array.isArray(m.manifests) ? m.manifests.map(digestOf) : [undefined];
    if (children.some((d) => d === undefined)) return undefined;
    return { blobs: [], manifests: children as string[] };
  }
  return undefined;
}

function digestOf(descriptor: unknown): string | undefined {
  const d = (descriptor as { digest?: unknown } | null | undefined)?.digest;
  return typeof d === 'string' && /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d) ? d : undefined;
}
