/**
 * The garbage policy on the real engine (issue 23): after each successful `up`, at most
 * `keep` builds per image stay, except what a container uses; `gc: false` keeps everything;
 * another checkout of the same project (a copy of the folder, `.mbuild/` included) and an
 * image mbuild did not build are never touched; `plan` shows what the policy would remove;
 * `clean --all --dry-run` removes nothing.
 *
 * `up` loops here; gc-watch.test.ts runs the 50-edit `watch` session the issue asks for.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, idOf, inspectImage } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { runCli } from '../helpers/run-cli.js';

let a: TestProject;
let other: string;
let foreign: string;
const containers: string[] = [];
const dirs: string[] = [];
/** The builds of `app` in the copy of the project folder. */
const theirs: string[] = [];

const cli = (dir: string, ...args: string[]) => runCli(args, { cwd: dir, env: { ...process.env } });
/** The project's image IDs for `image` (`docker images -q` lists an image once per tag). */
const images = (image: string) => [
  ...new Set(docker('images', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${a.name}`, '--filter', `label=io.mbuild.image=${image}`)),
];
const exists = (id: string) => inspectImage(id) !== undefined;

/** An edit of `app` in `dir`, then `up`: app and top are built again. */
async function edit(dir: string, text: string): Promise<{ app: string; top: string; stderr: string }> {
  writeFileSync(join(dir, 'app/edit.txt'), `${text}\n`);
  const r = await cli(dir, 'up', '--builder', 'buildkit', '--progress', 'plain');
  expect(r.code, r.stderr).toBe(0);
  return { app: idOf(`${a.name}/app:t`)!, top: idOf(`${a.name}-top:latest`)!, stderr: r.stderr };
}

beforeAll(() => {
  a = copyFixture('gc', 'gc');
  // An untagged image without mbuild's labels, of nothing mbuild knows.
  other = mkdtempSync(join(tmpdir(), 'mbt-gc-other-'));
  writeFileSync(join(other, 'Dockerfile'), `FROM busybox\nRUN echo ${a.name} > /other\n`);
  foreign = execFileSync('docker', ['build', '-q', other], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } }).trim();
});

afterAll(() => {
  for (const c of containers) docker('rm', '-f', c);
  if (foreign !== '') docker('rmi', '-f', foreign);
  for (const d of [other, ...dirs]) rmSync(d, { recursive: true, force: true });
  expect(a.cleanup()).toEqual([]);
});

describe('the garbage policy', () => {
  let first: { app: string; top: string };

  it('leaves at most keep builds per image after repeated edits, and keeps what a container uses and what mbuild did not build', async () => {
    first = await edit(a.dir, 'first');
    containers.push(docker('create', first.app, 'true')[0]!);
    const seen: string[] = [];
    let removedLine = '';
    for (let i = 1; i <= 8; i++) {
      const r = await edit(a.dir, `edit ${i}`);
      seen.push(r.app);
      if (r.stderr.includes('gc: removed')) removedLine = r.stderr;
    }
    expect(removedLine).toMatch(/gc: removed \d+ superseded images \(keep 3/);
    // keep 3, plus the first build of app, which a container uses.
    expect(images('app').sort()).toEqual([first.app, ...seen.slice(-3)].sort());
    expect(images('top')).toHaveLength(3);
    expect(exists(foreign)).toBe(true);
    // The pins left are those of builds that are still there.
    const pins = docker('images', '--format', '{{.Repository}}:{{.Tag}}', `mbuild-pin/${a.name}-app`);
    expect(pins.every((p) => exists(p))).toBe(true);
    expect(pins.length).toBeLessThanOrEqual(4);
  });

  it('never touches the images of another checkout (a copy of the folder, state included), nor does the copy touch ours', async () => {
    const b = mkdtempSync(join(tmpdir(), 'mbt-gc-b-'));
    dirs.push(b);
    cpSync(a.dir, b, { recursive: true });
    const ours = images('app');
    for (let i = 1; i <= 3; i++) theirs.push((await edit(b, `b ${i}`)).app);
    expect(ours.every(exists)).toBe(true);
    for (let i = 9; i <= 12; i++) await edit(a.dir, `edit ${i}`);
    expect(theirs.every(exists)).toBe(true);
  });

  it('gc: false keeps every build; plan shows what the policy would remove once it is on again', async () => {
    const yaml = join(a.dir, 'mbuild.yaml');
    const text = readFileSync(yaml, 'utf8');
    writeFileSync(yaml, `${text}gc: false\n`);
    const before = images('app').length;
    for (let i = 13; i <= 15; i++) expect((await edit(a.dir, `edit ${i}`)).stderr).not.toContain('gc:');
    expect(images('app')).toHaveLength(before + 3);
    expect((await cli(a.dir, 'plan', '--builder', 'buildkit')).stdout).toContain('garbage: off (gc: false)\n');

    writeFileSync(yaml, text);
    const plan = await cli(a.dir, 'plan', '--builder', 'buildkit', '--format', 'json');
    const garbage = (
      JSON.parse(plan.stdout) as { garbage: { policy: unknown; remove: { images: { imageId: string }[] }; kept: { imageId: string; reason: string }[] } }
    ).garbage;
    expect(garbage.policy).toEqual({ keep: 3 });
    expect(garbage.remove.images).toHaveLength(3 * 2);
    expect(garbage.kept).toContainEqual({ imageId: first.app, image: 'app', reason: 'used by a container' });
    expect((await cli(a.dir, 'plan', '--builder', 'buildkit')).stdout).toMatch(/garbage \(gc: keep 3\): the policy would remove now\n {2}remove image /);
  });

  it("clean --all --dry-run lists the current images too and removes nothing; clean --all removes them, not the copy's", async () => {
    // The project's images (both checkouts'): other test files add and remove images of their own meanwhile.
    const ours = () => docker('images', '-a', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${a.name}`).sort();
    const before = ours();
    expect(before.length).toBeGreaterThan(0);
    const dry = await cli(a.dir, 'clean', '--all', '--dry-run', '--builder', 'buildkit');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would remove ${idOf(`${a.name}/app:t`)!.slice(7, 19)} (app) with ${a.name}/app:t`);
    expect(dry.stdout).toContain(`keeping ${first.app.slice(7, 19)} (app): used by a container`);
    expect(ours()).toEqual(before);
    expect(existsSync(join(a.dir, '.mbuild'))).toBe(true);

    const real = await cli(a.dir, 'clean', '--all', '--builder', 'buildkit');
    expect(real.code, real.stderr).toBe(0);
    expect(idOf(`${a.name}/app:t`)).toBeUndefined();
    expect(exists(first.app)).toBe(true);
    // What is left of app: the image a container uses, and the copy's builds.
    expect(images('app').sort()).toEqual([first.app, ...theirs].sort());
  });
});
