/**
 * Engine API version negotiation and BuildKit detection, as pure functions over what
 * `GET /_ping` and `GET /version` returned. Owns the rules: DOCKER_API_VERSION wins
 * when set (as in the docker CLI) but must lie within what the daemon supports;
 * otherwise min(daemon's version, ours), never below the daemon's minimum.
 */

/** The newest API version mbuild speaks. Newer daemons are asked for this one. */
export const MAX_API_VERSION = '1.47';
/** BuildKit (`POST /build?version=2`) appeared with Docker 18.09. */
export const BUILDKIT_MIN_API_VERSION = '1.38';

const VERSION = /^v?(\d+)\.(\d+)$/;

/** Compares `1.41`-style versions; throws on anything else. */
export function compareApiVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  return pa[0] !== pb[0] ? pa[0] - pb[0] : pa[1] - pb[1];
}

function parse(v: string): [number, number] {
  const m = VERSION.exec(v.trim());
  if (!m) throw new Error(`not an API version: ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

export const isApiVersion = (v: string): boolean => VERSION.test(v.trim());

export interface ServerVersions {
  /** The daemon's newest API version (`Api-Version` header, `/version` ApiVersion). */
  readonly apiVersion: string;
  /** `/version` MinAPIVersion, when reported. */
  readonly minApiVersion?: string;
}

/** The version to use for every request, or why none can be used. */
export function negotiateApiVersion(
  server: ServerVersions,
  requested: string | undefined,
): { readonly ok: true; readonly version: string } | { readonly ok: false; readonly message: string } {
  if (!isApiVersion(server.apiVersion)) return { ok: false, message: `the engine reported an invalid API version ${JSON.stringify(server.apiVersion)}` };
  const min = server.minApiVersion !== undefined && isApiVersion(server.minApiVersion) ? strip(server.minApiVersion) : undefined;
  const max = strip(server.apiVersion);
  const wanted = requested?.trim();
  if (wanted !== undefined && wanted !== '') {
    if (!isApiVersion(wanted)) return { ok: false, message: `DOCKER_API_VERSION=${wanted} is not an API version like 1.41` };
    const v = strip(wanted);
    if (compareApiVersions(v, max) > 0) return { ok: false, message: `DOCKER_API_VERSION=${v} is newer than the engine's API version ${max}` };
    if (min !== undefined && compareApiVersions(v, min) < 0)
      return { ok: false, message: `DOCKER_API_VERSION=${v} is older than the engine's minimum API version ${min}` };
    return { ok: true, version: v };
  }
  let v = compareApiVersions(max, MAX_API_VERSION) < 0 ? max : MAX_API_VERSION;
  if (min !== undefined && compareApiVersions(v, min) < 0) v = min;
  return { ok: true, version: v };
}

const strip = (v: string): string => v.trim().replace(/^v/, '');

/**
 * Whether `POST /build?version=2` is available. An explicit `Builder-Version` header on
 * `/_ping` decides (`2`: yes; `1`: the operator turned BuildKit off). Docker 20.10 sends
 * no such header unless `features.buildkit` is set in daemon.json, yet serves BuildKit on
 * Linux from API 1.38 on, so without the header the API version and OS decide.
 */
export function detectBuildkit(apiVersion: string, builderVersionHeader: string | undefined, os: string): boolean {
  if (builderVersionHeader === '2') return true;
  if (builderVersionHeader === '1') return false;
  return os.toLowerCase() === 'linux' && isApiVersion(apiVersion) && compareApiVersions(apiVersion, BUILDKIT_MIN_API_VERSION) >= 0;
}
