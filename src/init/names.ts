/**
 * Image names for scaffolded Dockerfiles: the folder's name (`services/api/Dockerfile` ->
 * `api`), with the file's variant (`api/Dockerfile.dev`, `api/dev.Dockerfile` -> `api-dev`);
 * the root's Dockerfile takes the project's name. Names that collide take their whole path
 * (`services-api`), then a number. Every name matches the schema's `^[a-z0-9][a-z0-9._-]*$`.
 */

/** Lower-cased, other characters as `-`, starting and ending with a letter or digit; `''` when nothing is left. */
export function sanitizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[^a-z0-9]+$/, '');
}

/** `Dockerfile` -> `''`, `Dockerfile.dev` -> `dev`, `prod.Dockerfile` -> `prod`. */
export function variantOf(fileName: string): string {
  if (fileName === 'Dockerfile') return '';
  if (fileName.startsWith('Dockerfile.')) return fileName.slice('Dockerfile.'.length);
  return fileName.slice(0, -'.Dockerfile'.length);
}

const join = (...parts: string[]): string => sanitizeName(parts.filter((p) => p !== '').join('-'));

/** The name of each path (relative, with `/`), in the order given; `project`: the root folder's name. */
export function imageNames(paths: readonly string[], project: string): Map<string, string> {
  const split = paths.map((path) => {
    const parts = path.split('/');
    const file = parts.pop()!;
    return { path, folders: parts, variant: variantOf(file) };
  });
  const short = split.map((s) => join(s.folders.at(-1) ?? project, s.variant) || 'app');
  const long = split.map((s, i) => (s.folders.length > 1 ? join(...s.folders, s.variant) || short[i]! : short[i]!));
  const count = (names: string[], n: string) => names.filter((x) => x === n).length;
  const names = new Map<string, string>();
  const taken = new Set<string>();
  split.forEach((s, i) => {
    const base = count(short, short[i]!) > 1 ? long[i]! : short[i]!;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
    taken.add(name);
    names.set(s.path, name);
  });
  return names;
}
