/**
 * The Dockerfile and context checks of the static pipeline (load/load-plan.ts) that the
 * bad-file corpus cannot show: a tag an image carried in the last run (read from the
 * manifests under .mbuild/state/), a Dockerfile in the project's own .mbuild/, what is not
 * a problem (a digest pin, a previous build of the image itself), and how problems are
 * counted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { testdir, type Tree } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function project(tree: Tree): string {
  const { dir, cleanup } = testdir(tree, 'mbt-dfchecks-');
  cleanups.push(cleanup);
  return dir;
}

const validate = async (dir: string, ...args: string[]) => {
  const r = await runCli(['validate', ...args], { cwd: dir, env: {} });
  return { ...r, stderr: r.stderr.split(dir).join('<root>') };
};

/** A manifest as the last build of `image` left it (only the fields read here matter). */
function manifest(dir: string, image: string, tags?: string[]): void {
  mkdirSync(join(dir, '.mbuild', 'state'), { recursive: true });
  writeFileSync(
    join(dir, '.mbuild', 'state', `${image}.json`),
    JSON.stringify({
      format: 'mbuild-manifest-1',
      image,
      key: 'k',
      imageId: 'sha256:0',
      builtAt: '2026-01-01T00:00:00Z',
      inputs: {},
      ...(tags && { tags }),
    }),
  );
}

describe('references to a tag an image carried in the last run (validate and plan)', () => {
  const tree: Tree = {
    'mbuild.yaml': 'version: 1\nname: p\nimages:\n  base:\n    context: base\n    tags: [acme/base:1]\n  app:\n    context: app\n',
    'base/Dockerfile': 'FROM busybox\n',
    'app/Dockerfile': '# renamed since\nFROM shop/base:1\n',
  };

  it('are refused at the Dockerfile line, with the image as it is tagged now', async () => {
    const dir = project(tree);
    manifest(dir, 'base', ['shop/base:1']);
    manifest(dir, 'app', ['p-app:latest']);
    const r = await validate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "app/Dockerfile:2:6: error: FROM shop/base:1 names a tag image 'base' carried in the last run but not any more: 'app' would not wait for 'base' and would be built from its old image; pass it as a build arg instead: BASE: {image: base} under the args of 'app', then ARG BASE and FROM ${BASE}\n" +
        ' 2 | FROM shop/base:1\n' +
        '   |      ^~~~~~~~~~~\n' +
        "mbuild.yaml:6:11: note: image 'base' is tagged acme/base:1 here\n" +
        ' 6 |     tags: [acme/base:1]\n' +
        '   |           ^~~~~~~~~~~~~\n',
    );
    const plan = await runCli(['plan'], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect({ code: plan.code, stderr: plan.stderr.split(dir).join('<root>') }).toEqual({ code: 2, stderr: r.stderr });
  });

  it('are no problem when no manifest records the tag (another image, or none at all)', async () => {
    const dir = project(tree);
    manifest(dir, 'base');
    expect(await validate(dir)).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('what is not a tag mismatch', () => {
  it('a pin by digest, a previous build of the image itself, an external image', async () => {
    const dir = project({
      'mbuild.yaml': 'version: 1\nname: p\nimages:\n  base:\n    context: base\n    tags: [p/base:2]\n  app:\n    context: app\n',
      'base/Dockerfile': 'FROM p/base:1\n',
      'app/Dockerfile': `FROM p/base@sha256:${'ab'.repeat(32)}\nCOPY --from=p/base:2 /etc /etc\nCOPY --from=other/base:1 /etc /etc\n`,
    });
    expect(await validate(dir)).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('the project state folder', () => {
  it('a Dockerfile in the project .mbuild/ is refused at validate', async () => {
    const dir = project({
      'mbuild.yaml': 'version: 1\nimages:\n  a:\n    context: .\n    dockerfile: .mbuild/df/Dockerfile\n',
      '.mbuild/df/Dockerfile': 'FROM busybox\n',
    });
    const r = await validate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("mbuild.yaml:5:17: error: Dockerfile .mbuild/df/Dockerfile of image 'a' is inside .mbuild/, mbuild's own state folder");
  });
});

describe('counting problems', () => {
  it('a warning and an error are counted together', async () => {
    const dir = project({
      'mbuild.yaml': 'version: 1\nimages:\n  a:\n    context: a\n    args:\n      API_TOKEN: x\n',
      'a/Dockerfile': 'FROM busybox\nRUNN true\n',
    });
    const r = await validate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/warning: .*API_TOKEN[\s\S]*a\/Dockerfile:2:1: error: unknown instruction: RUNN\n.*\n.*\n1 error, 1 warning\n$/);
  });

  it('an unknown name on the command line is one line, without a count', async () => {
    const dir = project({ 'mbuild.yaml': 'version: 1\nimages:\n  api:\n    dockerfile_inline: "FROM busybox"\n' });
    const r = await runCli(['plan', 'apii'], { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r).toEqual({ code: 2, stdout: '', stderr: "error: no image or group named 'apii'; did you mean 'api'?\n" });
  });
});
