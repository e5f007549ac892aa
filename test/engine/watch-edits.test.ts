/**
 * `mbuild watch` on the real engine and real files, one watch process for the file
 * (fixture test/fixtures/watch/chain: base -> viaarg (arg), viafrom (FROM), viamount
 * (mount), ordered (depends_on); `other` unrelated):
 *  - one edit rebuilds that image and its dependents once each, in dependency order,
 *    touches nothing else, exports outputs again, runs the hook with its env, and reports
 *    watch-change (paths relative to the root) and watch-rebuilt;
 *  - a burst of 1,000 writes across 3 images builds each affected image at most once, and
 *    the images hold the last write;
 *  - an edit to an ignored file builds nothing (not even a change line); a change that
 *    leaves every key unchanged (a touch, the same bytes written again) builds nothing.
 * Needs the compiled CLI (`npx tsc -p .`).
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileInImage, idOf } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession, type WEvent } from '../fixtures/watch/watch-session.js';

/** The dependents that read base; `ordered` only waits for it (depends_on). */
const DEPENDENTS = ['viaarg', 'viafrom', 'viamount'];
const ALL = ['base', ...DEPENDENTS, 'ordered', 'other'];
const of = (e: WEvent): string | undefined => (e as { image?: string }).image;

let p: TestProject;
let w: WatchSession;

beforeAll(async () => {
  p = copyFixture('../watch/chain', 'wedit');
  w = new WatchSession(p, ['--on-rebuild', 'echo "hook $MBUILD_IMAGE $MBUILD_IMAGE_ID $MBUILD_TAGS"']);
  await w.ready();
});

afterAll(async () => {
  try {
    const r = await w.stop('SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(w.events.filter((e) => e.type === 'watch-not-json')).toEqual([]);
  } finally {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  }
});

describe('mbuild watch: edits', () => {
  it('one edit rebuilds that image and the dependents that read it once each, in dependency order, and nothing else', async () => {
    const before = Object.fromEntries(ALL.map((n) => [n, idOf(`${p.name}/${n}:t`)]));
    const m = w.mark();
    writeFileSync(join(p.dir, 'base/v.txt'), 'base v2\n');
    await w.settle();

    for (const image of ['base', ...DEPENDENTS]) expect(w.starts(m, image), `${image} builds\n${w.describe()}`).toBe(1);
    expect(
      w.since(m).filter((e) => of(e) === 'other'),
      'other is not touched',
    ).toEqual([]);
    expect(w.starts(m, 'ordered'), 'depends_on orders only: ordered is not rebuilt').toBe(0);
    for (const run of w.since(m, 'run-started')) expect(run['images']).not.toContain('other');
    const baseDone = w.events.findIndex((e, i) => i >= m && e.type === 'image-done' && of(e) === 'base');
    for (const image of DEPENDENTS) {
      const started = w.events.findIndex((e, i) => i >= m && e.type === 'image-started' && of(e) === image);
      expect(started, `${image} starts after base is done`).toBeGreaterThan(baseDone);
    }

    const change = w.since(m, 'watch-change');
    expect(change.flatMap((e) => e['paths'] as string[])).toContain('base/v.txt');
    const rebuilt = w.since(m, 'watch-rebuilt');
    expect(rebuilt.map(of).sort()).toEqual(['base', ...DEPENDENTS].sort());
    for (const e of rebuilt) {
      const image = of(e)!; // watch-rebuilt names its image
      const id = idOf(`${p.name}/${image}:t`);
      expect(id, `${image} is tagged`).toBeDefined();
      expect(e['imageId']).toBe(id);
      expect(id).not.toBe(before[image]);
      const hook = w.since(m, 'watch-hook').find((h) => of(h) === image);
      expect(hook?.['exitCode']).toBe(0);
      expect(hook?.['output']).toBe(`hook ${image} ${id!} ${p.name}/${image}:t\n`);
    }
    expect(idOf(`${p.name}/other:t`)).toBe(before['other']);
    expect(idOf(`${p.name}/ordered:t`)).toBe(before['ordered']);

    expect(fileInImage(`${p.name}/viaarg:t`, '/srv/base/v.txt')).toBe('base v2\n');
    expect(fileInImage(`${p.name}/viafrom:t`, '/srv/base/v.txt')).toBe('base v2\n');
    expect(fileInImage(`${p.name}/viamount:t`, '/srv/viamount/frombase/v.txt')).toBe('base v2\n');
    expect(readFileSync(join(p.dir, 'out/base-v.txt'), 'utf8'), 'the output is exported again').toBe('base v2\n');
  });

  it('a burst of 1,000 writes across 3 images builds each affected image at most once', async () => {
    const m = w.mark();
    const files = ['base/v.txt', 'viaarg/v.txt', 'other/v.txt'];
    const last = new Map<string, string>();
    for (let i = 0; i < 1000; i++) {
      const f = files[i % files.length]!;
      last.set(f, `${f} burst ${i}\n`);
      writeFileSync(join(p.dir, f), last.get(f)!);
    }
    await w.settle();

    for (const image of ALL) expect(w.starts(m, image), `${image} builds\n${w.describe()}`).toBeLessThanOrEqual(1);
    for (const image of ['base', 'viaarg', 'other']) expect(w.starts(m, image), `${image} builds`).toBe(1);
    expect(fileInImage(`${p.name}/base:t`, '/srv/base/v.txt')).toBe(last.get('base/v.txt'));
    expect(fileInImage(`${p.name}/viaarg:t`, '/srv/viaarg/v.txt')).toBe(last.get('viaarg/v.txt'));
    expect(fileInImage(`${p.name}/viaarg:t`, '/srv/base/v.txt')).toBe(last.get('base/v.txt'));
    expect(fileInImage(`${p.name}/other:t`, '/srv/other/v.txt')).toBe(last.get('other/v.txt'));
  });

  it('an edit to an ignored file builds nothing and is not even reported', async () => {
    const m = w.mark();
    writeFileSync(join(p.dir, 'base/notes.ign'), 'edited\n');
    writeFileSync(join(p.dir, 'base/new.ign'), 'new\n');
    await w.settle();
    expect(
      w.since(m).filter((e) => e.type !== 'watch-probe'),
      w.describe(),
    ).toEqual([]);
  });

  it('a change that leaves every key unchanged builds nothing: the cache decides', async () => {
    const ids = Object.fromEntries(ALL.map((n) => [n, idOf(`${p.name}/${n}:t`)]));
    const m = w.mark();
    const now = new Date();
    utimesSync(join(p.dir, 'base/v.txt'), now, now);
    writeFileSync(join(p.dir, 'other/v.txt'), readFileSync(join(p.dir, 'other/v.txt')));
    await w.settle();
    expect(w.since(m, 'watch-change').length, 'the touch is seen').toBeGreaterThan(0);
    expect(w.since(m, 'image-started'), w.describe()).toEqual([]);
    expect(w.since(m, 'watch-rebuilt')).toEqual([]);
    for (const n of ALL) expect(idOf(`${p.name}/${n}:t`)).toBe(ids[n]);
  });
});
