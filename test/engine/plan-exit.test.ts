/**
 * `mbuild plan`'s exit code on the real engine: input that `up` would fail on, and that
 * plan cannot predict around, is exit 2 (the plan is still printed): a mount source image
 * that does not exist locally (mbuild never pulls one), a context that cannot be read. An
 * engine that cannot be reached is only a note (exit 0): the plan stands without it.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function project(files: Record<string, string>): string {
  const { dir, cleanup } = testdir(files, 'mbt-planexit-');
  // `rm -rf`, not rmSync: a folder deeper than PATH_MAX cannot be removed by its full path.
  cleanups.push(() => {
    execFileSync('rm', ['-rf', dir]);
    cleanup();
  });
  return dir;
}

describe('mbuild plan exit codes', () => {
  it('a mount source image that does not exist locally is exit 2, at the mount in the build file', async () => {
    const dir = project({
      'mbuild.yaml':
        'version: 1\nname: mbt-planexit\nimages:\n  a:\n    context: a\n    mounts:\n      - from: mbt-planexit-none:never\n        path: /x\n        to: x\n',
      'a/Dockerfile': 'FROM busybox\n',
    });
    const r = await runCli(['plan'], { cwd: dir, env: process.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('wave 1:\n  a\n');
    expect(r.stderr).toBe(
      "mbuild.yaml:7:15: error: mount mbt-planexit-none:never:/x of image 'a': image mbt-planexit-none:never does not exist locally (mbuild never pulls a mount source; pull or build it first)\n" +
        ' 7 |       - from: mbt-planexit-none:never\n' +
        '   |               ^~~~~~~~~~~~~~~~~~~~~~~\n',
    );
  });

  it('a context that cannot be read is exit 2', async () => {
    // The Dockerfile reads the whole context: a folder it does not read is never walked.
    const dir = project({ 'mbuild.yaml': 'version: 1\nname: mbt-planexit\nimages:\n  a:\n    context: a\n', 'a/Dockerfile': 'FROM busybox\nCOPY . /x\n' });
    // A folder whose path is longer than PATH_MAX: made one step at a time, unreadable by its path (even for root).
    execFileSync('bash', [
      '-c',
      `cd "$1" && for i in $(seq 45); do mkdir ${'d'.repeat(100)} && cd ${'d'.repeat(100)} || exit 1; done; echo x > f`,
      'bash',
      `${dir}/a`,
    ]);
    const r = await runCli(['plan'], { cwd: dir, env: process.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('wave 1:\n  a\n');
    expect(r.stderr).toMatch(/^error: a context cannot be read: .*ENAMETOOLONG/);
  });

  it('an engine that cannot be reached is a note, exit 0', async () => {
    const dir = project({ 'mbuild.yaml': 'version: 1\nname: mbt-planexit\nimages:\n  a:\n    context: a\n', 'a/Dockerfile': 'FROM busybox\n' });
    const r = await runCli(['plan'], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/\n\(freshness not predicted: cannot connect to the Docker engine at unix:\/\/\/nonexistent\/docker\.sock .*\)\n$/);
  });
});
