/**
 * The classic builder and sessions (issue 18): an image with secrets or ssh is refused at
 * its `secrets:` / `ssh:` key (exit 2, nothing built), whether `--builder classic` says so
 * before connecting or `--builder auto` finds an engine without BuildKit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeEngine } from '../helpers/fake-engine.js';
import { runCli } from '../helpers/run-cli.js';
import { snapshot } from '../helpers/tree.js';

const DIR = new URL('../fixtures/session-classic/', import.meta.url).pathname;
const VALUE = 'never-shown-token';
const EXPECTED = readFileSync(join(DIR, 'expected.txt'), 'utf8');

describe('secrets with the classic builder', () => {
  for (const command of ['up', 'plan', 'watch']) {
    it(`${command} --builder classic refuses them before connecting`, async () => {
      const before = snapshot(DIR);
      const r = await runCli([command, '--builder', 'classic'], {
        cwd: DIR,
        env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', MBUILD_TEST_TOKEN: VALUE },
      });
      expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 2, stderr: EXPECTED, stdout: '' });
      expect(snapshot(DIR)).toEqual(before);
    });
  }

  it('up --builder classic builds an image without them', async () => {
    const r = await runCli(['up', 'plain', '--builder', 'classic'], {
      cwd: DIR,
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', MBUILD_TEST_TOKEN: VALUE },
    });
    // Past the check: the engine is what is missing.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to the Docker engine');
  });

  it('up --builder auto refuses them once the engine says it has no BuildKit, and sends no build', async () => {
    const engine = await startFakeEngine({ builderVersion: '1', apiVersion: '1.41' });
    try {
      const r = await runCli(['up'], { cwd: DIR, env: { DOCKER_HOST: engine.url, MBUILD_TEST_TOKEN: VALUE } });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: EXPECTED });
      expect(engine.requests.filter((q) => q.path === '/build')).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
