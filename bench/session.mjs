// Issue 18 speed target: a BuildKit session adds at most 30 ms per run (not per image).
// The sleep DAG of bench/sleep-dag.mjs (4 levels x 5, RUN sleep 1, --no-cache, -j 5) is
// built through two counting proxies in front of the same engine, in alternating pairs:
// one passes `POST /session` through (every build names the run's session), the other
// answers it 404 as an engine without sessions would (mbuild then builds without one). The
// figure is the median over the pairs of (wall with session - wall without). The DAG's own
// spread on 2 cores is hundreds of ms, so the same pairs are also timed on one tiny image
// (`RUN true`, --no-cache), where the fixed cost of a run's session stands out.
// Usage: node bench/session.mjs [--runs N]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startProxy } from './proxy.mjs';
import { pruneByLabel } from './engine-api.mjs';
import { generate } from './gen.mjs';

const BIN = fileURLToPath(new URL('../bin/mbuild.js', import.meta.url));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const dir = join(tmpdir(), 'mbuild-bench-session');
const { images } = generate({ dir, name: 'benchsession', levels: 4, width: 5, sleep: 1 });
generate({ dir: `${dir}-tiny`, name: 'benchsessiontiny', levels: 1, width: 1 });
const run = promisify(execFile);

const withSession = await startProxy({ path: join(tmpdir(), `mbuild-bench-session-on-${process.pid}.sock`) });
const without = await startProxy({ path: join(tmpdir(), `mbuild-bench-session-off-${process.pid}.sock`), refuseSessions: true });

async function up(proxy, cwd = dir, count = images.length) {
  proxy.reset();
  const started = performance.now();
  const { stdout, stderr } = await run(process.execPath, [BIN, 'up', '--progress', 'json', '--no-cache', '-j', '5'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, DOCKER_HOST: `unix://${proxy.path}` },
  });
  const wall = performance.now() - started;
  const done = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'image-done');
  if (done.length !== count || done.some((e) => e.outcome.kind !== 'built')) throw new Error(`a build failed:\n${stderr}`);
  const sessions = proxy.snapshot().trace.filter((t) => /\/session$/.test(t.path)).length;
  return { wall, sessions, warned: /BuildKit session/.test(stderr) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await up(withSession); // warm-up
await up(without);
const diffs = [];
const walls = { on: [], off: [] };
for (let i = 0; i < runs; i++) {
  // Alternate which goes first, so drift in the engine's speed cancels out.
  let on, off;
  if (i % 2 === 0) {
    on = await up(withSession);
    off = await up(without);
  } else {
    off = await up(without);
    on = await up(withSession);
  }
  if (on.warned || on.sessions !== 1) throw new Error(`expected one session in the run with sessions, saw ${on.sessions}`);
  if (!off.warned) throw new Error('the run without sessions did not fall back');
  walls.on.push(on.wall);
  walls.off.push(off.wall);
  diffs.push(on.wall - off.wall);
}
const tinyDiffs = [];
for (let i = 0; i < runs * 3; i++) {
  const pair =
    i % 2 === 0
      ? [await up(withSession, `${dir}-tiny`, 1), await up(without, `${dir}-tiny`, 1)]
      : [await up(without, `${dir}-tiny`, 1), await up(withSession, `${dir}-tiny`, 1)].reverse();
  tinyDiffs.push(pair[0].wall - pair[1].wall);
}
const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`session overhead: sleep DAG of ${images.length} images (4 levels x 5, RUN sleep 1, --no-cache, -j 5), ${runs} pairs after 1 warm-up each`);
console.log(`  wall with a session:    ${ms(median(walls.on))} (min ${ms(Math.min(...walls.on))}, max ${ms(Math.max(...walls.on))})`);
console.log(`  wall without a session: ${ms(median(walls.off))} (min ${ms(Math.min(...walls.off))}, max ${ms(Math.max(...walls.off))})`);
console.log(
  `  added per run (median of paired differences): ${ms(median(diffs))} (min ${ms(Math.min(...diffs))}, max ${ms(Math.max(...diffs))})   target <= 30 ms`,
);
console.log(
  `  one image (RUN true), ${runs * 3} pairs: added per run ${ms(median(tinyDiffs))} (min ${ms(Math.min(...tinyDiffs))}, max ${ms(Math.max(...tinyDiffs))})`,
);
await withSession.close();
await without.close();
execFileSync('sh', ['-c', `docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^benchsession(tiny)?/' | xargs -r docker rmi -f >/dev/null`]);
// Every --no-cache round left the previous round's builds untagged: they go too.
for (const project of ['benchsession', 'benchsessiontiny']) await pruneByLabel(`io.mbuild.project=${project}`);
// Nothing left behind: the generated projects, and a socket a proxy may leave.
for (const path of [dir, `${dir}-tiny`, withSession.path, without.path]) rmSync(path, { recursive: true, force: true });
