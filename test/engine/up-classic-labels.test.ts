/**
 * The classic builder turns every instruction, a LABEL too, into a container and a commit:
 * there mbuild's marks are a tag, `mbuild-key/<project>/<image>:<key>` (core/labels.ts
 * markTag), and an image with no labels of its own gets no LABEL step at all. An image with
 * labels of its own gets them as one LABEL instruction closing the built stage, mbuild's
 * beside them, rather than one step per entry of the `labels` build parameter
 * (dockerfile/label-line.ts). Checked on the engine: the image carries every label and its
 * mark tag, the build log has one LABEL step (none without labels), which the step counter
 * and the progress never show (a file of three steps is [1/3]..[3/3]), COPY . sees neither
 * the injected Dockerfile nor a synthesized .dockerignore, a target stage gets the labels,
 * the next run is a no-op, also from a fresh checkout (found by its mark tag), and an edit
 * rebuilds.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileInImage, inspectImage, markTags } from '../helpers/engine-docker.js';
import { imageIdOf, outcomes, parseEvents } from '../helpers/engine-events.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { startEngineProxy } from '../helpers/engine-proxy.js';

const project = copyFixture('labels', 'labels');
const marks = copyFixture('marks', 'marks');
afterAll(() => {
  expect(project.cleanup()).toEqual([]);
  expect(marks.cleanup()).toEqual([]);
});

const logOf = (p: TestProject, image: string): string[] => readFileSync(join(p.dir, '.mbuild', 'logs', `${image}.log`), 'utf8').split('\n');
const logLines = (image: string): string[] => logOf(project, image);
const labelSteps = (image: string): string[] => logLines(image).filter((l) => l.startsWith("# mbuild's LABEL step (LABEL "));
/** The steps the progress showed for `image`, as counted (`[1/3]`). */
const counted = (events: ReturnType<typeof parseEvents>, image: string): string[] =>
  events.flatMap((e) => (e.type === 'image-step' && e.image === image && !e.cached ? [e.step.replace(/^(\[\d+\/\d+\]).*$/s, '$1')] : []));

describe('labels under the classic builder', () => {
  it('puts every label on the image in one LABEL step, invisible to COPY ., on the target stage, and reuses the image next time', async () => {
    const first = await project.up(['--builder', 'classic', '--progress', 'json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const events = parseEvents(first.stdout);
    expect(outcomes(events)).toEqual({ plain: 'built', staged: 'built' });

    for (const image of ['plain', 'staged']) {
      const facts = inspectImage(imageIdOf(events, image))!;
      expect(facts.labels).toMatchObject({ 'io.mbuild.project': project.name, 'io.mbuild.image': image, 'mbt.project': project.name });
      const key = facts.labels['io.mbuild.key'];
      expect(key).toMatch(/^v\d+-[0-9a-f]{64}$/);
      expect(labelSteps(image)).toHaveLength(1);
      expect(labelSteps(image)[0]).toContain(`"io.mbuild.key"="${key!}"`);
      expect(logLines(image).filter((l) => /^#\d+ \[\d+\/\d+\] LABEL "io\.mbuild/.test(l))).toEqual([]);
      // The mark tag too, as on every classic build.
      expect(markTags(project.name, image)).toEqual([`mbuild-key/${project.name}/${image}:${key!}`]);
      expect(facts.repoTags).toContain(`mbuild-key/${project.name}/${image}:${key!}`);
    }
    expect(events.filter((e) => e.type === 'image-step' && e.step.includes('io.mbuild'))).toEqual([]);
    expect(counted(events, 'plain')).toEqual(['[1/3]', '[2/3]', '[3/3]']);
    expect(counted(events, 'staged')).toEqual(['[1/2]', '[2/2]']);
    expect(inspectImage(imageIdOf(events, 'plain'))!.labels['team']).toBe('build tools');
    expect(fileInImage(imageIdOf(events, 'plain'), '/list').trim().split('\n')).toEqual(['.', './Dockerfile', './src', './src/a.txt']);
    expect(fileInImage(imageIdOf(events, 'staged'), '/stage').trim()).toBe('first');

    const again = await project.up(['--builder', 'classic', '--progress', 'json']);
    expect(again.code).toBe(0);
    expect(outcomes(parseEvents(again.stdout))).toEqual({ plain: 'up-to-date', staged: 'up-to-date' });
  });
});

describe("mbuild's marks under the classic builder: a tag, and no LABEL step without labels of the image's own", () => {
  const classic = ['--builder', 'classic', '--progress', 'json'];
  /** One `up` through a proxy that counts the builds it asks for. */
  async function up(): Promise<{ events: ReturnType<typeof parseEvents>; builds: number }> {
    const proxy = await startEngineProxy();
    try {
      const r = await marks.up(classic, { DOCKER_HOST: proxy.url });
      expect(r.stderr).toBe('');
      expect(r.code, r.stdout).toBe(0);
      return { events: parseEvents(r.stdout), builds: proxy.routes.filter((x) => x === 'POST /build').length };
    } finally {
      await proxy.close();
    }
  }
  const steps = (events: ReturnType<typeof parseEvents>, image: string): string[] =>
    events.flatMap((e) => (e.type === 'image-step' && e.image === image ? [e.step.replace(/^(\[\d+\/\d+\]).*$/s, '$1')] : []));

  it('marks the image by its tag alone, finds it again (also from a fresh checkout), and rebuilds on an edit', async () => {
    const first = await up();
    expect(outcomes(first.events)).toEqual({ app: 'built', labelled: 'built' });
    expect(first.builds).toBe(2);

    // No labels of its own: no LABEL step, no mbuild label, the mark tag names project, image and key.
    const app = inspectImage(imageIdOf(first.events, 'app'))!;
    expect(Object.keys(app.labels).filter((k) => k.startsWith('io.mbuild.'))).toEqual([]);
    const [mark] = markTags(marks.name, 'app');
    expect(mark).toMatch(new RegExp(`^mbuild-key/${marks.name}/app:v1-[0-9a-f]{64}$`));
    expect(app.repoTags).toContain(mark);
    expect(logOf(marks, 'app').filter((l) => /LABEL/.test(l))).toEqual([]);
    expect(steps(first.events, 'app')).toEqual(['[1/2]', '[2/2]']);
    expect(fileInImage(app.id, '/a.txt').trim()).toBe(`${marks.name} one`);

    // Labels of its own: one LABEL step with them and mbuild's, and the mark tag as well.
    const labelled = inspectImage(imageIdOf(first.events, 'labelled'))!;
    const key = labelled.labels['io.mbuild.key']!;
    expect(labelled.labels).toMatchObject({ team: 'web', 'io.mbuild.project': marks.name, 'io.mbuild.image': 'labelled' });
    expect(logOf(marks, 'labelled').filter((l) => l.startsWith("# mbuild's LABEL step (LABEL "))).toHaveLength(1);
    expect(labelled.repoTags).toContain(`mbuild-key/${marks.name}/labelled:${key}`);
    expect(steps(first.events, 'labelled')).toEqual(['[1/2]', '[2/2]']);

    // The next run: nothing built.
    const again = await up();
    expect(outcomes(again.events)).toEqual({ app: 'up-to-date', labelled: 'up-to-date' });
    expect(again.builds).toBe(0);

    // A fresh checkout: no local state; the engine's listing (by mark tag) finds both.
    rmSync(join(marks.dir, '.mbuild'), { recursive: true, force: true });
    const fresh = await up();
    expect(outcomes(fresh.events)).toEqual({ app: 'up-to-date', labelled: 'up-to-date' });
    expect(imageIdOf(fresh.events, 'app')).toBe(app.id);
    expect(fresh.builds).toBe(0);

    // An edit: built again, under a new key, with its own mark.
    writeFileSync(join(marks.dir, 'app', 'a.txt'), `${marks.name} two\n`);
    const edited = await up();
    expect(outcomes(edited.events)).toEqual({ app: 'built', labelled: 'built' });
    expect(edited.builds).toBe(2);
    const now = inspectImage(imageIdOf(edited.events, 'app'))!;
    expect(now.id).not.toBe(app.id);
    expect(fileInImage(now.id, '/a.txt').trim()).toBe(`${marks.name} two`);
    const nowMark = now.repoTags.find((t) => t.startsWith(`mbuild-key/${marks.name}/app:`));
    expect(nowMark).toBeDefined();
    expect(nowMark).not.toBe(mark);
  });
});
