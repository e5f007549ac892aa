/**
 * `mbuild up` on a compose file, on the real engine (fixture test/fixtures/up/compose): the
 * services with a build are built (args from the environment through compose's
 * interpolation, labels, `image:` as the tag, `service:` named contexts, x-mbuild outputs),
 * the one without is not,
 * and a second run finds everything up to date. Found by auto-discovery, and with -f.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectImage, projectTags } from '../helpers/engine-docker.js';
import { copyFixture } from '../helpers/engine-project.js';

const project = copyFixture('compose', 'compose');
afterAll(() => {
  expect(project.cleanup()).toEqual([]);
});

describe('mbuild up: a compose file', () => {
  it('builds every service with a build section, in depends_on order, and copies the outputs out', async () => {
    const r = await project.up(['--progress', 'plain'], { API_VERSION: '2.5' });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(project.dir, 'out', 'api.txt'), 'utf8')).toBe('api 2.5\n');
    expect(readFileSync(join(project.dir, 'out', 'version.txt'), 'utf8')).toBe(`web ${project.name}\n`);
    // additional_contexts: {api-image: service:api} is the image just built.
    expect(readFileSync(join(project.dir, 'out', 'from-api.txt'), 'utf8')).toBe('api 2.5\n');
    expect(inspectImage(`${project.name}/api:dev`)?.labels['org.example.team']).toBe('checkout');
    const tags = projectTags(project.name).filter((t) => !t.startsWith('mbuild-pin/') && !t.startsWith('mbuild-key/'));
    expect(tags.sort()).toEqual([`${project.name}-web:latest`, `${project.name}/api:dev`]);
    const built = r.stdout.split('\n').filter((l) => /^\[(api|web)\] /.test(l));
    const lastApi = built.map((l) => l.startsWith('[api]')).lastIndexOf(true);
    const firstWeb = built.findIndex((l) => l.startsWith('[web]'));
    expect(firstWeb, r.stdout).toBeGreaterThan(lastApi);
  });

  it('-f compose.yaml: the same file, everything up to date', async () => {
    const r = await project.up(['-f', 'compose.yaml', '--progress', 'plain'], { API_VERSION: '2.5' });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/up to date/);
    expect(r.stdout).not.toMatch(/^\[(api|web)\] #\d/m);
  });
});
