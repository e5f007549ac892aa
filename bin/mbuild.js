#!/usr/bin/env node
// Runs the bundle (scripts/bundle.mjs) of what tsc compiled to dist/; `npm run build` makes both.
// This file is CommonJS (bin/package.json): an ES module entry costs every run the start of
// Node's ES module loader (~4 ms), and nothing here needs it.
// The bundle is compiled with a V8 code cache kept next to it, one per command (what a run
// compiles depends on the command): a run with a cache V8 accepts skips most compiling. A
// missing or rejected cache (another Node, a new bundle) is written again after the run; a
// cache that cannot be written (a read-only install) is simply not kept.
'use strict';
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'bundle', 'main.cjs');
const args = process.argv.slice(2);
/** The command: the first word that is neither an option nor the value of a global option (cli/main.ts: -f/--file, --var). */
function commandOf(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-f' || argv[i] === '--file' || argv[i] === '--var' || argv[i] === '-H' || argv[i] === '--host') i++;
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
const loaded = { exports: {} };
script.runInThisContext()(loaded.exports, createRequire(bundle), loaded, bundle, dirname(bundle));

// A run whose main() never settles (a bug: nothing left to wait for) must not pass for a
// success; an ES module entry would have exited 13 there.
process.exitCode = 1;
loaded.exports.main(args).then((code) => {
  process.exitCode = code;
  if (cachedData === undefined || script.cachedDataRejected) {
    const temp = `${cache}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cache);
    } catch {
      rmSync(temp, { force: true });
    }
  }
});
