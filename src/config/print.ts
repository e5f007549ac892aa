/**
 * The fully resolved build file (interpolated, `defaults` and `extends` applied, default
 * tags filled in) as a WrittenBuildFile again, so that `mbuild config` output loads back.
 */
import { basename, isAbsolute, relative } from 'node:path';
import type { BuildFile, ImageSpec, WrittenBuildFile, WrittenImage, WrittenSecret } from './types.js';
import { DEFAULT_GC } from './types.js';

const rel = (from: string, to: string): string => relative(from, to).split('\\').join('/') || '.';

/** A host path of `secrets` or `ssh`: relative inside the project, else absolute (`~/` already expanded). */
const hostPath = (root: string, p: string): string => {
  const r = rel(root, p);
  return r === '..' || r.startsWith('../') || isAbsolute(r) ? p : r;
};

/** Where each secret comes from, never a value (the model holds none). */
const secretsOf = (root: string, image: ImageSpec): Record<string, WrittenSecret> =>
  Object.fromEntries(image.secrets.map((s) => [s.id, s.source.kind === 'env' ? { env: s.source.name } : { file: hostPath(root, s.source.path) }]));

/** `ssh` in its map form (a path may hold a comma): `{id: null}` is the agent at $SSH_AUTH_SOCK. */
const sshOf = (root: string, image: ImageSpec): Record<string, string | string[] | null> =>
  Object.fromEntries(
    image.ssh.map((s) => {
      const paths = s.paths.map((p) => hostPath(root, p));
      return [s.id, paths.length === 0 ? null : paths.length === 1 ? paths[0]! : paths];
    }),
  );

/** `context` and the Dockerfile as written: a host Dockerfile relative to the context folder, or with a context image to the build file's folder. */
function writtenContext(file: BuildFile, image: ImageSpec): WrittenImage {
  const df = image.dockerfile;
  const base = image.context ?? file.root;
  const out: WrittenImage =
    image.contextImage === undefined
      ? { context: rel(file.root, image.context) }
      : { context: { image: image.contextImage.from, path: image.contextImage.path } };
  if (df.kind === 'inline') out.dockerfile_inline = df.text;
  else if (df.kind === 'file') out.dockerfile = rel(base, df.path);
  return out;
}

export function resolvedBuildFile(file: BuildFile): WrittenBuildFile {
  const images: Record<string, WrittenImage> = {};
  for (const image of file.images.values()) {
    const out: WrittenImage = writtenContext(file, image);
    if (image.target !== undefined) out.target = image.target;
    const args = Object.entries(image.args);
    if (args.length > 0) out.args = Object.fromEntries(args.map(([k, v]) => [k, v.kind === 'literal' ? v.value : { image: v.image }]));
    out.tags = [...image.tags];
    if (Object.keys(image.labels).length > 0) out.labels = { ...image.labels };
    if (image.dependsOn.length > 0) out.depends_on = [...image.dependsOn];
    if (image.contexts.size > 0) {
      out.contexts = Object.fromEntries(
        [...image.contexts].map(([name, c]) => [name, c.kind === 'external' ? c.ref : { image: c.image, ...(c.path !== undefined && { path: c.path }) }]),
      );
    }
    if (image.mounts.length > 0) out.mounts = image.mounts.map((m) => ({ from: m.from, path: m.path, to: m.to }));
    if (image.outputs.length > 0) out.outputs = image.outputs.map((o) => ({ path: o.path, to: rel(file.root, o.to), ...(o.replace && { replace: true }) }));
    if (image.inputs === 'whole') out.inputs = 'whole';
    if (image.network !== undefined) out.network = image.network;
    if (image.platform !== undefined) out.platform = image.platform;
    out.pull = image.pull;
    if (image.push) out.push = true;
    out.no_cache = image.noCache;
    if (image.secrets.length > 0) out.secrets = secretsOf(file.root, image);
    if (image.secretInKey) out.secret_in_key = true;
    if (image.ssh.length > 0) out.ssh = sshOf(file.root, image);
    images[image.name] = out;
  }
  return {
    version: 1,
    name: file.name,
    ...(Object.keys(file.vars).length > 0 && { vars: { ...file.vars } }),
    ...((file.cache.to !== undefined || file.cache.from.length > 0) && {
      cache: { ...(file.cache.to !== undefined && { to: file.cache.to }), ...(file.cache.from.length > 0 && { from: [...file.cache.from] }) },
    }),
    // The default policy is left out, as every default is.
    ...(file.gc === false && { gc: false }),
    ...(file.gc !== undefined && file.gc !== false && file.gc.keep !== DEFAULT_GC.keep && { gc: { keep: file.gc.keep } }),
    images,
    ...(file.groups.size > 0 && { groups: Object.fromEntries([...file.groups].map(([g, m]) => [g, [...m]])) }),
  };
}

/** A compose file's conversion as an mbuild.yaml to write beside it: its project name made explicit. */
export function convertedBuildFile(file: BuildFile, written: WrittenBuildFile): WrittenBuildFile {
  const { version, name: _name, ...rest } = written;
  return { version, ...(file.name !== '' && { name: file.name }), ...rest };
}

/** The comment heading a conversion: where it came from, what was left out. */
export function convertedHeader(shown: string, skipped: readonly string[]): string {
  const lines = [
    `mbuild build file converted from ${shown} (mbuild config --format mbuild).`,
    '${VAR} values are resolved with the environment and .env of this run.',
    skipped.length > 0 ? `Services without a build section, not converted: ${skipped.join(', ')}.` : '',
    `Saved as mbuild.yaml beside ${basename(shown)}, it is what mbuild reads instead of the compose file.`,
  ];
  return lines
    .filter((l) => l !== '')
    .map((l) => `# ${l.replace(/[\r\n]/g, ' ')}\n`)
    .join('');
}
