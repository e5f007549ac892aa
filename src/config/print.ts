/**
 * The fully resolved build file (interpolated, `defaults` and `extends` applied, default
 * tags filled in) as a WrittenBuildFile again, so that `mbuild config` output loads back.
 */
import { relative } from 'node:path';
import type { BuildFile, WrittenBuildFile, WrittenImage } from './types.js';

const rel = (from: string, to: string): string => relative(from, to).split('\\').join('/') || '.';

export function resolvedBuildFile(file: BuildFile): WrittenBuildFile {
  const images: Record<string, WrittenImage> = {};
  for (const image of file.images.values()) {
    const out: WrittenImage = { context: rel(file.root, image.context) };
    if (image.dockerfile.kind === 'inline') out.dockerfile_inline = image.dockerfile.text;
    else out.dockerfile = rel(image.context, image.dockerfile.path);
    if (image.target !== undefined) out.target = image.target;
    const args = Object.entries(image.args);
    if (args.length > 0) out.args = Object.fromEntries(args.map(([k, v]) => [k, v.kind === 'literal' ? v.value : { image: v.image }]));
    out.tags = [...image.tags];
    if (Object.keys(image.labels).length > 0) out.labels = { ...image.labels };
    if (image.dependsOn.length > 0) out.depends_on = [...image.dependsOn];
    if (image.mounts.length > 0) out.mounts = image.mounts.map((m) => ({ from: m.from, path: m.path, to: m.to }));
    if (image.outputs.length > 0) out.outputs = image.outputs.map((o) => ({ path: o.path, to: rel(file.root, o.to), ...(o.replace && { replace: true }) }));
    if (image.inputs === 'whole') out.inputs = 'whole';
    if (image.network !== undefined) out.network = image.network;
    if (image.platform !== undefined) out.platform = image.platform;
    out.pull = image.pull;
    if (image.push) out.push = true;
    out.no_cache = image.noCache;
    images[image.name] = out;
  }
  return {
    version: 1,
    name: file.name,
    ...(Object.keys(file.vars).length > 0 && { vars: { ...file.vars } }),
    ...((file.cache.to !== undefined || file.cache.from.length > 0) && {
      cache: { ...(file.cache.to !== undefined && { to: file.cache.to }), ...(file.cache.from.length > 0 && { from: [...file.cache.from] }) },
    }),
    images,
    ...(file.groups.size > 0 && { groups: Object.fromEntries([...file.groups].map(([g, m]) => [g, [...m]])) }),
  };
}
