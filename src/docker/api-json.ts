/**
 * Pure translation between engine.ts types and the Engine API's wire format: query
 * parameters of `POST /build`, `repo:tag` splitting, and narrowing of the daemon's JSON
 * (image inspect/list, container list, the archive path-stat header) from `unknown`.
 * No I/O here, so every rule is unit-testable without a daemon.
 */
import type { ArchiveStat, BuildRequest, ContainerSummary, ImageInfo, ImageSummary } from './engine.js';

/** Query string values for `POST /build`; `t` is deliberately absent (the caller tags). */
export function buildQuery(req: BuildRequest): Record<string, string> {
  const q: Record<string, string> = {
    dockerfile: req.dockerfile,
    buildargs: JSON.stringify(req.buildArgs),
    labels: JSON.stringify(req.labels),
    pull: req.pull ? '1' : '0',
    nocache: req.noCache ? '1' : '0',
    rm: '1',
    forcerm: '1',
  };
  if (req.target !== undefined && req.target !== '') q['target'] = req.target;
  if (req.network !== undefined && req.network !== '') q['networkmode'] = req.network;
  if (req.platform !== undefined && req.platform !== '') q['platform'] = req.platform;
  q['version'] = req.builder === 'buildkit' ? '2' : '1';
  // BuildKit's handle for POST /build/cancel; the classic builder ignores it, but it still
  // names the build in the request (the benchmarks' proxy maps builds to images by it).
  q['buildid'] = req.buildId;
  if (req.session !== undefined) q['session'] = req.session;
  return q;
}

/**
 * Splits `repo[:tag]` at the last colon after the last slash, so a registry port stays in
 * the repository: `localhost:5000/x:1` → `localhost:5000/x` + `1`; no tag → `latest`.
 */
export function splitRepoTag(ref: string): { readonly repo: string; readonly tag: string } {
  if (ref.includes('@')) throw new Error(`cannot tag with a digest reference: ${ref}`);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  if (repo === '' || tag === '') throw new Error(`not a repo:tag reference: ${JSON.stringify(ref)}`);
  return { repo, tag };
}

/** `filters={"label":[...]}` as the list endpoints expect it; `reference`: images with a tag that matches it too (`docker images --filter reference=`). */
export const labelFilters = (labels: readonly string[], reference?: string): string =>
  JSON.stringify(reference === undefined ? { label: [...labels] } : { label: [...labels], reference: [reference] });

export function toImageInfo(json: unknown): ImageInfo {
  const o = rec(json);
  const config = rec(o['Config']);
  const rootfs = rec(o['RootFS']);
  const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;
  return {
    id: str(o['Id']),
    repoTags: strings(o['RepoTags']),
    labels: labels(config['Labels']),
    size: num(o['Size']),
    created: str(o['Created']),
    layers: strings(rootfs['Layers']),
    // An ENTRYPOINT alone is also enough for `docker create` to accept the image.
    hasCmd: nonEmpty(config['Cmd']) || nonEmpty(config['Entrypoint']),
    onBuild: strings(config['OnBuild']),
    env: strings(config['Env']),
  };
}

export function toImageSummaries(json: unknown): ImageSummary[] {
  return list(json).map((i) => {
    const o = rec(i);
    // Untagged images are listed as `<none>:<none>` by older daemons.
    const parentId = str(o['ParentId']);
    return {
      id: str(o['Id']),
      repoTags: strings(o['RepoTags']).filter((t) => t !== '<none>:<none>'),
      labels: labels(o['Labels']),
      ...(parentId !== '' && { parentId }),
    };
  });
}

export function toContainerSummaries(json: unknown): ContainerSummary[] {
  return list(json).map((c) => {
    const o = rec(c);
    return { id: str(o['Id']), labels: labels(o['Labels']), imageId: str(o['ImageID']) };
  });
}

/** Decodes `X-Docker-Container-Path-Stat` (base64 JSON); undefined when absent or garbled. */
export function parsePathStat(header: string | string[] | undefined): ArchiveStat | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  let o: Record<string, unknown>;
  try {
    o = rec(JSON.parse(Buffer.from(value, 'base64').toString('utf8')));
  } catch {
    return undefined;
  }
  return { name: str(o['name']), size: num(o['size']), mode: num(o['mode']), linkTarget: str(o['linkTarget']) };
}

/** The `message` of an Engine API error body, else the body text itself. */
export function errorMessage(body: string): string {
  try {
    const m = rec(JSON.parse(body))['message'];
    if (typeof m === 'string' && m !== '') return m;
  } catch {
    // not JSON: fall through
  }
  return body.trim() === '' ? 'no message' : body.trim();
}

export function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function strings(v: unknown): string[] {
  return list(v).filter((s): s is string => typeof s === 'string');
}
function labels(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(rec(v))) if (typeof val === 'string') out[k] = val;
  return out;
}
