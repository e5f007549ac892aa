#!/usr/bin/env node
// Bundles dist/ (tsc's output) into dist/bundle/ with esbuild: the CLI entry plus one chunk
// per lazily imported command. A run then loads a handful of files instead of ~200 ES
// modules (module loading was ~100 ms of a ~450 ms no-op `mbuild up` on a 30-image
// monorepo; see docs/benchmarks.md). Libraries that are only needed for some runs stay
// outside the bundle and are loaded on demand (dockerode for ssh, protobufjs for BuildKit
// traces, tar-stream for mounts, chokidar for watch, listr2 for the terminal view).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/bundle`;
rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: [`${ROOT}dist/cli/main.js`],
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: ['dockerode', 'protobufjs', 'tar-stream', 'chokidar', 'listr2'],
  // Bundled CommonJS dependencies (commander, yaml's helpers) call `require` for node: modules.
  banner: { js: "import { createRequire as __mbuildCreateRequire } from 'node:module'; const require = __mbuildCreateRequire(import.meta.url);" },
});
