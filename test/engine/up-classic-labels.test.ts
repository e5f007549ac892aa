/**
 * The classic builder makes one step per entry of the `labels` build parameter; mbuild
 * sends every label as one LABEL instruction closing the built stage instead
 * (dockerfile/label-line.ts). Checked on the engine: the image carries every label, the
 * build log has one LABEL step, which the step counter and the progress never show (a file
 * of three steps is [1/3]..[3/3]), COPY . sees neither the injected Dockerfile nor a
 * synthesized .dockerignore, a target stage gets the labels, and the next run is a no-op.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileInImage, inspectImage } from '../helpers/engine-docker.js';
import { imageIdOf, outcomes, parseEvents } from '../helpers/engine-events.js';
import { copyFixture } from '../helpers/engine-project.js';

const project = copyFixture('labels', 'labels');
afterAll(() => {
  expect(project.cleanup()).toEqual([]);
});

const logLines = (image: string): string[] => readFileSync(join(project.dir, '.mbuild', 'logs', `${image}.log`), 'utf8').split('\n');
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
