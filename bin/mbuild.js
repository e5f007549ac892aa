#!/usr/bin/env node
// Runs the bundle (scripts/bundle.mjs) of what tsc compiled to dist/; `npm run build` makes both.
// This file is CommonJS (bin/package.json): an ES module entry costs every run the start of
// Node's ES module loader (~4 ms), and nothing here needs it.
//
// The bundle is compiled with a V8 code cache, one per command (what a run compiles depends
// on the command), kept in the user's cache folder ($XDG_CACHE_HOME/mbuild, else
// ~/.cache/mbuild), never in the package: a run with a cache V8 accepts skips most compiling.
// V8 trusts a cache it accepts, and one from another Node release, or a damaged one, can crash
// the process (SIGSEGV, SIGTRAP) or run wrong code: so a cache is used only when its header
// names this Node (version and arch) and this bundle (the id scripts/bundle.mjs wrote into
// it), holds the SHA-256 of the rest, and the file is the user's own and writable by no one
// else. Anything else (missing, damaged, another key, an unreadable or unwritable folder) is
// ignored and, when it can be, written again after the run. Only known commands have a cache:
// a mistyped one writes nothing.
'use strict';
const fs = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { dirname, isAbsolute, join } = require('node:path');
const vm = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'bundle', 'main.cjs');
const args = process.argv.slice(2);
/** The commands of cli/main.ts (test/unit/cli-bundle.test.ts checks that the lists agree). */
const COMMANDS = ['init', 'schema', 'validate', 'config', 'plan', 'why', 'clean', 'graph', 'up', 'watch', 'context', 'push'];

/** The command: the first word that is neither an option nor the value of a global option (cli/main.ts: -f/--file, --var, --env-file, -H/--host). */
function commandOf(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (['-f', '--file', '--var', '--env-file', '-H', '--host'].includes(argv[i])) i++;
    else if (!argv[i].startsWith('-')) return argv[i];
  }
  return '';
}

let text;
try {
  text = fs.readFileSync(bundle, 'utf8');
} catch (e) {
  process.stderr.write(
    `mbuild: cannot read ${bundle} (${e.code ?? e.message}): this copy of mbuild is not built; run \`npm run build\` in ${dirname(__dirname)}\n`,
  );
  process.exit(1);
}
const command = commandOf(args);
const cache = codeCache(COMMANDS.includes(command) ? command : undefined, text);
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${text}\n})`, {
  filename: bundle,
  cachedData: cache?.data,
});
// Deprecation warnings come from dependencies (docker-modem parses ssh:// URLs with
// url.parse(), DEP0170): no user of the CLI can act on them.
process.noDeprecation = true;
const loaded = { exports: {} };
script.runInThisContext()(loaded.exports, createRequire(bundle), loaded, bundle, dirname(bundle));

// A run whose main() never settles (a bug: nothing left to wait for) must not pass for a
// success; an ES module entry would have exited 13 there.
process.exitCode = 1;
// A reader that goes away (`mbuild context app | head`) only ends the output: the command
// still finishes (a build is not left half-done) and no stack trace is printed.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}
loaded.exports.main(args).then((code) => {
  process.exitCode = code;
  if (cache !== undefined && (cache.data === undefined || script.cachedDataRejected)) cache.write(script.createCachedData());
});

/** The cache of `command` for this Node and this bundle: its data when usable, and how to write it; none for an unknown command. */
function codeCache(command, source) {
  const at = source.lastIndexOf('\n//mbuild-bundle-id=');
  const dir = cacheDir();
  if (command === undefined || at < 0 || dir === undefined) return undefined;
  const { hash } = require('node:crypto');
  const key = `${process.version}-${process.arch}-${source.slice(at + 20, at + 36)}`;
  // One file per command, Node and installed copy: a new bundle replaces its copy's file.
  const file = join(dir, `${command}-${process.version}-${process.arch}-${hash('sha256', bundle).slice(0, 16)}.v8cache`);
  const header = (data) => `mbuild-v8cache ${key} ${hash('sha256', data)}\n`;
  return { data: readCache(file, header), write: (data) => writeCache(file, Buffer.concat([Buffer.from(header(data), 'latin1'), data])) };
}

/** $XDG_CACHE_HOME/mbuild (an absolute XDG_CACHE_HOME only, as the XDG spec says), else ~/.cache/mbuild. */
function cacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'mbuild');
  const home = process.env.HOME || homedir();
  return home ? join(home, '.cache', 'mbuild') : undefined;
}

/** The V8 data of `file` when its header is the one expected for it; else undefined. */
function readCache(file, header) {
  let buf;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || (st.mode & 0o022) !== 0 || (process.getuid !== undefined && st.uid !== process.getuid())) return undefined;
      buf = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  const data = buf.subarray(nl + 1);
  return nl > 0 && buf.toString('latin1', 0, nl + 1) === header(data) ? data : undefined;
}

/** Writes through a temp file and a rename; any failure leaves no file and is not an error. */
function writeCache(file, bytes) {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(temp, bytes, { mode: 0o600 });
    fs.renameSync(temp, file);
    prune(dirname(file));
  } catch {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      /* nothing was written */
    }
  }
}

/** Removes caches not written for 30 days (another Node, a removed copy) and temp files of killed runs. */
function prune(dir) {
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    const age = name.endsWith('.v8cache') ? 30 * 86400e3 : name.endsWith('.tmp') ? 86400e3 : undefined;
    if (age !== undefined && now - fs.statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs > age) fs.rmSync(join(dir, name), { force: true });
  }
}
