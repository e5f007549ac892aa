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

// ---------------------------------------------------------------------------------------
// Monorepos for the tool comparison (bench/run.mjs): one tree, built by three tools.
//
// Shape: `images` images in `depth` levels; level 0 has `roots` images FROM busybox, each
// next level up to `fanout` times as many, each image FROM an image of the level above
// (image i of level L is FROM image i % n of level L-1), so an edit of a root fans out.
// Optional edges: every `argEvery`-th image of level >= 2 gets an {image:} arg edge to an
// image two levels up that is not its ancestor (`ARG UP` / `FROM ${UP} AS up` / COPY --from=up);
// every `mountEvery`-th image of level >= 1 mounts /srv/<src> of a sibling of its parent.
// Each context holds `files` files of `fileBytes` bytes under src/d<k>/ (`filesPerDir` per folder).
// Optional (bench/inputs.mjs): `unread` adds files no instruction reads to every context (a
// docs/ tree, a node_modules-like tree, a few larger files under assets/), and `inputs: 'whole'`
// sets `inputs: whole` in mbuild.yaml's defaults. Optional (bench/registry.mjs): `registry`
// (`127.0.0.1:PORT`) puts every tag under that registry, `tag` replaces the tag `bench`, and
// `randomBytes` makes each RUN step also write that many random bytes (a layer worth pushing).
// Optional (the planning scenario): `defaultTags` leaves `tags:` out of mbuild.yaml, so that
// each image has its default tag `<name>-<image>:latest` and mbuild's Dockerfiles name that
// (a build file of about 35 bytes an image: 20,000 images fit under the 1 MiB limit).
// Without them the output is as before.
//
// Per image three Dockerfiles, identical but for the tags they name and for mounts:
//   Dockerfile          mbuild (mbuild.yaml; mounts arrive in the context as mounted/)
//   Dockerfile.compose  docker-compose build (docker-compose.yml; a mount is a staging
//                       stage FROM the source image + COPY --from=staging)
//   Dockerfile.make     make -j (Makefile of `docker build`, stamp files; mounts as compose)
// Each tool tags under its own namespace (<name>-mb/, <name>-dc/, <name>-mk/) and its
// Dockerfiles start with `LABEL bench.tool=<tool> bench.project=<name>`, so that no tool hits
// another's layer cache (and each tool's images can be pruned for a cold run); the image file systems are identical (run.mjs checks that after every scenario).

export const TOOLS = /** @type {const} */ (['mbuild', 'compose', 'make']);
const SHORT = { mbuild: 'mb', compose: 'dc', make: 'mk' };

/** Level sizes: `roots`, then up to `fanout` times the level above; the last level takes the rest. */
export function levelSizes(images, depth, fanout, roots = 1) {
  const sizes = [Math.min(roots, images)];
  let left = images - sizes[0];
  for (let l = 1; l < depth && left > 0; l++) {
    const n = l === depth - 1 ? left : Math.min(left, sizes[l - 1] * fanout);
    sizes.push(n);
    left -= n;
  }
  if (left > 0) sizes[sizes.length - 1] += left;
  return sizes;
}

/** Deterministic content of one file. */
function fileContent(image, n, bytes) {
  const head = `${image} file ${n}\n`;
  if (bytes <= head.length) return head;
  const buf = Buffer.alloc(bytes, 0x2e);
  buf.write(head);
  // Vary the body a little so that no two files are the same.
  for (let i = head.length; i + 8 < bytes; i += 4096) buf.write(String(n % 1e8).padStart(8, '0'), i);
  return buf;
}

/** The relative path of source file `n`. */
export const srcFile = (n, filesPerDir = 1000) => `src/d${Math.floor(n / filesPerDir)}/f${n}.txt`;

/**
 * @param {{dir: string, name: string, images: number, depth: number, fanout: number, roots?: number,
 *          files?: number, fileBytes?: number, filesPerDir?: number, argEvery?: number, mountEvery?: number,
 *          sleep?: number, unread?: {files: number, bigFiles?: number, bigBytes?: number}, inputs?: 'whole',
 *          registry?: string, tag?: string, randomBytes?: number, defaultTags?: boolean}} o
 */
export function generateMonorepo(o) {
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const files = o.files ?? 4;
  const fileBytes = o.fileBytes ?? 64;
  const perDir = o.filesPerDir ?? 1000;
  const sizes = levelSizes(o.images, o.depth, o.fanout, o.roots ?? 1);
  const tagOf = (tool, image) =>
    o.defaultTags && tool === 'mbuild'
      ? `${o.name}-${image}:latest`
      : `${o.registry ? `${o.registry}/` : ''}${o.name}-${SHORT[tool]}/${image}:${o.tag ?? 'bench'}`;
  const nameOf = (level, i) => `l${level}i${i}`;
  /** @type {{name: string, level: number, parent: string | null, up: string | null, mount: string | null}[]} */
  const images = [];
  let index = 0;
  for (let level = 0; level < sizes.length; level++) {
    for (let i = 0; i < sizes[level]; i++, index++) {
      const parent = level === 0 ? null : nameOf(level - 1, i % sizes[level - 1]);
      const up = o.argEvery && level >= 2 && index % o.argEvery === 0 ? nameOf(level - 2, (i + 1) % sizes[level - 2]) : null;
      const mount = o.mountEvery && level >= 1 && index % o.mountEvery === 0 ? nameOf(level - 1, (i + 1) % sizes[level - 1]) : null;
      images.push({ name: nameOf(level, i), level, parent, up, mount });
    }
  }

  const yaml = ['version: 1', `name: ${o.name}`, 'defaults:', '  network: none', ...(o.inputs === 'whole' ? ['  inputs: whole'] : []), 'images:'];
  const compose = ['version: "2.4"', 'services:'];
  const make = [
    '# Generated by bench/gen.mjs: one stamp per image; an image is rebuilt when a file of its',
    '# context, or an image it depends on, is newer than its stamp.',
    'STAMPS := .stamps',
    `all: ${images.map((m) => `$(STAMPS)/${m.name}`).join(' ')}`,
    '.PHONY: all',
    '$(STAMPS):',
    '\t@mkdir -p $(STAMPS)',
  ];
  for (const m of images) {
    const ctx = join(o.dir, m.name);
    for (let f = 0; f < files; f++) {
      const rel = srcFile(f, perDir);
      if (f % perDir === 0) mkdirSync(join(ctx, rel, '..'), { recursive: true });
      writeFileSync(join(ctx, rel), fileContent(m.name, f, fileBytes));
    }
    if (o.unread) writeUnread(ctx, m.name, o.unread);
    for (const tool of TOOLS) {
      const df = [];
      if (m.up) df.push('ARG UP', 'FROM ${UP} AS up');
      if (m.mount && tool !== 'mbuild') df.push(`FROM ${tagOf(tool, m.mount)} AS staging`);
      df.push(`FROM ${m.parent ? tagOf(tool, m.parent) : 'busybox'}`, `LABEL bench.tool=${tool} bench.project=${o.name}`, `COPY src/ /srv/${m.name}/`);
      if (m.up) df.push(`COPY --from=up /built-${m.up} /up-${m.name}`);
      if (m.mount) df.push(tool === 'mbuild' ? `COPY mounted/ /srv/${m.name}-mounted/` : `COPY --from=staging /srv/${m.mount}/ /srv/${m.name}-mounted/`);
      const random = o.randomBytes ? `head -c ${o.randomBytes} /dev/urandom > /random-${m.name} && ` : '';
      df.push(`RUN ${o.sleep ? `sleep ${o.sleep} && ` : ''}${random}echo ${m.name} > /built-${m.name}`);
      const file = tool === 'mbuild' ? 'Dockerfile' : `Dockerfile.${tool}`;
      writeFileSync(join(ctx, file), `${df.join('\n')}\n`);
    }
    yaml.push(`  ${m.name}:`, `    context: ${m.name}`, ...(o.defaultTags ? [] : [`    tags: ["${tagOf('mbuild', m.name)}"]`]));
    if (m.up) yaml.push('    args:', `      UP: {image: ${m.up}}`);
    if (m.mount) yaml.push('    mounts:', `      - {from: ${m.mount}, path: /srv/${m.mount}, to: mounted}`);
    const deps = [...new Set([m.parent, m.up, m.mount].filter(Boolean))];
    compose.push(
      `  ${m.name}:`,
      `    image: ${tagOf('compose', m.name)}`,
      '    build:',
      `      context: ./${m.name}`,
      '      dockerfile: Dockerfile.compose',
      '      network: none',
    );
    if (m.up) compose.push('      args:', `        UP: ${tagOf('compose', m.up)}`);
    if (deps.length > 0) compose.push(`    depends_on: [${deps.join(', ')}]`);
    const arg = m.up ? ` --build-arg UP=${tagOf('make', m.up)}` : '';
    make.push(
      `$(STAMPS)/${m.name}: ${deps.map((d) => `$(STAMPS)/${d}`).join(' ')} $(shell find ${m.name} -type f) | $(STAMPS)`,
      `\t@docker build --network none -f ${m.name}/Dockerfile.make${arg} -t ${tagOf('make', m.name)} ${m.name} >$@.log 2>&1 || { cat $@.log; exit 1; }`,
      '\t@touch $@',
    );
  }
  writeFileSync(join(o.dir, 'mbuild.yaml'), `${yaml.join('\n')}\n`);
  writeFileSync(join(o.dir, 'docker-compose.yml'), `${compose.join('\n')}\n`);
  writeFileSync(join(o.dir, 'Makefile'), `${make.join('\n')}\n`);
  writeFileSync(join(o.dir, 'contexts.txt'), `${images.map((m) => m.name).join('\n')}\n`);
  const leaves = images.filter((m) => !images.some((c) => c.parent === m.name || c.up === m.name || c.mount === m.name));
  return { images, sizes, tagOf, root: images[0].name, leaf: leaves[leaves.length - 1].name, files, fileBytes, perDir };
}

/**
 * Files no instruction of the generated Dockerfiles reads (they COPY only src/ and mounted/):
 * `bigFiles` files of `bigBytes` under assets/, then of the rest 40% under docs/s<k>/ (1 to 4 KiB)
 * and 60% in a node_modules-like tree (node_modules/pkg<k>/package.json and lib/m<j>.js, 300 B
 * to 1.8 KiB). Deterministic: the same call writes the same bytes. Returns the files' paths and sizes.
 * @returns {{rel: string, bytes: number}[]}
 */
export function writeUnread(ctx, image, u) {
  const big = Math.min(u.bigFiles ?? 4, u.files);
  const rest = u.files - big;
  const docs = Math.floor(rest * 0.4);
  /** @type {{rel: string, bytes: number}[]} */
  const out = [];
  for (let k = 0; k < big; k++) out.push({ rel: `assets/blob${k}.bin`, bytes: u.bigBytes ?? 1024 * 1024 });
  for (let j = 0; j < docs; j++) out.push({ rel: `docs/s${j % 10}/page${j}.md`, bytes: 1024 + ((j * 37) % 3072) });
  for (let j = 0; j < rest - docs; j++) {
    const pkg = `node_modules/pkg${Math.floor(j / 10)}`;
    out.push({ rel: j % 10 === 0 ? `${pkg}/package.json` : `${pkg}/lib/m${j}.js`, bytes: 300 + ((j * 53) % 1500) });
  }
  const made = new Set();
  for (const [i, f] of out.entries()) {
    const folder = join(ctx, f.rel, '..');
    if (!made.has(folder)) mkdirSync(folder, { recursive: true });
    made.add(folder);
    writeFileSync(join(ctx, f.rel), fileContent(`${image} ${f.rel}`, i, f.bytes));
  }
  return out;
}

/** Rewrites source file 0 of `image` (the same text gives the same file for every tool). */
export function editFile(dir, image, text) {
  writeFileSync(join(dir, image, srcFile(0)), `${image} edited: ${text}\n`);
}

/**
 * The registry benches' project (bench/registry.mjs, bench/cache-load-probe.mjs): `levels` x `width`
 * images, each FROM the one above it, RUN steps of `sleep 1` writing `randomBytes` random bytes (a layer
 * worth pushing); `generateMonorepo` sizes, and the shape for the report.
 */
export function registryMonorepo(quick) {
  const shape = quick ? { levels: 3, width: 3, randomBytes: 256 * 1024 } : { levels: 5, width: 6, randomBytes: 1024 * 1024 };
  const sizes = {
    images: shape.levels * shape.width,
    depth: shape.levels,
    fanout: 1,
    roots: shape.width,
    files: 50,
    fileBytes: 1024,
    argEvery: 3,
    mountEvery: 4,
    sleep: 1,
    randomBytes: shape.randomBytes,
  };
  return { shape, sizes };
}
