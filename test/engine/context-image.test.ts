/**
 * `context: {image, path}` (issue 19 item 2, moby#31067's external build file) on the real
 * engine, on both builders: the seed's YAML as written (renamed mbuild.yaml, `build:` as
 * `images:`, `version: 1` added) builds; a second run is up to date; an edit to img1
 * rebuilds img2 and only what img2's Dockerfile reads is sent (not a 5 MB file beside it);
 * a local external image as the source; a path missing in the image fails that image.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/temp-project.js';
import { startEngineProxy } from '../helpers/engine-proxy.js';
import { runCli } from '../helpers/run-cli.js';
import { imageTree } from './mounts-helpers.js';

/** The seed names no project: the folder's name is the project's (a unique one, so every tag starts with it). */
type Project = TempProject;

const project = (label: string, files: Record<string, string>): Project => tempProject(label, () => files, 'mbt-ctximg-', { folderIsName: true });

const SEED = `version: 1
images:
  img1:
    context: .
    dockerfile: Dockerfile.img1
  img2:
    context: {image: img1, path: /src/build}
    dockerfile: Dockerfile.img2
`;

/** Images of this test only (the seed's two, plus what the other cases need). */
const MORE = `  ext:
    context: {image: "\${EXT}", path: /data}
    dockerfile_inline: |
      FROM busybox:latest
      COPY one.txt deep /copied/
  missing:
    context: {image: img1, path: /src/nope}
    dockerfile_inline: FROM busybox:latest
  notdir:
    context: {image: img1, path: /src/build/app.txt}
    dockerfile_inline: FROM busybox:latest
`;

const FILES = (): Record<string, string> => ({
  'mbuild.yaml': SEED + MORE,
  'Dockerfile.img1': 'FROM busybox:latest\nCOPY build/ /src/build/\n',
  'Dockerfile.img2': 'FROM busybox:latest\nCOPY app.txt lib /app/\n',
  'build/app.txt': 'app v1\n',
  'build/lib/util.txt': 'util\n',
  'build/unread.bin': 'x'.repeat(5 * 1024 * 1024),
});

const IMG2_V1 = ['. 755 dir', './app.txt 644 file 7', './util.txt 644 file 5'];

describe.each(['classic', 'buildkit'] as const)('context: {image, path} (%s)', (builder) => {
  const projects: Project[] = [];
  afterAll(() => {
    const left = projects.flatMap((p) => p.cleanup());
    expect(left, 'images left behind').toEqual([]);
  });
  const made = (label: string): Project => {
    const p = project(`ctximg-${label}-${builder}`, FILES());
    projects.push(p);
    return p;
  };
  const up = (p: Project, names: string[], env: Record<string, string> = {}) =>
    runCli(['up', ...names, '--builder', builder, '--progress', 'plain'], { cwd: p.dir, env: { ...envOf(p), ...env } });
  const envOf = (p: Project) => ({ ...process.env, EXT: `${p.name}-ext-source:1` });
  const tag = (p: Project, image: string): string => `${p.name}-${image}:latest`;

  it('builds the seed as written, is up to date once built, rebuilds img2 after img1 changes and sends only what it reads', async () => {
    const p = made('seed');
    const first = await up(p, ['img2']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(imageTree(tag(p, 'img2'), '/app')).toEqual(IMG2_V1);

    const again = await up(p, ['img2']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toMatch(/\[img1\] up to date/);
    expect(again.stdout).toMatch(/\[img2\] up to date/);

    writeFileSync(join(p.dir, 'build/app.txt'), 'app v2, longer\n');
    const plan = await runCli(['plan', '--builder', builder], { cwd: p.dir, env: envOf(p) });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/img2 <- img1 \(context, context img1:\/src\/build\)/);
    const proxy = await startEngineProxy();
    try {
      const edited = await up(p, ['img2'], { DOCKER_HOST: proxy.url });
      expect(edited.code, edited.stderr + edited.stdout).toBe(0);
      expect(edited.stdout).toMatch(/\[img2\] building: .*upstream img1/);
      const builds = proxy.bodies.filter((b) => b.route === 'POST /build').map((b) => b.bytes);
      expect(builds).toHaveLength(2);
      // img1's context holds the 5 MB file; img2's only the files its Dockerfile reads.
      expect(Math.max(...builds)).toBeGreaterThan(5 * 1024 * 1024);
      expect(Math.min(...builds)).toBeLessThan(64 * 1024);
    } finally {
      await proxy.close();
    }
    expect(imageTree(tag(p, 'img2'), '/app')).toEqual(['. 755 dir', './app.txt 644 file 15', './util.txt 644 file 5']);
  });

  it('takes a context from a local external image, and fails an image whose path the source lacks', async () => {
    const p = made('ext');
    // A local image no build file names: made with the docker CLI.
    writeFileSync(join(p.dir, 'Dockerfile.ext'), 'FROM busybox:latest\nCOPY build/app.txt /data/one.txt\nCOPY build/lib /data/deep/lib\n');
    execFileSync('docker', ['build', '-q', '-t', `${p.name}-ext-source:1`, '-f', join(p.dir, 'Dockerfile.ext'), p.dir], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: 'ignore',
    });
    const ext = await up(p, ['ext']);
    expect(ext.code, ext.stderr + ext.stdout).toBe(0);
    expect(imageTree(tag(p, 'ext'), '/copied')).toEqual(['. 755 dir', './lib 755 dir', './lib/util.txt 644 file 5', './one.txt 644 file 7']);

    const missing = await up(p, ['missing', 'notdir', '--keep-going']);
    expect(missing.code, missing.stderr + missing.stdout).toBe(1);
    const out = missing.stderr + missing.stdout;
    expect(out, out).toMatch(/context img1:\/src\/nope of image 'missing' \(.*mbuild\.yaml:15:14\): \/src\/nope does not exist in image img1 \(/);
    expect(out, out).toMatch(
      /context img1:\/src\/build\/app\.txt of image 'notdir' \(.*mbuild\.yaml:18:14\): \/src\/build\/app\.txt is not a folder in image img1 \(/,
    );
  });
});
