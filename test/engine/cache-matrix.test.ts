/**
 * The mutation matrix of the cache, on the real engine: each change yields exactly the
 * stated skips and rebuilds (dependents included) with the stated reasons. A no-op run
 * starts no build at all: no context is sent, no /build call is made.
 *
 *   <project>-src:1 ──FROM──> base ──FROM──> app ──mount /srv/app──> web
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { docker } from '../helpers/engine-docker.js';
import { parseEvents } from '../helpers/engine-events.js';

let project: TestProject;
const srcTag = () => `${project.name}-src:1`;

/** Runs `up` and returns, per image, the reason it was built, or 'up to date'. */
async function up(...args: string[]): Promise<Record<string, string>> {
  const r = await project.up(['--progress', 'json', '--builder', 'buildkit', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const out: Record<string, string> = {};
  for (const e of parseEvents(r.stdout)) {
    if (e.type === 'image-started') out[e.image] = e.why;
    if (e.type === 'image-done' && e.outcome.kind === 'up-to-date') out[e.image] = 'up to date';
  }
  return out;
}

const file = (path: string) => join(project.dir, path);
const fresh = { base: 'up to date', app: 'up to date', web: 'up to date' };

beforeAll(async () => {
  project = copyFixture('cache', 'cache');
  docker('tag', 'busybox:latest', srcTag());
  expect(await up()).toEqual({ base: 'first build', app: 'first build', web: 'first build' });
});

afterAll(() => {
  docker('rmi', '-f', srcTag());
  expect(project.cleanup()).toEqual([]);
});

describe('cache mutation matrix', () => {
  it('a no-op run builds nothing', async () => {
    expect(await up()).toEqual(fresh);
  });

  it('touch without a change: nothing', async () => {
    const later = new Date(Date.now() + 5000);
    utimesSync(file('app/src/main.txt'), later, later);
    expect(await up()).toEqual(fresh);
  });

  it('a change to an ignored file: nothing', async () => {
    writeFileSync(file('app/ignored.txt'), 'still not sent, but different');
    expect(await up()).toEqual(fresh);
  });

  it('a change to file content rebuilds the image and its dependents', async () => {
    writeFileSync(file('app/src/main.txt'), 'main v2\n');
    expect(await up()).toEqual({
      base: 'up to date',
      app: 'context changed: src/main.txt',
      web: 'upstream app rebuilt; mounted image changed: app:/srv/app',
    });
    expect(await up()).toEqual(fresh);
  });

  it('a change back reuses the image built before: nothing is built', async () => {
    writeFileSync(file('app/src/main.txt'), 'main v1\n');
    expect(await up()).toEqual(fresh);
  });

  it('an image gone from the engine is built again, though the local state still names it', async () => {
    // The image in use for web (its tag is its only name): removed behind mbuild's back.
    docker('rmi', `${project.name}/web:t`);
    expect(await up()).toEqual({ base: 'up to date', app: 'up to date', web: 'the image built last time is gone from the engine' });
    expect(await up()).toEqual(fresh);
  });

  it('a change to a mode rebuilds', async () => {
    chmodSync(file('app/src/main.txt'), 0o755);
    expect(await up()).toMatchObject({ base: 'up to date', app: 'context changed: src/main.txt' });
    chmodSync(file('app/src/main.txt'), 0o644);
    expect(await up()).toEqual(fresh);
  });

  it('a change to a Dockerfile comment rebuilds, and says where', async () => {
    writeFileSync(file('app/Dockerfile'), '# the app image, commented\nFROM __P__/base:t\nCOPY src/ /srv/app/\n'.replace('__P__', project.name));
    const reasons = await up();
    expect(reasons).toMatchObject({ base: 'up to date', app: 'Dockerfile changed at line 1' });
    expect(reasons['web']).toMatch(/^upstream app rebuilt/);
  });

  it('a change to an arg rebuilds the image and everything downstream', async () => {
    expect(await up('--var', 'VERSION=2')).toEqual({
      base: 'arg VERSION 1 -> 2',
      app: 'upstream base rebuilt',
      web: 'upstream app rebuilt; mounted image changed: app:/srv/app',
    });
    expect(await up('--var', 'VERSION=2')).toEqual(fresh);
  });

  it('a base image re-tagged to another image rebuilds from the bottom', async () => {
    const other = `${project.name}-other:1`;
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', other, '-'], {
      input: `FROM busybox\nLABEL x=${project.name}\n`,
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    docker('tag', other, srcTag());
    expect(await up('--var', 'VERSION=2')).toEqual({
      base: `base image ${srcTag()} changed`,
      app: 'upstream base rebuilt',
      web: 'upstream app rebuilt; mounted image changed: app:/srv/app',
    });
    docker('rmi', other);
  });

  it('deleted or corrupt local state costs time, never correctness', async () => {
    rmSync(join(project.dir, '.mbuild', 'state'), { recursive: true, force: true });
    writeFileSync(join(project.dir, '.mbuild', 'stat-cache.json'), '{corrupt');
    const r = await project.up(['--progress', 'json', '--builder', 'buildkit', '--var', 'VERSION=2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: ignoring the stat cache .*stat-cache\.json/);
    expect(parseEvents(r.stdout).filter((e) => e.type === 'image-started')).toEqual([]);
    // The no-op above recorded the images in use again, so a change is still explained.
    writeFileSync(file('app/src/main.txt'), 'main v3\n');
    expect(await up('--var', 'VERSION=2')).toMatchObject({ base: 'up to date', app: 'context changed: src/main.txt' });
  });

  it('--no-cache builds everything and says so', async () => {
    expect(await up('--var', 'VERSION=2', '--no-cache')).toEqual({ base: '--no-cache', app: '--no-cache', web: '--no-cache' });
  });
});
