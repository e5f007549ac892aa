/** `mbuild init` through the CLI: a repo of several Dockerfiles, validate on what it wrote, never a second write. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';

const REPO_TREE = {
  'base/Dockerfile': 'FROM busybox\nRUN true\n',
  'services/api/Dockerfile': 'ARG BASE=shop/base:dev\nFROM ${BASE}\nCOPY --from=web /app /app\n',
  'services/worker/Dockerfile': 'FROM busybox\n',
  'services/worker/debug.Dockerfile': 'FROM busybox\n',
  'web/Dockerfile': 'FROM busybox\n',
  'broken/Dockerfile': 'FROM busybox\nFROOM x\n',
  'node_modules/dep/Dockerfile': 'FROM busybox\n',
  '.devcontainer/Dockerfile': 'FROM busybox\n',
};

describe('mbuild init', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('scaffolds a file validate accepts, says what it skipped, and never writes twice', async () => {
    const t = testdir(REPO_TREE, 'mbuild-init-');
    cleanup = t.cleanup;
    const first = await runCli(['init'], { cwd: t.dir });
    expect(first.stderr).toContain('warning: skipped broken/Dockerfile, it has errors: line 2: unknown instruction: FROOM');
    expect(first.stderr).toContain('wrote mbuild.yaml: 5 images, 1 group');
    expect(first.code).toBe(0);
    const text = readFileSync(join(t.dir, 'mbuild.yaml'), 'utf8');
    const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(text)?.[1];
    expect(schema).toBeDefined();
    expect(statSync(join(t.dir, schema!)).isFile()).toBe(true);
    expect(text).toContain('      BASE: {image: base}');
    expect(text).toMatch(/# COPY --from=web \(line 3\) reads image web/);
    expect(text).toContain('  services: [api, worker, worker-debug]');
    expect(text).not.toMatch(/dep|devcontainer/);

    const valid = await runCli(['validate'], { cwd: t.dir });
    expect({ code: valid.code, stdout: valid.stdout }).toEqual({ code: 0, stdout: 'mbuild.yaml is valid: 5 images, 1 group, 1 note\n' });
    expect(valid.stderr).not.toMatch(/error/);
    const plan = await runCli(['graph', '--format', 'json'], { cwd: t.dir });
    expect(plan.code).toBe(0);
    const edges = (JSON.parse(plan.stdout) as { edges: { from: string; to: string; kind: string }[] }).edges;
    // base through the {image:} arg; web through its name in COPY --from (mbuild reads in-file names).
    expect(new Set(edges.map((e) => `${e.from}->${e.to}`))).toEqual(new Set(['base->api', 'web->api']));
    expect(edges.map((e) => e.kind)).toContain('args');

    const second = await runCli(['init'], { cwd: t.dir });
    expect(second).toEqual({ code: 2, stdout: '', stderr: 'error: mbuild.yaml exists; mbuild init never replaces a build file\n' });
    expect(readFileSync(join(t.dir, 'mbuild.yaml'), 'utf8')).toBe(text);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('mbuild.yaml'))).toEqual(['mbuild.yaml']);
  });

  it('prints instead of writing with --dry-run and --stdout', async () => {
    const t = testdir(REPO_TREE, 'mbuild-init-');
    cleanup = t.cleanup;
    const dry = await runCli(['init', '--dry-run'], { cwd: t.dir });
    const out = await runCli(['init', '--stdout'], { cwd: t.dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^# yaml-language-server:/);
    expect(out.stdout).toBe(dry.stdout);
    expect(readdirSync(t.dir)).not.toContain('mbuild.yaml');
  });

  it('refuses a folder with an mbuild.yml, and one with no Dockerfile', async () => {
    const t = testdir({ 'mbuild.yml': 'version: 1\n', 'a/Dockerfile': 'FROM busybox\n', 'empty/': '' }, 'mbuild-init-');
    cleanup = t.cleanup;
    expect(await runCli(['init'], { cwd: t.dir })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: mbuild.yml exists; mbuild init never replaces a build file\n',
    });
    expect(readFileSync(join(t.dir, 'mbuild.yml'), 'utf8')).toBe('version: 1\n');
    const none = await runCli(['init'], { cwd: join(t.dir, 'empty') });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no Dockerfile found in /);
  });

  it('writes at -f PATH, inside that folder', async () => {
    const t = testdir({ 'proj/x/Dockerfile': 'FROM busybox\n' }, 'mbuild-init-');
    cleanup = t.cleanup;
    const r = await runCli(['-f', 'proj', 'init'], { cwd: t.dir });
    expect(r.code).toBe(0);
    expect(readFileSync(join(t.dir, 'proj', 'mbuild.yaml'), 'utf8')).toContain('  x:\n    context: x\n');
    expect((await runCli(['-f', 'proj', 'validate'], { cwd: t.dir })).code).toBe(0);
  });
});
