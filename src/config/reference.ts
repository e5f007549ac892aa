/**
 * Docker image reference grammar (distribution/reference): `[domain[:port]/]path[:tag][@digest]`.
 */
const component = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const domainPart = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainPart}(?:\\.${domainPart})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const name = `(?:${domain}/)?${component}(?:/${component})*`;

const TAG_RE = new RegExp(`^(${name})(?::(${tag}))?$`);
const REF_RE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
/**
 * The common case of both, without a registry: tried first, since TAG_RE and REF_RE try every
 * way the optional registry could match before they match a name without one (issue 22: a
 * test per image and per Dockerfile reference). What it matches, they match.
 */
const PLAIN_TAG_RE = new RegExp(`^${component}(?:/${component})*(?::${tag})?$`);

/** Why `text` is not a valid `name[:tag]` for tagging, or undefined when it is. */
export function tagProblem(text: string): string | undefined {
  if (text.length > 255) return 'longer than 255 characters';
  // No registry: no port to check.
  if (PLAIN_TAG_RE.test(text)) return undefined;
  if (TAG_RE.test(text)) return portProblem(text);
  if (text.includes('@')) return 'a tag cannot carry a digest';
  if (/[A-Z]/.test(repositoryPath(text))) return 'repository names must be lowercase';
  return "expected [registry/]name[:tag], with lowercase letters, digits and separators '.', '_', '-'";
}

/** A registry port out of range (`reg:99999/x`), which the grammar allows. */
function portProblem(text: string): string | undefined {
  const first = text.split('/')[0]!;
  const port = text.includes('/') ? /^[^[\]]*:(\d+)$|^\[[^\]]*\]:(\d+)$/.exec(first) : null;
  const n = Number(port?.[1] ?? port?.[2] ?? 0);
  return n > 65535 || (port !== null && n === 0) ? `port ${String(n)} of registry ${first} is out of range` : undefined;
}

/** The path of a reference: without its registry (a first component with `.`, `:` or `localhost`), tag and digest. */
function repositoryPath(text: string): string {
  const parts = text.split('@')[0]!.split('/');
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) parts.shift();
  return parts.join('/').replace(/:[^/]*$/, '');
}

export const isImageReference = (text: string): boolean => text.length <= 255 && (PLAIN_TAG_RE.test(text) || REF_RE.test(text));

/** `busybox` -> `busybox:latest`; `reg:5000/x` -> `reg:5000/x:latest`. Digests are left alone. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

/** Why `text` is not a repository without tag or digest (a shared cache's `to` or `from`), or undefined when it is. */
export function repositoryProblem(text: string): string | undefined {
  if (text.includes('@')) return 'a repository takes no digest';
  const problem = tagProblem(text);
  if (problem !== undefined) return problem;
  return text.slice(text.lastIndexOf('/') + 1).includes(':') ? 'a repository takes no tag: mbuild tags each entry with its cache key' : undefined;
}

/**
 * Where a push of `tag` would go when that is Docker Hub's official images
 * (`docker.io/library/<name>`, where no one may push): a tag with no registry and no
 * namespace (every default tag), or that namespace named. Undefined for any other tag.
 */
export function officialImageRepository(tag: string): string | undefined {
  const parts = tag
    .split('@')[0]!
    .replace(/:[^/]*$/, '')
    .split('/');
  const named = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!);
  const registry = named ? parts.shift()! : 'docker.io';
  if (!['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(registry)) return undefined;
  if (parts.length === 2 && parts[0] === 'library') return `docker.io/library/${parts[1]!}`;
  return parts.length === 1 ? `docker.io/library/${parts[0]!}` : undefined;
}
