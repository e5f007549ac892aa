/**
 * The garbage policy on classic builds, which carry mbuild's marks as a tag
 * (`mbuild-key/<project>/<image>:<key>`) instead of labels: the tag does not keep a
 * superseded build as "tagged", it goes with it; the kept builds keep theirs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, idOf, inspectImage, markTags } from '../helpers/engine-docker.js';
import { copyFixture } from '../helpers/engine-project.js';
import { runCli } from '../helpers/run-cli.js';

const p = copyFixture('gc', 'gc-classic');
afterAll(() => {
  expect(p.cleanup()).toEqual([]);
});

/** The images of `app` that carry one of its mark tags. */
const marked = (): string[] => [...new Set(docker('images', '-q', '--no-trunc', '--filter', `reference=mbuild-key/${p.name}/app:*`))];

describe('the garbage policy, classic builds', () => {
  it('removes superseded builds with their mark tags, keeps the last keep builds with theirs', async () => {
    const seen: string[] = [];
    let removedLine = '';
    for (let i = 1; i <= 6; i++) {
      writeFileSync(join(p.dir, 'app/edit.txt'), `edit ${i}\n`);
      const r = await runCli(['up', '--builder', 'classic', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env } });
      expect(r.code, r.stderr).toBe(0);
      seen.push(idOf(`${p.name}/app:t`)!);
      if (r.stderr.includes('gc: removed')) removedLine = r.stderr;
    }
    expect(removedLine).toMatch(/gc: removed \d+ superseded images \(keep 3/);
    expect(new Set(seen).size).toBe(6);
    expect(marked().sort()).toEqual(seen.slice(-3).sort());
    for (const id of seen.slice(0, 3)) expect(inspectImage(id), id).toBeUndefined();
    // One mark per kept build, each on its image; none of mbuild's labels.
    const tags = markTags(p.name, 'app');
    expect(tags).toHaveLength(3);
    for (const t of tags) expect(seen.slice(-3)).toContain(idOf(t));
    expect(Object.keys(inspectImage(seen[5]!)!.labels).filter((k) => k.startsWith('io.mbuild.'))).toEqual([]);
  });
});
