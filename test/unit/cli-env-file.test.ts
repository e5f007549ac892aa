/**
 * Env files through the real CLI (bin/mbuild.js; needs `npm run build`): a bad `.env` or
 * `--env-file` is exit 2 with each problem at its file:line:col, for every command that
 * loads the build file, and no value of an env file ever appears in the output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const SECRET = 'tok-9f3a-SECRET';
const YAML = `version: 1
name: envcli
vars: {REG: from-vars}
images:
  app:
    dockerfile_inline: "FROM busybox"
    tags: ["\${REG}/app:\${TAG}"]
`;

function project(files: Record<string, string>): string {
  const t = testdir({ 'mbuild.yaml': YAML, ...files }, 'mbt-envcli-');
  cleanups.push(t.cleanup);
  return t.dir;
}

// No engine is needed: every command below stops at the build file.
const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnCli(args, { cwd: dir, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock', ...env } }).done;

describe('mbuild with env files, as a process', () => {
  it('a bad .env: exit 2, every problem at .env:line:col, for validate, plan and up alike, and no value printed', async () => {
    const dir = project({ '.env': `TOKEN=${SECRET}\nTAG=v1\nthis line has ${SECRET}\nPASS="${SECRET}\nURL=https://x/\${TOKEN}/\${UNSET_HOST}\n` });
    const validate = await run(dir, ['validate']);
    expect(validate.code).toBe(2);
    expect(validate.stdout).toBe('');
    expect(validate.stderr.split('\n').filter((l) => l.includes(': error: '))).toEqual([
      ".env:3:1: error: expected KEY=VALUE: this line has no '='",
      '.env:4:6: error: unterminated double-quoted value: the " opened here is never closed',
      expect.stringMatching(/^\.env:5:24: error: variable 'UNSET_HOST' is not set; a value in an env file may use/) as string,
    ]);
    expect(validate.stderr).toMatch(/\n3 errors\n$/);
    for (const command of [['plan'], ['up'], ['config']]) {
      const other = await run(dir, command);
      expect({ command, code: other.code, stderr: other.stderr, stdout: other.stdout }).toEqual({
        command,
        code: 2,
        stderr: validate.stderr,
        stdout: '',
      });
    }
    expect(validate.stderr).not.toContain(SECRET);
    expect(validate.stderr).not.toContain('tok-');
  });

  it('--env-file replaces .env: its problems are reported at its own path, and the bad .env is not read', async () => {
    const dir = project({ '.env': 'not a valid line\n', 'ci/ci.env': `REG=ci.example\nTAG="\${TAG_FROM_CI:?set by the pipeline}"\nKEY='${SECRET}'x\n` });
    const r = await run(dir, ['--env-file', 'ci/ci.env', 'validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "ci/ci.env:2:6: error: variable 'TAG_FROM_CI' is required: set by the pipeline\n" +
        "ci/ci.env:3:22: error: unexpected text after the closing quote (a comment starts with '#')\n" +
        '2 errors\n',
    );
    expect(r.stderr).not.toContain(SECRET);
  });

  it('a good env file: config prints the values it set, under --var and the environment', async () => {
    const dir = project({ 'a.env': 'REG=a.example\nTAG=from-a\n', 'b.env': `TAG=from-b\nUNUSED=${SECRET}\n` });
    const files = ['--env-file', 'a.env', '--env-file', 'b.env'];
    const config = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await run(dir, [...files, ...args, 'config', '--format', 'json'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { images: { app: { tags: string[] } } }).images.app.tags;
    };
    expect(await config([])).toEqual(['a.example/app:from-b']);
    expect(await config([], { TAG: 'from-env' })).toEqual(['a.example/app:from-env']);
    expect(await config(['--var', 'TAG=from-var'], { TAG: 'from-env' })).toEqual(['a.example/app:from-var']);
  });
});
