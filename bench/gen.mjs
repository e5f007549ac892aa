// Generates synthetic monorepos for the benchmarks: `levels` x `width` images, each
// level FROM an image of the level above (fan-out), optional {image:} arg edges and
// mounts, a RUN step (optionally sleeping), and `files` source files per context.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {{dir: string, name: string, levels: number, width: number, sleep?: number,
 *          files?: number, fileBytes?: number, argEdges?: boolean, mounts?: boolean}} o
 * @returns {{images: string[], tagOf: (image: string) => string}}
 */
export function generate(o) {
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const images = [];
  const lines = ['version: 1', `name: ${o.name}`, 'defaults:', '  network: none', 'images:'];
  const tagOf = (image) => `${o.name}/${image}:bench`;
  for (let level = 0; level < o.levels; level++) {
    for (let i = 0; i < o.width; i++) {
      const image = `l${level}i${i}`;
      images.push(image);
      const parent = level === 0 ? null : `l${level - 1}i${i % o.width}`;
      const ctx = join(o.dir, image);
      mkdirSync(join(ctx, 'src'), { recursive: true });
      for (let f = 0; f < (o.files ?? 1); f++) {
        writeFileSync(join(ctx, 'src', `f${f}.txt`), `${image} file ${f}\n`.padEnd(o.fileBytes ?? 16, '.'));
      }
      const df = [`FROM ${parent ? tagOf(parent) : 'busybox'}`];
      if (o.argEdges && level > 1) df.push(`ARG UP`, `RUN echo "$UP" > /up-${image}`);
      df.push(`COPY src/ /srv/${image}/`);
      if (o.mounts && level > 0) df.push(`COPY mounted/ /srv/${image}-mounted/`);
      df.push(`RUN ${o.sleep ? `sleep ${o.sleep} && ` : ''}echo ${image} > /built-${image}`);
      writeFileSync(join(ctx, 'Dockerfile'), `${df.join('\n')}\n`);
      lines.push(`  ${image}:`, `    context: ${image}`, `    tags: ["${tagOf(image)}"]`);
      if (o.argEdges && level > 1) lines.push('    args:', `      UP: {image: l${level - 2}i${i % o.width}}`);
      if (o.mounts && level > 0) {
        lines.push('    mounts:', `      - {from: ${parent}, path: /srv/${parent}, to: mounted}`);
      }
    }
  }
  writeFileSync(join(o.dir, 'mbuild.yaml'), `${lines.join('\n')}\n`);
  return { images, tagOf };
}
