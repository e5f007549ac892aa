/**
 * Image references, parsed as the docker CLI parses them (distribution `reference/normalize.go`
 * ParseNormalizedNamed and `reference/regexp.go`): `[registry/]path[:tag][@digest]`. The first
 * component is a registry when it has a `.` or a `:` or is `localhost`; otherwise the image is on
 * Docker Hub (`docker.io`), where a one-component path is an official image (`library/x`).
 * Path components are lowercase; a tag is `[\w][\w.-]{0,127}`; the name is at most 255 characters.
 */
import { err, ok, type Result } from '../core/result.js';

export interface ImageRef {
  /** `host[:port]`; `docker.io` for Docker Hub. */
  readonly registry: string;
  /** `library/busybox` for Hub official images. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const DOCKER_HUB = 'docker.io';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})$/;
/** Hex lengths of the digests go-digest knows; their hex is lowercase. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
const NAME_MAX = 255;

export const isValidTag = (tag: string): boolean => TAG.test(tag);

/** Whether `digest` is `algorithm:hex` with an algorithm go-digest knows and hex of its length. */
export function isValidDigest(digest: string): boolean {
  const m = DIGEST.exec(digest);
  return m !== null && DIGEST_HEX_LENGTH[m[1]!] === m[2]!.length && /^[0-9a-f]+$/.test(m[2]!);
}

/** Parses `text` the way `docker push`/`docker pull` read their argument. */
export function parseImageRef(text: string): Result<ImageRef, string> {
  const bad = (why: string) => err(`invalid image reference "${text}": ${why}`);
  if (text === '') return bad('it is empty');
  if (/^[a-f0-9]{64}$/.test(text)) return bad('a 64-character hexadecimal string is an image ID, not a repository name');
  const at = text.indexOf('@');
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const named = at === -1 ? text : text.slice(0, at);
  if (digest !== undefined && !isValidDigest(digest)) return bad(`the digest "${digest}" is not valid (expected sha256: and 64 lowercase hex digits)`);
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  const name = hasTag ? named.slice(0, colon) : named;
  if (tag !== undefined && !isValidTag(tag))
    return bad(`the tag "${tag}" is not valid (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')`);
  const split = splitRegistry(name);
  if (!split.ok) return bad(split.error);
  const { registry, repository } = split.value;
  if (`${registry}/${repository}`.length > NAME_MAX) return bad(`the repository name is longer than ${NAME_MAX} characters`);
  return ok({ registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) });
}

/** A name (no tag, no digest) split into its registry and repository, Docker Hub's normalised. */
function splitRegistry(name: string): Result<{ registry: string; repository: string }, string> {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isRegistry = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = isRegistry ? first : DOCKER_HUB;
  let repository = isRegistry ? name.slice(slash + 1) : name;
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (isRegistry && !DOMAIN.test(registry)) return err(`the registry "${registry}" is not a valid host[:port]`);
  if (repository === '') return err('the repository name is empty');
  if (repository !== repository.toLowerCase()) return err('the repository name must be lowercase');
  const component = repository.split('/').find((c) => !PATH_COMPONENT.test(c));
  if (component !== undefined)
    return err(
      component === ''
        ? 'the repository name has an empty component'
        : `"${component}" is not a valid repository name component (lowercase letters and digits, separated by '.', '_', '__' or '-')`,
    );
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return ok({ registry, repository });
}

/** `registry/repository` as the engine wants it; Docker Hub's short form (`busybox`, `user/app`). */
export function formatName(ref: ImageRef): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.repository}`;
  const rest = ref.repository.slice('library/'.length);
  return ref.repository.startsWith('library/') && !rest.includes('/') ? rest : ref.repository;
}

/** `registry/repository[:tag][@digest]`, as the engine wants it. */
export const formatRef = (ref: ImageRef): string =>
  `${formatName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;

/** The same repository at `tag` (and no digest). Throws on a tag docker would refuse: a defect of the caller. */
export function withTag(ref: ImageRef, tag: string): ImageRef {
  if (!isValidTag(tag)) throw new Error(`Internal error: "${tag}" is not a valid tag`);
  return { registry: ref.registry, repository: ref.repository, tag };
}

/** What a manifest request names: the digest when there is one, else the tag, else `latest` as docker does. */
export const manifestReference = (ref: ImageRef): string => ref.digest ?? ref.tag ?? 'latest';
