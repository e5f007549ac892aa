// An image with this machine's node and npm on top of the tools image (tools-image.mjs: ssh,
// ssh-add, git on busybox), for builds that `npm install` from a registry and `git clone` over
// forwarded SSH with no package download: /usr/bin/node and every shared library `ldd` lists
// for it at the same absolute paths, npm's folder /usr/lib/node_modules/npm (its internal
// links kept as links) with /usr/bin/npm and /usr/bin/npx linking into it as on the host, and
// /usr/bin/env (npm's `#!/usr/bin/env node`), which busybox has only in /bin. Tagged
// `mbuild-test-node:<hash>`, the hash of what is copied (each file's size, mtime and inode),
// the recipe and the tools image's tag: built once, then reused by every test run while those
// stay the same (it stays on the engine, like busybox:latest and the tools image). Built by
// the classic builder through the docker CLI, `--network none`. Plain JavaScript (types in
// node-image.d.mts), like its sibling.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { imageExists, librariesOf, toolsImage } from './tools-image.mjs';

export const NODE_REPOSITORY = 'mbuild-test-node';
const NODE = '/usr/bin/node';
const NPM_DIR = '/usr/lib/node_modules/npm';
/** Links in /usr/bin, as the host's npm package makes them. */
const LINKS = {
  '/usr/bin/npm': '../lib/node_modules/npm/bin/npm-cli.js',
  '/usr/bin/npx': '../lib/node_modules/npm/bin/npx-cli.js',
  '/usr/bin/env': '/bin/env',
};
const dockerfile = (tools) => `FROM ${tools}\nCOPY rootfs/ /\n`;

/** Every entry under `dir` (files and links, not folders), sorted: what npm's folder holds. */
function entriesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? entriesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/**
 * The tag for these files, this recipe and this tools image. A file counts by its size, mtime
 * and inode, not its bytes (node alone is ~100 MB: reading it costs a second per test run), a
 * link by its target: an upgrade of node or npm writes new files, which changes all three.
 */
function tagFor(files, npmEntries, tools) {
  const hash = createHash('sha256');
  hash.update(dockerfile(tools) + JSON.stringify(LINKS));
  for (const f of [...files, ...npmEntries]) {
    const st = lstatSync(f);
    hash.update(`${f}\0${st.isSymbolicLink() ? `-> ${readlinkSync(f)}` : `${st.size} ${st.mtimeMs} ${st.ino}`}\0`);
  }
  return `${NODE_REPOSITORY}:${hash.digest('hex').slice(0, 16)}`;
}

/** Lays out the build context: `rootfs/` holds each file at its absolute path. */
function writeContext(dir, files, tools) {
  const root = join(dir, 'rootfs');
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    copyFileSync(f, join(root, f)); // follows links: a soname link becomes the library itself
  }
  cpSync(NPM_DIR, join(root, NPM_DIR), { recursive: true, verbatimSymlinks: true });
  for (const [link, target] of Object.entries(LINKS)) symlinkSync(target, join(root, link));
  writeFileSync(join(dir, 'Dockerfile'), dockerfile(tools));
}

let built;
let buildMs = 0;

/**
 * The node image's tag, built first when the engine does not have it (once per process: later
 * calls share the first). `o.force`: build even when the tag exists.
 */
export function nodeImage(o = {}) {
  if (built !== undefined && o.force !== true) return built;
  const tools = toolsImage();
  const files = [...new Set([NODE, ...librariesOf(NODE)])].sort();
  for (const f of files) if (!statSync(f).isFile()) throw new Error(`node image: ${f} is not a file`);
  const tag = tagFor(files, entriesUnder(NPM_DIR), tools);
  if (o.force === true || !imageExists(tag)) {
    const started = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'mbt-node-'));
    try {
      writeContext(dir, files, tools);
      execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, dir], {
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    buildMs = performance.now() - started;
  }
  built = tag;
  return tag;
}

/** How long this process spent building the node image, in ms (0: the engine had it). */
export const nodeImageBuildMs = () => buildMs;
