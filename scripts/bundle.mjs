#!/usr/bin/env node
// Bundles dist/ (tsc's output) into one CommonJS file, dist/bundle/main.cjs, with esbuild: the
// CLI (bin/mbuild.js runs it) and the library's API (scripts/library.mjs gives it an ES module entry).
// A run then loads one file instead of ~200 ES modules, and bin/mbuild.js can hand V8 a code
// cache for it (Node 20 has no code cache for ES modules): start-up is part of every no-op.
// Modules imported lazily stay lazy: esbuild evaluates a bundled module on its first import.
// Libraries that are only needed for some runs stay outside the bundle and are loaded on
// demand (dockerode for ssh, protobufjs for BuildKit traces, tar-stream for mounts, chokidar
// for watch, listr2 for the terminal view).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/bundle`;
const ID_PREFIX = '//mbuild-bundle-id=';
const ID_PLACEHOLDER = `${ID_PREFIX}${'0'.repeat(16)}`;
rmSync(OUT, { recursive: true, force: true });
await build({
  // The CLI's `main` and the library's API (src/api/index.ts; scripts/library.mjs makes its ES module entry): one bundle.
  stdin: {
    contents: "export { main } from './dist/cli/main.js';\nexport * from './dist/api/index.js';\n",
    resolveDir: ROOT,
    sourcefile: 'bundle-entry.js',
  },
  outfile: `${OUT}/main.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: ['dockerode', 'protobufjs', 'tar-stream', 'chokidar', 'listr2'],
  // `import.meta.url` of the bundled modules: the bundle's own URL (dist/bundle/ is as deep as dist/cli/).
  define: {
    'import.meta.url': '__mbuildBundleUrl',
    // The yaml library compiled in (config/yaml-cache.ts keys its cache by it).
    __MBUILD_YAML_VERSION__: JSON.stringify(JSON.parse(readFileSync(`${ROOT}node_modules/yaml/package.json`, 'utf8')).version),
  },
  banner: { js: "const __mbuildBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: ID_PLACEHOLDER },
});
// The bundle's id, a hash of its text, in its last lines: bin/mbuild.js keys its V8 code cache
// by it without hashing 800 KB at each start. Same length as the placeholder: the source map holds.
const code = readFileSync(`${OUT}/main.cjs`, 'utf8');
const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
writeFileSync(`${OUT}/main.cjs`, code.replace(ID_PLACEHOLDER, `${ID_PREFIX}${id}`));
// bin/mbuild.js runs the bundle through vm.Script, where a dynamic import() has no loader:
// every module must be bundled or required (an external one through createRequire).
if (/\bimport\(/.test(readFileSync(`${OUT}/main.cjs`, 'utf8'))) {
  throw new Error('dist/bundle/main.cjs calls import(): load that module with createRequire instead');
}
