/**
 * The cache's commands on the real engine: `plan` predicts fresh and stale with reasons
 * without building, `why` prints the input diff against the last build, and `clean`
 * removes exactly the project's images that no current tag or key refers to.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, idOf } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { parseEvents } from '../helpers/engine-events.js';
import { runCli } from '../helpers/run-cli.js';

let p: TestProject;
const run = (...args: string[]) => runCli([...args], { cwd: p.dir, env: { ...process.env } });
const projectImages = () => docker('images', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${p.name}`).sort();

beforeAll(async () => {
  p = copyFixture('cache', 'cmds');
  docker('tag', 'busybox:latest', `${p.name}-src:1`);
  expect((await p.up(['--builder', 'buildkit', '--progress', 'json'])).code).toBe(0);
});

afterAll(() => {
  docker('rmi', '-f', `${p.name}-src:1`);
  expect(p.cleanup()).toEqual([]);
});

describe('plan, why and clean', () => {
  it('plan predicts fresh and stale with reasons, and builds nothing', async () => {
    writeFileSync(join(p.dir, 'app/src/main.txt'), 'main changed\n');
    const before = projectImages();
    const text = await run('plan', '--builder', 'buildkit');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  base\n      fresh\n');
    expect(text.stdout).toContain('      stale: context changed: src/main.txt\n');
    // Every reason up will give ("upstream app rebuilt; mounted image changed: app:/srv/app"), predicted.
    expect(text.stdout).toContain('      stale: upstream app will be rebuilt; mounted image will change: app:/srv/app\n');
    expect(text.stdout).toContain('2 of 3 images would be built.');
    const json = JSON.parse((await run('plan', '--builder', 'buildkit', '--format', 'json')).stdout) as {
      predictions: { image: string; fresh: boolean; reasons?: string[] }[];
    };
    expect(json.predictions.map((x) => [x.image, x.fresh])).toEqual([
      ['base', true],
      ['app', false],
      ['web', false],
    ]);
    expect(projectImages()).toEqual(before);
  });

  it('why prints the input diff between now and the last build', async () => {
    writeFileSync(join(p.dir, 'app/src/extra.txt'), 'new file\n');
    const r = await run('why', 'app', '--builder', 'buildkit');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^app would be built:\n {2}- context changed: src\/extra\.txt \(\+1 more\)\nchanged context paths since the build of .*:\n {2}src\/extra\.txt\n {2}src\/main\.txt\n$/,
    );
    const fresh = await run('why', 'base', '--builder', 'buildkit');
    expect(fresh.stdout).toMatch(/^base is up to date: image [0-9a-f]{12}, built /);
    expect((await run('why', 'nope')).code).toBe(2);
  });

  it('clean removes images no current tag or key refers to, and nothing else', async () => {
    const r = await p.up(['--builder', 'buildkit', '--progress', 'json']);
    expect(
      parseEvents(r.stdout)
        .filter((e) => e.type === 'image-started')
        .map((e) => e.image),
    ).toEqual(['app', 'web']);
    const current = ['base', 'app', 'web'].map((i) => idOf(`${p.name}/${i}:t`)!);
    const all = projectImages();
    const stale = all.filter((id) => !current.includes(id));
    expect(stale.length).toBe(2);
    const dry = await run('clean', '--dry-run', '--builder', 'buildkit');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('2 images would be removed');
    expect(projectImages()).toEqual(all);
    const clean = await run('clean', '--builder', 'buildkit');
    expect(clean.stdout).toContain('2 images removed');
    expect(projectImages()).toEqual([...current].sort());
    // The engine is the truth: the next run has nothing to do.
    const again = await p.up(['--builder', 'buildkit', '--progress', 'json']);
    expect(parseEvents(again.stdout).filter((e) => e.type === 'image-started')).toEqual([]);
  });
});
