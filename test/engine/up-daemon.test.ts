/**
 * `mbuild up` when the daemon cannot be reached, with both builders: exit code 1 in under
 * 2 s, and a message naming the endpoint and where it came from (DOCKER_HOST or --host).
 * Covers a socket that does not exist, a refused TCP port, a refused ssh:// endpoint (through
 * the bundled CLI, which loads dockerode on demand), and a socket that accepts but never answers (the fake engine in silent mode: the connect timeout is what bounds it).
 * Timed in-process with performance.now(); the child-process run checks the real exit code.
 *
 * Needs the compiled CLI (`npx tsc -p .`) for the child-process case. Fixture test/fixtures/up/tiny.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEngine, type FakeEngine } from '../helpers/fake-engine.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { spawnCli } from '../helpers/run-cli.js';

let p: TestProject;
let silent: FakeEngine;
beforeAll(async () => {
  p = copyFixture('tiny', 'daemon');
  silent = await startFakeEngine({ silent: true });
});
afterAll(async () => {
  await silent.close();
  expect(p.cleanup()).toEqual([]);
});

const BOUND_MS = 2000;

describe.each(['buildkit', 'classic'] as const)('mbuild up --builder %s: daemon unreachable', (builder) => {
  const endpoints = [
    { what: 'a socket that does not exist', url: () => 'unix:///tmp/nonexistent.sock', why: /ENOENT/ },
    { what: 'a refused TCP port', url: () => 'tcp://127.0.0.1:1', why: /ECONNREFUSED/ },
    { what: 'a socket that never answers', url: () => silent.url, why: /no answer within \d+ ms/ },
  ];

  it.each(endpoints)('DOCKER_HOST = $what: exit 1 in under 2 s, naming the endpoint and DOCKER_HOST', async ({ url, why }) => {
    const t0 = performance.now();
    const r = await p.up(['--builder', builder, '--progress', 'plain'], { DOCKER_HOST: url() });
    const ms = performance.now() - t0;
    expect(r.code).toBe(1);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(r.stderr).toContain(url());
    expect(r.stderr).toContain('DOCKER_HOST');
    expect(r.stderr).toMatch(why);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // Nothing was attempted.
    expect(r.stdout).toBe('');
    expect(existsSync(join(p.dir, '.mbuild', 'logs', 'img.log'))).toBe(false);
  });

  it('--host wins over DOCKER_HOST and is named as the source', async () => {
    const t0 = performance.now();
    const r = await p.up(['--builder', builder, '-H', 'tcp://127.0.0.1:1'], { DOCKER_HOST: 'unix:///tmp/nonexistent.sock' });
    expect(performance.now() - t0).toBeLessThan(BOUND_MS);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tcp://127.0.0.1:1');
    expect(r.stderr).toContain('--host');
    expect(r.stderr).not.toContain('nonexistent.sock');
  });

  it('as a real process over ssh:// (dockerode, loaded by the bundle on demand): exit 1, one clear line', async () => {
    const url = 'ssh://nobody@127.0.0.1:1';
    const cli = spawnCli(['up', '--builder', builder], { cwd: p.dir, env: { DOCKER_HOST: url } });
    const r = await cli.done;
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`error: cannot connect to the Docker engine at ${url} (from DOCKER_HOST): connect ECONNREFUSED 127.0.0.1:1`]);
    expect(r.stdout).toBe('');
  });

  it('as a real process: exit code 1 in under 2 s and the message on stderr', async () => {
    const t0 = performance.now();
    const cli = spawnCli(['up', '--builder', builder], { cwd: p.dir, env: { DOCKER_HOST: 'unix:///tmp/nonexistent.sock' } });
    const r = await cli.done;
    expect(r.code).toBe(1);
    // Process start and module loading included: what a user waits.
    expect(performance.now() - t0).toBeLessThan(BOUND_MS);
    expect(r.stderr).toMatch(/unix:\/\/\/tmp\/nonexistent\.sock/);
    expect(r.stderr).toContain('DOCKER_HOST');
    expect(r.stdout).toBe('');
  });
});

describe('mbuild up with local state and a daemon that never answers', () => {
  it('tries to connect once: the inspects started ahead for the recorded images wait for the connection and are never sent', async () => {
    const state = join(p.dir, '.mbuild', 'state');
    mkdirSync(state, { recursive: true });
    for (let i = 0; i < 12; i++) writeFileSync(join(state, `i${i}.json.key`), `v1-${i} sha256:${String(i).padStart(64, '0')}\n`);
    const engine = await startFakeEngine({ silent: true });
    try {
      const r = await spawnCli(['up'], { cwd: p.dir, env: { DOCKER_HOST: engine.url } }).done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no answer within \d+ ms/);
      // One negotiation; before the fix, each of the four lanes retried it (a timeout each).
      expect(engine.requests.map((q) => q.path)).toEqual(['/_ping']);
    } finally {
      await engine.close();
      rmSync(join(p.dir, '.mbuild'), { recursive: true, force: true });
    }
  });
});
