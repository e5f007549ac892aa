/**
 * Inputs deleted while `mbuild watch` runs, on the real engine (fixture test/fixtures/watch/missing):
 * a Dockerfile, a context folder and the build file. Each time: no internal error and no
 * crash; a line saying which file is missing and that the image waits; the last good plan
 * kept (the other images still build); and the image built again once its input is back.
 * Needs the compiled CLI.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileInImage } from '../helpers/engine-docker.js';
import { copyFixture } from '../helpers/engine-project.js';
import { WatchSession, type WEvent } from '../fixtures/watch/watch-session.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const of = (e: WEvent): string | undefined => (e as { image?: string }).image;
const failures = (w: WatchSession, from: number): WEvent[] => w.since(from, 'image-done').filter((e) => (e['outcome'] as { kind: string }).kind === 'failed');
const noInternalError = (w: WatchSession): void => {
  expect(JSON.stringify(w.events)).not.toMatch(/internal error|ENOENT/i);
};

describe('mbuild watch: inputs deleted while watching', () => {
  it('a Dockerfile, a context folder and the build file: each waits with a clear message and is built again when back', async () => {
    const p = copyFixture('../watch/missing', 'wmiss');
    const w = new WatchSession(p);
    cleanups.push(() => {
      w.kill();
      expect(p.cleanup(), 'images left behind').toEqual([]);
    });
    await w.ready();

    // up's Dockerfile: up waits; down is built against up's last image (nothing to do).
    let m = w.mark();
    rmSync(join(p.dir, 'up/Dockerfile'));
    await w.settle();
    expect(w.since(m, 'watch-waiting'), w.describe()).toEqual([expect.objectContaining({ image: 'up', missing: ['up/Dockerfile'] })]);
    expect(w.since(m, 'image-started').map(of)).toEqual([]);
    expect(failures(w, m)).toEqual([]);

    // The last good plan is kept: another image still builds.
    m = w.mark();
    writeFileSync(join(p.dir, 'other/v.txt'), 'other2\n');
    await w.settle();
    expect(w.since(m, 'watch-rebuilt').map(of)).toEqual(['other']);

    // Back, with a change: up and down are built.
    m = w.mark();
    writeFileSync(join(p.dir, 'up/Dockerfile'), `FROM busybox\nLABEL mbt.project=${p.name}\nCOPY v.txt /up2.txt\n`);
    await w.settle();
    expect(w.since(m, 'watch-rebuilt').map(of).sort(), w.describe()).toEqual(['down', 'up']);
    expect(fileInImage(`${p.name}/down:t`, '/up2.txt')).toBe('up1\n');

    // down's context folder: down waits, named by its folder.
    m = w.mark();
    rmSync(join(p.dir, 'down'), { recursive: true });
    await w.settle();
    expect(w.since(m, 'watch-waiting'), w.describe()).toEqual([expect.objectContaining({ image: 'down', missing: ['down'] })]);
    expect(failures(w, m)).toEqual([]);
    m = w.mark();
    mkdirSync(join(p.dir, 'down'));
    writeFileSync(join(p.dir, 'down/Dockerfile'), 'ARG BASE\nFROM ${BASE}\nCOPY v.txt /down2.txt\n');
    writeFileSync(join(p.dir, 'down/v.txt'), 'down2\n');
    await w.settle();
    expect(w.since(m, 'watch-rebuilt').map(of), w.describe()).toContain('down');
    expect(fileInImage(`${p.name}/down:t`, '/down2.txt')).toBe('down2\n');

    // The build file renamed: reported, never looked for in a parent folder; the last good plan builds on.
    m = w.mark();
    renameSync(join(p.dir, 'mbuild.yaml'), join(p.dir, 'mbuild.yaml.bak'));
    await w.settle();
    const gone = w.since(m, 'watch-reload');
    expect(gone.map((e) => e['ok'])).toEqual([false]);
    expect(gone[0]?.['message']).toContain(`no mbuild.yaml or mbuild.yml in folder ${p.dir}`);
    m = w.mark();
    writeFileSync(join(p.dir, 'other/v.txt'), 'other3\n');
    await w.settle();
    expect(w.since(m, 'watch-rebuilt').map(of)).toEqual(['other']);
    m = w.mark();
    renameSync(join(p.dir, 'mbuild.yaml.bak'), join(p.dir, 'mbuild.yaml'));
    await w.settle();
    expect(w.since(m, 'watch-reload').map((e) => e['ok'])).toEqual([true]);

    noInternalError(w);
    const r = await w.stop('SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(/internal error|ENOENT/);
  });
});
