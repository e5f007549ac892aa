#!/usr/bin/env node
// Runs the bundle (scripts/bundle.mjs) of what tsc compiled to dist/; `npm run build` makes both.
// The bundle is compiled with a V8 code cache kept next to it, one per command (what a run
// compiles depends on the command): a run with a cache V8 accepts skips most compiling. A
// missing or rejected cache (another Node, a new bundle) is written again after the run; a
// cache that cannot be written (a read-only install) is simply not kept.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/bundle/main.cjs', import.meta.url));
const args = process.argv.slice(2);
/** The command: the first word that is neither an option nor the value of a global option (cli/main.ts: -f/--file, --var). */
function commandOf(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-f' || argv[i] === '--file' || argv[i] === '--var') i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return '';
}
const command = commandOf(args);
const cache = join(dirname(bundle), `main.${/^[a-z]{1,16}$/.test(command) ? command : 'other'}.v8cache`);
let cachedData;
try {
  cachedData = readFileSync(cache);
} catch {
  /* none yet */
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`, {
  filename: bundle,
  cachedData,
});
// Deprecation warnings come from dependencies (docker-modem parses ssh:// URLs with
// url.parse(), DEP0170): no user of the CLI can act on them.
process.noDeprecation = true;
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
