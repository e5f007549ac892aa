/**
 * The bad-file corpus: each folder under test/fixtures/bad holds an mbuild.yaml (and the
 * Dockerfiles and ignore files it names) and the exact output `mbuild validate` must print
 * for it; `plan` and `up` must refuse it with the same output. UPDATE_GOLDEN=1 rewrites
 * expected.txt (review the diff!). No case may write anything.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { snapshot } from '../helpers/tree.js';

const BAD = new URL('../fixtures/bad/', import.meta.url).pathname;
const cases = readdirSync(BAD)
  .filter((d) => existsSync(join(BAD, d, 'mbuild.yaml')))
  .sort();

describe('mbuild validate on bad build files', () => {
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = join(BAD, name);
      const before = snapshot(dir);
      const result = await runCli(['validate'], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      const output = result.stderr.split(dir).join('<root>') + result.stdout;
      const expectedFile = join(dir, 'expected.txt');
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(expectedFile, output);
      expect(output).toBe(readFileSync(expectedFile, 'utf8'));
      expect(result.code).toBe(2);
      // validate is the gate: plan and up run the same checks and refuse the file the same way.
      for (const command of ['plan', 'up']) {
        const other = await runCli([command], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
        expect({ command, code: other.code, stderr: other.stderr, stdout: other.stdout }).toEqual({ command, code: 2, stderr: result.stderr, stdout: '' });
      }
      expect(snapshot(dir)).toEqual(before);
    });
  }
});
