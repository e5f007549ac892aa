/**
 * Env files in the loading pipeline (config/env-files.ts, config/load.ts): which files are
 * read, the precedence `--var` > environment > env files > `vars`, interpolation inside a
 * file, and every problem at its own file:line:col without a line of the file printed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBuildFile, type LoadOptions } from '../../src/config/load.js';
import type { Diagnostic } from '../../src/core/diagnostic.js';
import { formatReport, position } from '../../src/report/diagnostic-printer.js';
import { runCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A project whose image `app` is tagged `${REG}/app:${TAG}`, with `vars` for both. */
const YAML = `version: 1
name: envtest
vars: {REG: from-vars, TAG: from-vars}
images:
  app:
    dockerfile_inline: "FROM busybox"
    tags: ["\${REG}/app:\${TAG}"]
`;

function project(files: Record<string, string> = {}, yaml = YAML): string {
  const t = testdir({ 'mbuild.yaml': yaml, ...files }, 'mbt-envfile-');
  cleanups.push(t.cleanup);
  return t.dir;
}

type Options = Partial<Omit<LoadOptions, 'cwd'>> & { cwd?: string };

async function tags(dir: string, o: Options = {}): Promise<readonly string[]> {
  const r = await loadBuildFile({ cwd: dir, env: {}, ...o });
  if (!r.ok) throw new Error(r.error.diagnostics.map((d) => d.message).join('\n'));
  return r.value.file.images.get('app')!.tags;
}

async function problems(dir: string, o: Options = {}): Promise<Diagnostic[]> {
  const r = await loadBuildFile({ cwd: dir, env: {}, ...o });
  if (r.ok) throw new Error('loaded');
  return [...r.error.diagnostics];
}

/** `file:line:col code` of each diagnostic (`-` without a location), paths relative to `dir`. */
const where = (dir: string, ds: readonly Diagnostic[]): string[] =>
  ds.map((d) => {
    if (d.location === undefined) return `- ${d.code}`;
    const { line, column } = position(d.location.file, d.location.range.offset);
    return `${d.location.file.path.slice(dir.length + 1)}:${line}:${column} ${d.code}`;
  });

describe('precedence: --var > environment > env file > vars', () => {
  it('each level overrides the ones below it', async () => {
    const dir = project({ '.env': 'REG=from-env-file\nTAG=from-env-file\n' });
    expect(await tags(project())).toEqual(['from-vars/app:from-vars']);
    expect(await tags(dir)).toEqual(['from-env-file/app:from-env-file']);
    expect(await tags(dir, { env: { TAG: 'from-env' } })).toEqual(['from-env-file/app:from-env']);
    expect(await tags(dir, { env: { TAG: 'from-env' }, vars: { TAG: 'from-var', REG: 'r' } })).toEqual(['r/app:from-var']);
  });

  it('a var the env file sets is never read from the file: its own value may name what is not set', async () => {
    const yaml = YAML.replace('vars: {REG: from-vars, TAG: from-vars}', 'vars: {REG: "${NOT_SET}", TAG: t}');
    expect(await tags(project({ '.env': 'REG=r\n' }, yaml))).toEqual(['r/app:t']);
  });

  it('an env file variable that no vars entry names is used by ${...} all the same, and is not added to vars', async () => {
    const yaml = YAML.replace('vars: {REG: from-vars, TAG: from-vars}', 'vars: {TAG: t}');
    const dir = project({ '.env': 'REG=only-in-env-file\n' }, yaml);
    const r = await loadBuildFile({ cwd: dir, env: {} });
    expect(r.ok && r.value.file.vars).toEqual({ TAG: 't' });
    expect(r.ok && r.value.file.images.get('app')?.tags).toEqual(['only-in-env-file/app:t']);
  });
});

describe('which env files are read', () => {
  it('.env beside the build file, also when the command runs in a folder below', async () => {
    const dir = project({ '.env': 'TAG=t\n', 'sub/x': '' });
    expect(await tags(join(dir, 'sub'))).toEqual(['from-vars/app:t']);
    const r = await loadBuildFile({ cwd: dir, env: {} });
    expect(r.ok && r.value.file.envFiles).toEqual([join(dir, '.env')]);
  });

  it('no .env is fine, and is still the file in use (watch reloads when it appears)', async () => {
    const dir = project();
    const r = await loadBuildFile({ cwd: dir, env: {} });
    expect(r.ok && r.value.file.envFiles).toEqual([join(dir, '.env')]);
  });

  it('a .env that is a folder is an error', async () => {
    const dir = project();
    mkdirSync(join(dir, '.env'));
    const ds = await problems(dir);
    expect(where(dir, ds)).toEqual(['- env-file-unreadable']);
    expect(ds[0]!.message).toBe(`.env beside the build file (${join(dir, '.env')}) is a folder; an env file must be a file`);
  });

  it('--env-file replaces .env; several are read in order, later over earlier; paths are relative to the current folder', async () => {
    const dir = project({ '.env': 'REG=dot-env\nTAG=dot-env\n', 'ci/a.env': 'REG=a\nTAG=a\n', 'ci/b.env': 'TAG=b\n' });
    expect(await tags(dir, { envFiles: ['ci/a.env'] })).toEqual(['a/app:a']);
    expect(await tags(dir, { envFiles: ['ci/a.env', 'ci/b.env'] })).toEqual(['a/app:b']);
    expect(await tags(dir, { envFiles: ['ci/b.env', 'ci/a.env'] })).toEqual(['a/app:a']);
    expect(await tags(dir, { envFiles: ['ci/b.env'] }), '.env is not read').toEqual(['from-vars/app:b']);
    expect(await tags(join(dir, 'ci'), { file: join(dir, 'mbuild.yaml'), envFiles: ['b.env'] })).toEqual(['from-vars/app:b']);
    const r = await loadBuildFile({ cwd: dir, env: {}, envFiles: ['ci/a.env', join(dir, 'ci/b.env')] });
    expect(r.ok && r.value.file.envFiles).toEqual([join(dir, 'ci/a.env'), join(dir, 'ci/b.env')]);
  });

  it('a missing --env-file is an error naming it; so is a folder', async () => {
    const dir = project({ 'ci/a.env': 'TAG=a\n' });
    const ds = await problems(dir, { envFiles: ['ci/a.env', 'nope.env', 'ci'] });
    expect(where(dir, ds)).toEqual(['- env-file-missing', '- env-file-unreadable']);
    expect(ds[0]!.message).toBe(
      `env file not found: --env-file nope.env (${join(dir, 'nope.env')}); a relative --env-file path is relative to the current folder`,
    );
    expect(ds[1]!.message).toBe(`--env-file ci (${join(dir, 'ci')}) is a folder; an env file must be a file`);
  });

  it('a file that is not UTF-8 text is an error at the offending byte', async () => {
    const dir = project({ '.env': 'A=1\nB=\u0000\n' });
    expect(where(dir, await problems(dir))).toEqual(['.env:2:3 env-file-not-text']);
  });
});

describe('interpolation inside an env file', () => {
  it('from --var, the environment, earlier lines and earlier files; single quotes and \\$ stay literal', async () => {
    const yaml =
      'version: 1\nname: envtest\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n    labels: {reg: "${REG}", tag: "${TAG}", lit: "${LIT}"}\n';
    const dir = project(
      {
        'a.env': 'HOST=registry.local\nPORT=1\n',
        'b.env': 'PORT=5000\nREG=${HOST}:${PORT}/${TEAM:-core}\nTAG="${BRANCH}-\\$x $$y"\nLIT=\'${HOST} \\$z\'\n',
      },
      yaml,
    );
    const labels = async (o: Options) => {
      const r = await loadBuildFile({ cwd: dir, env: {}, envFiles: ['a.env', 'b.env'], ...o });
      if (!r.ok) throw new Error(r.error.diagnostics.map((d) => d.message).join('\n'));
      return r.value.file.images.get('app')!.labels;
    };
    expect(await labels({ env: { BRANCH: 'main' } })).toEqual({ reg: 'registry.local:5000/core', tag: 'main-$x $y', lit: '${HOST} \\$z' });
    expect(await labels({ env: { BRANCH: 'main', HOST: 'h', TEAM: 't' }, vars: { PORT: '2' } })).toEqual({
      reg: 'h:2/t',
      tag: 'main-$x $y',
      lit: '${HOST} \\$z',
    });
  });

  it('a later line is not seen by an earlier one: not set, at the expression', async () => {
    const dir = project({ '.env': 'REG=${LATER}/x\nLATER=y\n' });
    const ds = await problems(dir);
    expect(where(dir, ds)).toEqual(['.env:1:5 env-interpolation']);
    expect(ds[0]!.message).toMatch(
      /^variable 'LATER' is not set; a value in an env file may use --var, the environment, earlier env files and the lines above it/,
    );
  });

  it('${VAR:?message} says its message, unless the message itself is interpolated', async () => {
    const dir = project({ '.env': 'A=${NOPE:?set NOPE in CI}\nB="${NOPE:?${SECRET}}"\nSECRET=hunter2\n' });
    expect((await problems(dir)).map((d) => d.message)).toEqual(["variable 'NOPE' is required: set NOPE in CI", "variable 'NOPE' is required"]);
  });

  it('an invalid expression is reported without quoting it', async () => {
    const dir = project({ '.env': 'A=pa${ss word\nB="x${1bad}"\n' });
    const ds = await problems(dir);
    expect(where(dir, ds)).toEqual(['.env:1:5 env-interpolation', '.env:2:5 env-interpolation']);
    for (const d of ds) expect(d.message).not.toMatch(/ss word|1bad/);
  });
});

describe('bad env files: every problem at once, at its own file:line:col, no value printed', () => {
  const SECRET = 'hunter2-s3cr3t';
  const bad = {
    'a.env': `OK=${SECRET}\nno equals ${SECRET}\n1BAD=${SECRET}\nQ="${SECRET}\n`,
    'b.env': `X='${SECRET}' ${SECRET}\nUSES_BAD=\${Q}-\${BAD_LATER}\n`,
  };

  it('reports the problems of every file, file by file, and stops before interpolating the build file', async () => {
    const dir = project(bad, YAML.replace('${TAG}', '${NOT_SET_ANYWHERE}'));
    const ds = await problems(dir, { envFiles: ['a.env', 'b.env'] });
    expect(where(dir, ds)).toEqual([
      'a.env:2:1 env-no-equals',
      'a.env:3:1 env-invalid-name',
      'a.env:4:3 env-unterminated-quote',
      'b.env:1:20 env-after-quote',
      'b.env:2:15 env-interpolation',
    ]);
    expect(ds[4]!.message, 'the bad line Q reads as empty: only BAD_LATER is reported').toMatch(/^variable 'BAD_LATER' is not set/);
  });

  it('prints path:line:col and the message, never a line of an env file nor a value', async () => {
    const dir = project(bad);
    const text = formatReport(await problems(dir, { envFiles: ['a.env', 'b.env'] }), { cwd: dir, color: false });
    expect(text).toContain('a.env:2:1: error: expected KEY=VALUE');
    expect(text).not.toContain('hunter2');
    expect(text.split('\n').filter((l) => l.includes(' | '))).toEqual([]);
  });

  it('the CLI exits 2 on a bad .env and on a missing --env-file, and prints no value', async () => {
    const dir = project({ '.env': `TOKEN="${SECRET}\n` });
    const bad = await runCli(['validate'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('.env:1:7: error: unterminated double-quoted value: the " opened here is never closed\n');
    const missing = await runCli(['--env-file', 'ci.env', 'validate'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error: env file not found: --env-file ci.env');
  });

  it('mbuild config prints the interpolated file with the env file values, as with the environment', async () => {
    const dir = project({ 'ci.env': 'REG=ci.example\nTAG=v1\n' });
    const r = await runCli(['--env-file', 'ci.env', 'config'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ci.example/app:v1');
  });
});
