/**
 * Watch mode's pure parts: what a path means (inputs by each image's own .dockerignore,
 * Dockerfiles, ignore files, the build file, excluded outputs and their temporary
 * siblings, .mbuild/), what chokidar may prune, raw event paths, the affected set with
 * unbuilt upstream images, and the loop guard's counting.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IgnoreMatcher } from '../../src/dockerignore/ignore.js';
import type { BuildPlan } from '../../src/plan/types.js';
import { affectedImages, subPlan, withUnbuiltUpstream } from '../../src/watch/affected.js';
import { rawPath } from '../../src/watch/fs-watch.js';
import { LOOP_GRACE_MS, LoopGuard } from '../../src/watch/loop-guard.js';
import { isIgnored, isProbe, meaningOf, pruneFingerprint, shown, type WatchTargets } from '../../src/watch/paths.js';

const R = '/proj';
const matcher = (text: string) => IgnoreMatcher.fromText(text) as IgnoreMatcher;
const targets: WatchTargets = {
  root: R,
  buildFile: `${R}/mbuild.yaml`,
  envFiles: [`${R}/.env`, `${R}/ci/ci.env`],
  images: [
    {
      image: 'api',
      context: `${R}/api`,
      matcher: matcher('node_modules\n*.log\n!keep.log\ndist\n!dist/public/**\n'),
      select: undefined,
      dockerfile: `${R}/api/Dockerfile`,
      ignoreFiles: [`${R}/api/Dockerfile.dockerignore`, `${R}/api/.dockerignore`],
    },
    {
      image: 'web',
      context: `${R}/web`,
      matcher: matcher(''),
      select: undefined,
      dockerfile: `${R}/docker/web.Dockerfile`,
      ignoreFiles: [`${R}/docker/web.Dockerfile.dockerignore`, `${R}/web/.dockerignore`],
    },
    { image: 'all', context: R, matcher: matcher('api\nweb\ndocker\n'), select: undefined, dockerfile: undefined, ignoreFiles: [`${R}/.dockerignore`] },
  ],
  excluded: [`${R}/.mbuild`, `${R}/api/.mbuild`, `${R}/web/gen/out.txt`],
  outputs: [`${R}/web/gen/out.txt`],
};

describe('meaningOf / isIgnored', () => {
  it("maps a path to the images it is an input of, with each image's own matcher", () => {
    expect(meaningOf(targets, `${R}/api/src/a.ts`, false).images).toEqual(['api']);
    expect(meaningOf(targets, `${R}/api/debug.log`, false).images).toEqual([]);
    expect(meaningOf(targets, `${R}/api/keep.log`, false).images).toEqual(['api']);
    expect(meaningOf(targets, `${R}/api/node_modules/x/index.js`, false).images).toEqual([]);
    expect(meaningOf(targets, `${R}/web/index.html`, false).images).toEqual(['web']);
    expect(meaningOf(targets, `${R}/README.md`, false).images).toEqual(['all']);
  });

  it('a folder (or a path of unknown kind) that an exception may re-include below stays an input', () => {
    expect(meaningOf(targets, `${R}/api/dist`, true).images).toEqual(['api']);
    expect(meaningOf(targets, `${R}/api/dist`, undefined).images).toEqual(['api']);
    expect(meaningOf(targets, `${R}/api/dist`, false).images).toEqual([]);
    expect(meaningOf(targets, `${R}/api/dist/public/x.js`, false).images).toEqual(['api']);
  });

  it('classifies the build file, Dockerfiles and ignore files (also outside the context)', () => {
    expect(meaningOf(targets, `${R}/mbuild.yaml`)).toMatchObject({ buildFile: true, dockerfile: false, ignoreFile: false });
    expect(meaningOf(targets, `${R}/docker/web.Dockerfile`)).toEqual({ images: ['web'], buildFile: false, dockerfile: true, ignoreFile: false });
    expect(meaningOf(targets, `${R}/docker/web.Dockerfile.dockerignore`)).toEqual({ images: ['web'], buildFile: false, dockerfile: false, ignoreFile: true });
    expect(meaningOf(targets, `${R}/api/.dockerignore`).ignoreFile).toBe(true);
    expect(meaningOf(targets, `${R}/api/Dockerfile`).dockerfile).toBe(true);
  });

  it('takes an env file in use as the build file: a change reloads; the way to it is never pruned', () => {
    const only: WatchTargets = { ...targets, images: targets.images.filter((w) => w.image !== 'all') };
    expect(meaningOf(only, `${R}/.env`, false)).toEqual({ images: [], buildFile: true, dockerfile: false, ignoreFile: false });
    expect(meaningOf(only, `${R}/ci/ci.env`, false)).toEqual({ images: [], buildFile: true, dockerfile: false, ignoreFile: false });
    expect(meaningOf(only, `${R}/ci/other.env`, false).buildFile).toBe(false);
    expect(isIgnored(only, `${R}/.env`, false)).toBe(false);
    expect(isIgnored(only, `${R}/ci`, true)).toBe(false);
    expect(isIgnored(only, `${R}/ci/ci.env`, false)).toBe(false);
    expect(isIgnored(only, `${R}/ci/other.env`, false)).toBe(true);
    expect(isIgnored({ ...only, envFiles: [] }, `${R}/.env`, false)).toBe(true);
    expect(pruneFingerprint({ ...targets, envFiles: [`${R}/.env`] })).not.toBe(pruneFingerprint(targets));
  });

  it('never maps outputs, their temporary siblings or .mbuild/ to an image', () => {
    for (const p of [
      `${R}/web/gen/out.txt`,
      `${R}/web/gen/out.txt/x`,
      `${R}/web/gen/out.txt.mbuild-tmp-1a2b`,
      `${R}/web/gen/out.txt.mbuild-old-9f`,
      `${R}/.mbuild/logs/a.log`,
      `${R}/api/.mbuild/x`,
    ]) {
      expect(meaningOf(targets, p, false).images, p).toEqual([]);
      expect(isIgnored(targets, p, false), p).toBe(true);
    }
    expect(meaningOf(targets, `${R}/web/gen/other.txt`, false).images).toEqual(['web']);
    expect(meaningOf(targets, `${R}/web/gen/out.txt.bak`, false).images).toEqual(['web']);
  });

  it('prunes what holds no input, but never the way to a context or an input file', () => {
    const only: WatchTargets = { ...targets, images: targets.images.filter((w) => w.image !== 'all') };
    expect(isIgnored(only, `${R}/api/node_modules`, true)).toBe(true);
    expect(isIgnored(only, `${R}/api/dist`, true)).toBe(false);
    expect(isIgnored(only, `${R}/docs`, true)).toBe(true);
    expect(isIgnored(only, `${R}/docker`, true)).toBe(false);
    expect(isIgnored(only, `${R}/docker/other.Dockerfile`, false)).toBe(true);
    expect(isIgnored(only, `${R}/docker/web.Dockerfile`, false)).toBe(false);
    expect(isIgnored(only, `${R}/mbuild.yaml`, false)).toBe(false);
    expect(isIgnored(only, R, true)).toBe(false);
  });

  it('knows probes, shows paths relative to the root, and fingerprints what decides pruning', () => {
    expect(isProbe(targets, `${R}/.mbuild-probe-3`)).toBe(true);
    expect(isProbe(targets, `${R}/api/.mbuild-probe-3`)).toBe(false);
    expect(shown(targets, `${R}/api/src/a.ts`)).toBe('api/src/a.ts');
    const changed = { ...targets, images: targets.images.map((w) => (w.image === 'web' ? { ...w, matcher: matcher('*.tmp') } : w)) };
    expect(pruneFingerprint(changed)).not.toBe(pruneFingerprint(targets));
    expect(pruneFingerprint({ ...targets })).toBe(pruneFingerprint(targets));
  });
});

describe('rawPath', () => {
  it('resolves fs.watch names against the watched folder, and takes a watched file as itself', () => {
    expect(rawPath('a.txt', { watchedPath: '/p/src' })).toBe('/p/src/a.txt');
    expect(rawPath('a.txt', { watchedPath: '/p/src/a.txt' })).toBe('/p/src/a.txt');
    expect(rawPath(null, { watchedPath: '/p/src' })).toBe('/p/src');
    expect(rawPath('/p/src/a.txt', { curr: {}, prev: {} })).toBe('/p/src/a.txt');
    expect(rawPath(undefined, undefined)).toBeUndefined();
  });
});

const img = (name: string, dependents: string[], dependsOn: string[] = []) => ({
  name,
  tags: [],
  dependsOn: dependsOn.map((image) => ({ image, kind: 'args' as const, detail: '' })),
  dependents,
  wave: 0,
  remainingPath: 1,
});
const plan: BuildPlan = {
  project: 'p',
  requested: [],
  waves: [['base'], ['mid'], ['top', 'side']],
  criticalPath: [],
  images: [img('base', ['mid']), img('mid', ['top'], ['base']), img('top', [], ['mid']), img('side', [], [])],
};

describe('affected set', () => {
  it('adds everything downstream in plan order, and nothing else', () => {
    expect(affectedImages(plan, new Set(['mid']))).toEqual(['mid', 'top']);
    expect(affectedImages(plan, new Set(['side', 'base']))).toEqual(['base', 'mid', 'top', 'side']);
    expect(affectedImages(plan, new Set(['gone']))).toEqual([]);
  });

  it('adds upstream images that have no built ID yet, transitively', () => {
    expect(
      withUnbuiltUpstream(
        plan,
        ['top'],
        new Map([
          ['mid', 'sha256:m'],
          ['base', 'sha256:b'],
        ]),
      ),
    ).toEqual(['top']);
    expect(withUnbuiltUpstream(plan, ['top'], new Map([['base', 'sha256:b']]))).toEqual(['mid', 'top']);
    expect(withUnbuiltUpstream(plan, ['top'], new Map())).toEqual(['base', 'mid', 'top']);
  });

  it('a sub-plan keeps only the chosen images', () => {
    expect(subPlan(plan, ['mid', 'top'])).toMatchObject({ images: [{ name: 'mid' }, { name: 'top' }], waves: [['mid'], ['top']] });
  });
});

describe('LoopGuard', () => {
  it('pauses an image after LIMIT runs in a row triggered while its hooks ran or right after', () => {
    const g = new LoopGuard(3);
    let t = 1000;
    const run = (dirty: string[], built: string[], duringHooks: string[], afterRun: string[] = []) => {
      const set = new Set(dirty);
      const paused = g.runStarts(set);
      g.changed(dirty, 'user edit during the build', (t += 10)); // before hooks: never counts
      g.hooksStart();
      g.changed(duringHooks, join('x', 'stamp'), (t += 10));
      g.runEnds(built, (t += 100));
      g.changed(afterRun, 'late hook write', (t += LOOP_GRACE_MS - 50));
      return { paused: paused.map((p) => p.image), left: [...set] };
    };
    expect(run(['a', 'b'], ['a', 'b'], ['a'])).toEqual({ paused: [], left: ['a', 'b'] });
    expect(run(['a'], ['a'], [], ['a'])).toEqual({ paused: [], left: ['a'] });
    expect(run(['a'], ['a'], ['a'])).toEqual({ paused: [], left: ['a'] });
    expect(run(['a'], ['a'], [])).toEqual({ paused: ['a'], left: [] });
    expect(g.isPaused('a')).toBe(true);
    expect(g.resume()).toEqual(['a']);
    expect(g.isPaused('a')).toBe(false);
  });

  it('never counts edits during builds or right after a run without hooks', () => {
    const g = new LoopGuard(2);
    for (let i = 0; i < 5; i++) {
      expect(g.runStarts(new Set(['a']))).toEqual([]);
      g.changed(['a'], 'a/x', i * 1000 + 10); // during the build (a restart)
      g.runEnds(['a'], i * 1000 + 100);
      g.changed(['a'], 'a/x', i * 1000 + 101); // a quick save right after
    }
  });

  it('the chain breaks when the image is not built, or the change came after the grace period', () => {
    const g = new LoopGuard(2);
    g.runStarts(new Set(['a']));
    g.hooksStart();
    g.changed(['a'], 'a/x', 10);
    g.runEnds([], 20); // up to date: not built
    expect(g.runStarts(new Set(['a']))).toEqual([]);
    g.hooksStart();
    g.runEnds(['a'], 100);
    g.changed(['a'], 'a/x', 100 + LOOP_GRACE_MS + 1); // a user edit, later
    expect(g.runStarts(new Set(['a']))).toEqual([]);
    g.hooksStart();
    g.changed(['a'], 'a/x', 2000);
    g.runEnds(['a'], 2100);
    expect(g.runStarts(new Set(['a']))).toEqual([]); // count 1 of 2
    g.hooksStart();
    g.changed(['a'], 'a/x', 2150);
    g.runEnds(['a'], 2200);
    expect(g.runStarts(new Set(['a'])).map((p) => p.image)).toEqual(['a']);
  });
});
