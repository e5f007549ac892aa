/**
 * Collisions of mounts with the context, on the real engine. Known statically: `mbuild up`
 * refuses the file (exit 2) with the `mount-collision` diagnostic. Not known statically
 * (the context changed after it was validated): the build fails before it completes, with
 * both sources named, and nothing is overwritten. Both builders; no temporary container left.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBuildFile } from '../../src/config/load.js';
import type { BuildEvent } from '../../src/core/events.js';
import { createEngine } from '../../src/docker/connect.js';
import { createBuildOne } from '../../src/execute/image-build.js';
import { StatCache } from '../../src/cache/stat-cache.js';
import { idOf } from '../helpers/engine-docker.js';
import { mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const projects: MountsProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

const TREE = {
  'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  src:
    context: src
  app:
    context: app
    mounts: [{from: src, path: /app/dist, to: static}]
`,
  'src/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nRUN mkdir -p /app/dist && echo new > /app/dist/index.html\n',
  'app/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nCOPY static/ /static/\n',
};

describe('mount collisions', () => {
  it('are refused before building when the build file says so', async () => {
    const p = mountsProject('col-static', { ...TREE, 'app/static/index.html': 'old' });
    projects.push(p);
    const r = await p.run(['up', 'app', '--progress', 'plain']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'mbuild.yaml:10:47: error: mount src:/app/dist -> static collides with context folder static (app/static): a mount never overwrites the context; exclude it in .dockerignore or mount elsewhere\n',
    );
    expect(idOf(`${p.name}-src:latest`)).toBeUndefined();
  });

  describe.each(['buildkit', 'classic'] as const)('--builder %s', (builder) => {
    it.each([
      ['a folder', { 'static/index.html': 'old' }, 'mount src:/app/dist -> static collides with context folder static'],
      [
        'a re-included file',
        { 'static/index.html': 'old', '.dockerignore': 'static\n!static/index.html\n' },
        'mount src:/app/dist -> static collides with context file static/index.html',
      ],
    ])('fail the build when the context gained %s after validation', async (_what, added, message) => {
      const p = mountsProject(`col-late-${builder.slice(0, 2)}`, TREE);
      projects.push(p);
      const src = await p.run(['up', 'src', '--builder', builder, '--progress', 'plain']);
      expect(src.code, src.stderr).toBe(0);
      const loaded = await loadBuildFile({ cwd: p.dir, env: {}, vars: {} });
      if (!loaded.ok) throw new Error('the build file should be valid before the context changes');
      for (const [rel, text] of Object.entries(added)) {
        mkdirSync(join(p.dir, 'app', rel, '..'), { recursive: true });
        writeFileSync(join(p.dir, 'app', rel), text);
      }
      const events: BuildEvent[] = [];
      const buildOne = createBuildOne({
        file: loaded.value.file,
        engine: createEngine(),
        builder,
        emit: (e) => events.push(e),
        logDir: join(p.dir, '.mbuild', 'logs'),
        noCache: false,
        cache: { statCache: (await StatCache.load(join(p.dir, '.mbuild', 'stat-cache.json'))).cache },
      });
      const outcome = await buildOne('app', new Map([['src', idOf(`${p.name}-src:latest`)!]]), new AbortController().signal);
      expect(outcome).toMatchObject({ kind: 'failed', failure: { reason: 'mount-failed', message } });
      expect(idOf(`${p.name}-app:latest`)).toBeUndefined();
      expect(tempContainersOf(process.pid)).toEqual([]);
    });
  });
});
