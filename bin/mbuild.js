#!/usr/bin/env node
// Runs the bundle (scripts/bundle.mjs) of what tsc compiled to dist/; `npm run build` makes both.
// The bundle is compiled with a V8 code cache kept next to it, one per command (what a run
// compiles depends on the command): a run with a cache V8 accepts skips most compiling. A
// missing or rejected cache (another Node, a new bundle) is written again after the run; a
// cache that cannot be written (a read-only install) is simply not kept.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/bundle/main.cjs', import.meta.url));
const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-')) ?? '';
const cache = join(dirname(bundle), `main.${/^[a-z]{1,16}$/.test(command) ? command : 'other'}.v8cache`);
const cachedData = existsSync(cache) ? readFileSync(cache) : undefined;
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`, {
  filename: bundle,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));

process.exitCode = await module.exports.main(args);

if (cachedData === undefined || script.cachedDataRejected) {
  const temp = `${cache}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cache);
  } catch {
    rmSync(temp, { force: true });
  }
}
