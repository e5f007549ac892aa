/**
 * What `mbuild up` prints, on the real engine (fixture test/fixtures/up/messages):
 *  - the classic builder's step counter counts the Dockerfile's own steps: a file of three
 *    shows [1/3]..[3/3] in the progress and the failure report; an image with no labels of
 *    its own gets no LABEL step of mbuild's (its marks are a tag);
 *  - the failing step of a classic build is found at its own Dockerfile line;
 *  - terminal escapes printed by a RUN reach neither the progress, the failure tail nor
 *    the log file; the daemon's spacing is kept, and step headers are written as the
 *    daemon's plain progress writes them (`#1 [internal] load ...`);
 *  - a run whose images are all up to date announces no build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markTags } from '../helpers/engine-docker.js';
import { copyFixture } from '../helpers/engine-project.js';

const project = copyFixture('messages', 'msg');
afterAll(() => {
  expect(project.cleanup()).toEqual([]);
});

const ESC = '\x1b';
const log = (image: string): string => readFileSync(join(project.dir, '.mbuild', 'logs', `${image}.log`), 'utf8');
/** The lines of the failure report's log tail (without the `   | ` margin). */
const tailOf = (stderr: string): string[] => {
  const lines = stderr.split('\n');
  const head = lines.findIndex((l) => /^ {2}last \d+ log lines:$/.test(l));
  expect(head, stderr).toBeGreaterThan(-1);
  const end = lines.findIndex((l, i) => i > head && !l.startsWith('   | '));
  return lines.slice(head + 1, end).map((l) => l.slice(5));
};

describe('mbuild up: messages', () => {
  it('classic: a three-step file is counted [1/3]..[3/3], the failing last step is [3/3], and no escape reaches the tail', async () => {
    const r = await project.up(['three', '--builder', 'classic', '--progress', 'plain']);
    expect(r.code).toBe(1);
    const steps = r.stdout
      .split('\n')
      .filter((l) => /^\[three\] \[\d+\/\d+\] /.test(l))
      .map((l) => l.replace(/^\[three\] (\[\d+\/\d+\]) .*$/, '$1'));
    expect(steps, r.stdout).toEqual(['[1/3]', '[2/3]', '[3/3]']);
    expect(r.stdout).not.toMatch(/LABEL "io\.mbuild/);
    expect(r.stderr).toMatch(/^error: image 'three' failed at \[3\/3\] RUN printf /m);
    expect(r.stderr).toContain(`  --> ${join(project.dir, 'three', 'Dockerfile')}:3`);

    const tail = tailOf(r.stderr);
    expect(tail).toContain('red');
    expect(tail).toContain('  two  spaces');
    expect(tail.slice(0, 3)).toEqual([
      '#1 [1/3] FROM busybox',
      `#2 [2/3] LABEL mbt.project=${project.name}`,
      expect.stringMatching(/^#3 \[3\/3\] RUN printf /),
    ]);
    for (const text of [r.stdout, r.stderr, log('three')]) expect(text).not.toContain(ESC);
    expect(r.stdout).toContain('[three]   red\n');
    expect(log('three')).toContain('\nred\n  two  spaces\n');
  });

  it('classic: the failing third step of four points at its own Dockerfile line', async () => {
    const r = await project.up(['early', '--builder', 'classic', '--progress', 'plain']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: image 'early' failed at \[3\/4\] RUN echo \S+ early && exit 3: /m);
    expect(r.stderr).toContain(`  --> ${join(project.dir, 'early', 'Dockerfile')}:3\n   | RUN echo ${project.name} early && exit 3\n`);
  });

  it('BuildKit: step headers as the daemon numbers them, no escape in the tail, the spacing kept', async () => {
    const r = await project.up(['three', '--builder', 'buildkit', '--progress', 'plain']);
    expect(r.code).toBe(1);
    const tail = tailOf(r.stderr);
    expect(
      tail.filter((l) => l.startsWith('#[')),
      r.stderr,
    ).toEqual([]);
    expect(tail, r.stderr).toContainEqual(expect.stringMatching(/^#\d+ \[internal\] load /));
    expect(tail).toContainEqual(expect.stringMatching(/^#\d+ \[\d\/\d\] RUN printf /));
    expect(tail).toContain('red');
    expect(tail).toContain('  two  spaces');
    for (const text of [r.stdout, r.stderr, log('three')]) expect(text).not.toContain(ESC);
  });

  it("classic: a build counts its own steps, with no LABEL step of mbuild's (its marks are a tag); a no-op run announces no build", async () => {
    const first = await project.up(['ok', '--builder', 'classic', '--progress', 'plain']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^building with classic, \d+ at a time$/m);
    const started = first.stdout.split('\n').filter((l) => /^\[ok\] \[\d+\/\d+\] /.test(l) && !l.endsWith(' (cached)'));
    expect(
      started.map((l) => l.slice(5, 10)),
      first.stdout,
    ).toEqual(['[1/3]', '[2/3]', '[3/3]']);
    // No labels of its own: no LABEL step at all (up-classic-labels.test.ts counts one that has them).
    expect(log('ok')).not.toMatch(/mbuild's LABEL step|io\.mbuild/);
    expect(log('ok').match(/\] LABEL /g)).toHaveLength(1); // the Dockerfile's own
    expect(markTags(project.name, 'ok')).toHaveLength(1);

    const again = await project.up(['ok', '--builder', 'classic', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^\[ok\] up to date: /m);
    expect(again.stdout).not.toMatch(/building/);
    expect(again.stdout).toMatch(/^done in [\d.]+s: 1 up to date$/m);
  });
});
