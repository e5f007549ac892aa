/**
 * Registry flags and settings that are bad input (issue 17), through the real CLI (needs
 * `npm run build`): exit 2 before anything is built or the engine is asked, nothing written.
 *  - a tag a push would send to Docker Hub's official namespace (every default tag);
 *  - `--cache-to` / `--cache-from` naming a tag or a digest, or not a repository;
 *  - a config.json that cannot be read, when a push or the cache needs credentials; and
 *    no credential file read at all by a run that needs none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';
import { snapshot } from '../helpers/tree.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const yaml = (tags: string, extra = ''): string => `version: 1
name: regcli
images:
  app:
    dockerfile_inline: "FROM busybox"
${tags}${extra}
`;

function project(files: Record<string, string>): string {
  const t = testdir(files, 'mbt-regcli-');
  cleanups.push(t.cleanup);
  return t.dir;
}

// No engine: every case stops before connecting.
const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnCli(args, { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', DOCKER_CONFIG: dir, ...env } }).done;

describe('registry input, as a process', () => {
  it('a default tag with --push, or push: true, is exit 2 naming the image and the tag', async () => {
    const dir = project({ 'mbuild.yaml': yaml('') });
    const before = snapshot(dir);
    for (const [args, file] of [
      [['up', '--push'], 'mbuild.yaml'],
      [['push'], 'mbuild.yaml'],
    ] as const) {
      const r = await run(dir, [...args, '-f', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("image 'app': tag regcli-app:latest would be pushed to Docker Hub's official images (docker.io/library/regcli-app)");
    }
    const pushTrue = project({ 'mbuild.yaml': yaml('    tags: [team/app:1, app:2]\n', '    push: true\n') });
    const r = await run(pushTrue, ['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("its tag 'app:2' would be pushed");
    expect(r.stderr).not.toContain("tag 'team/app:1'");
    expect(snapshot(dir)).toEqual(before);
  });

  it('--cache-to and --cache-from take a repository: a tag, a digest or an invalid name is exit 2', async () => {
    const dir = project({ 'mbuild.yaml': yaml('    tags: [127.0.0.1:5000/app:1]\n') });
    const cases: [string[], RegExp][] = [
      [['--cache-to', '127.0.0.1:5000/cache:v1'], /--cache-to 127\.0\.0\.1:5000\/cache:v1: a repository takes no tag/],
      [['--cache-from', '127.0.0.1:5000/cache@sha256:' + '0'.repeat(64)], /--cache-from .*: a repository takes no digest/],
      [['--cache-from', 'Not/Valid'], /--cache-from Not\/Valid: repository names must be lowercase/],
    ];
    for (const [flags, message] of cases) {
      const r = await run(dir, ['up', ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a config.json that cannot be read fails a run that needs credentials (exit 2, its path, not its content), and no other', async () => {
    const dir = project({ 'mbuild.yaml': yaml('    tags: [127.0.0.1:5000/app:1]\n'), 'config.json': '{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}}, broken' });
    const pushing = await run(dir, ['up', '--push']);
    expect(pushing.code).toBe(2);
    expect(pushing.stderr).toContain('config.json');
    expect(pushing.stderr).not.toContain('c2VjcmV0LXZhbHVl');
    // Without a push or a cache the run goes on to the engine (here: none, exit 1).
    const plain = await run(dir, ['up']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).not.toContain('config.json');
  });
});
