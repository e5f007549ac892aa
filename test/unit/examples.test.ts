/** Every build file under examples/ validates and plans, also under another `--var TAG`. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/run-cli.js';

const examples = readdirSync(join(REPO, 'examples')).filter((d) => existsSync(join(REPO, 'examples', d, 'mbuild.yaml')));

describe('examples', () => {
  it('there is at least one', () => expect(examples.length).toBeGreaterThan(0));
  for (const name of examples) {
    it(`${name} validates and plans`, async () => {
      const dir = join(REPO, 'examples', name);
      const validate = await runCli(['validate'], { cwd: dir, env: {} });
      expect(validate.stderr).toBe('');
      expect(validate.code).toBe(0);
      expect(validate.stdout).toMatch(/^mbuild\.yaml is valid: \d+ images/);
      const plan = await runCli(['plan', '--format', 'json'], { cwd: dir, env: {} });
      expect(plan.code).toBe(0);
      expect((JSON.parse(plan.stdout) as { images: unknown[] }).images.length).toBeGreaterThanOrEqual(1);
    });
  }

  it('shop: under any --var TAG, every image built on base waits for base', async () => {
    const dir = join(REPO, 'examples', 'shop');
    for (const tag of ['dev', 'v2', 'x.y-z']) {
      const validate = await runCli(['validate', '--var', `TAG=${tag}`], { cwd: dir, env: {} });
      expect({ tag, code: validate.code, stderr: validate.stderr }).toEqual({ tag, code: 0, stderr: '' });
      const plan = await runCli(['plan', '--format', 'json', '--var', `TAG=${tag}`], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      const images = (JSON.parse(plan.stdout) as { images: { name: string; dependsOn: { image: string }[] }[] }).images;
      const onBase = images
        .filter((i) => i.dependsOn.some((e) => e.image === 'base'))
        .map((i) => i.name)
        .sort();
      expect({ tag, onBase }).toEqual({ tag, onBase: ['api', 'slim', 'tools', 'web', 'worker'] });
    }
  });
});
