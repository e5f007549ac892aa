/**
 * Where the modeline of a scaffolded build file points: the JSON Schema of the mbuild that
 * runs (`schema/mbuild.schema.json` of its package), as the project's own `node_modules`
 * holds it when it does, else by the path to this installation; always a file that exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCHEMA = join('schema', 'mbuild.schema.json');

/** The package folder of the running mbuild: the nearest parent with schema/mbuild.schema.json (src/init, dist/init, dist/bundle). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from, i = 0; i < 5; dir = dirname(dir), i++) if (existsSync(join(dir, SCHEMA))) return dir;
  return undefined;
}

const packageName = (root: string): string | undefined => {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
};

/** The modeline's path relative to `dir` (the build file's folder), with `/`; undefined when no schema file is found. */
export function schemaPathFor(dir: string, root: string | undefined = packageRoot()): string | undefined {
  if (root === undefined) return undefined;
  const name = packageName(root);
  const local = name === undefined ? undefined : join(dir, 'node_modules', name, SCHEMA);
  const target = local !== undefined && existsSync(local) ? local : join(root, SCHEMA);
  const rel = relative(dir, target).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}
