/**
 * The garbage policy in a `watch` session (issue 23): 50 edits, each rebuilt in its own
 * cycle, leave at most `keep` (3) builds of the image on the engine; the policy runs after
 * every cycle (watch/watcher.ts `afterRun`), not only at the end.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession } from '../fixtures/watch/watch-session.js';

const EDITS = 50;
const KEEP = 3;
let p: TestProject;
let w: WatchSession;

/** The project's builds of `app` on the engine. */
const builds = (): string[] => [
  ...new Set(docker('images', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${p.name}`, '--filter', 'label=io.mbuild.image=app')),
];

beforeAll(async () => {
  p = copyFixture('gc', 'gcwatch');
  w = new WatchSession(p, ['app', '--builder', 'buildkit']);
  await w.ready();
}, 120_000);

afterAll(async () => {
  try {
    const r = await w.stop('SIGINT');
    expect(r.code, r.stderr).toBe(130);
  } finally {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  }
});

describe('mbuild watch: the garbage policy', () => {
  it(`${EDITS} edits, each rebuilt, leave at most ${KEEP} builds of the image`, async () => {
    let most = 0;
    for (let i = 1; i <= EDITS; i++) {
      const from = w.mark();
      writeFileSync(join(p.dir, 'app/edit.txt'), `edit ${i}\n`);
      await w.waitType('watch-rebuilt', `app rebuilt after edit ${i}`, { from, image: 'app' });
      await w.settle();
      if (i % 10 === 0) most = Math.max(most, builds().length);
    }
    const rebuilt = w.since(0, 'watch-rebuilt').filter((e) => e['image'] === 'app').length;
    expect(rebuilt).toBeGreaterThanOrEqual(EDITS);
    expect(builds().length).toBeLessThanOrEqual(KEEP);
    expect(most).toBeLessThanOrEqual(KEEP);

    // Back to the first edit: its build was removed long ago, though this session built it;
    // the session's index must not offer it (it did: "up to date", then tagging failed).
    const from = w.mark();
    writeFileSync(join(p.dir, 'app/edit.txt'), 'edit 1\n');
    await w.waitType('watch-rebuilt', 'app rebuilt after going back to edit 1', { from, image: 'app' });
    await w.settle();
    const done = w.since(from, 'image-done').filter((e) => e['image'] === 'app');
    expect(done.map((e) => (e['outcome'] as { kind: string }).kind)).toEqual(['built']);
  }, 600_000);
});
