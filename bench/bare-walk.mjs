#!/usr/bin/env node
// The floor for a no-op: what any tool must do at least to know that nothing changed,
// without any build tool logic. It `lstat`s every entry of every context listed in
// <dir>/contexts.txt (written by gen.mjs) and pings the engine (GET /_ping on DOCKER_HOST,
// else /var/run/docker.sock). No config parsing, no ignore rules, no hashing, no cache.
//   node bench/bare-walk.mjs <project dir>
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { pingEngine } from './engine-api.mjs';
import { join } from 'node:path';

const dir = process.argv[2];
const contexts = readFileSync(join(dir, 'contexts.txt'), 'utf8').split('\n').filter(Boolean);
let entries = 0;

function walk(abs) {
  for (const d of readdirSync(abs, { withFileTypes: true })) {
    const child = `${abs}/${d.name}`;
    const st = lstatSync(child);
    entries++;
    if (st.isDirectory()) walk(child);
  }
}

for (const c of contexts) walk(join(dir, c));

await pingEngine();
process.stdout.write(`${entries}\n`);
