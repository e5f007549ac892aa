/**
 * `plan --engine` and `graph --engine` on two real engines (issue 21): a wide project (three
 * independent images, one image FROM another) placed over both, with the transfer the
 * placement needs; an engine that does not answer is shown unreachable, not a crash.
 * Nothing is built: plan only asks.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeContext } from '../helpers/docker-contexts.js';
import { runCli } from '../helpers/run-cli.js';
import { startEngine, type SecondEngine } from '../helpers/second-engine.js';
import { testdir } from '../helpers/testdir.js';

const HOME = 'unix:///var/run/docker.sock';
let second: SecondEngine;
beforeAll(async () => {
  second = await startEngine();
}, 120_000);
afterAll(async () => {
  await second.stop();
});

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function wideProject(): string {
  const run = (x: string): string => `FROM busybox\nRUN echo ${x} > /${x}\n`;
  const { dir, cleanup } = testdir(
    {
      'mbuild.yaml': 'version: 1\nname: mbt-poolplan\nimages:\n  a:\n    context: a\n  b:\n    context: b\n  c:\n    context: c\n  d:\n    context: d\n',
      'a/Dockerfile': run('a'),
      'b/Dockerfile': run('b'),
      'c/Dockerfile': run('c'),
      'd/Dockerfile': 'FROM a\nRUN echo d > /d\n',
    },
    'mbt-poolplan-',
  );
  cleanups.push(cleanup);
  return dir;
}

const pool = (): string[] => ['--engine', `${HOME},slots=1,name=home`, '--engine', `${second.host},slots=1,name=second`];

describe('plan and graph with an engine pool', () => {
  it('places the images on both engines and lists the transfer d needs', async () => {
    const dir = wideProject();
    const r = await runCli(['plan', ...pool()], { cwd: dir, env: { ...process.env, MBUILD_ENGINES_FILE: `${dir}/none.yaml` } });
    expect(r.code).toBe(0);
    // Round 1: a (the longest path) home, b second; round 2: c home, d second (a moves there).
    expect(r.stdout).toContain('  a\n      stale: first build\n      engine: home\n');
    expect(r.stdout).toContain('  b\n      stale: first build\n      engine: second\n');
    expect(r.stdout).toContain('  d <- a (from, Dockerfile line 1: a)\n      stale: first build\n      engine: second\n');
    expect(r.stdout).toContain(
      [
        'engines (the first is home):',
        `  home    ${HOME}, 1 slot, home: 2 builds`,
        `  second  ${second.host}, 1 slot: 2 builds`,
        'transfers:',
        '  b: second -> home (size not known; built away from home)',
        '  a: home -> second (size not known; read by d)',
        '  d: second -> home (size not known; built away from home)',
        '3 transfers, 0 B, 3 of a size not known yet',
        '2 rounds of builds, one build time each (a prediction: builds are not equally long)',
      ].join('\n'),
    );
  });

  it('says which engine does not answer, in JSON too, and places on the others', async () => {
    const dir = wideProject();
    const r = await runCli(['plan', '--format', 'json', ...pool(), '--engine', `unix://${dir}/gone.sock,name=gone`], { cwd: dir, env: process.env });
    expect(r.code).toBe(0);
    const placement = (
      JSON.parse(r.stdout) as { placement: { engines: { name: string; unreachable?: string }[]; images: { image: string; engine: string }[] } }
    ).placement;
    expect(placement.engines.map((e) => [e.name, e.unreachable?.replace(/:.*/, '')])).toEqual([
      ['home', undefined],
      ['second', undefined],
      ['gone', 'cannot connect to the Docker engine at unix'],
    ]);
    expect(Object.fromEntries(placement.images.map((i) => [i.image, i.engine]))).toEqual({ a: 'home', b: 'second', c: 'home', d: 'second' });
  });

  it('the engines file names the pool when no flag does; a bad one is exit 2 at its line', async () => {
    const dir = wideProject();
    const ok = await runCli(['graph'], {
      cwd: dir,
      env: { ...process.env, XDG_CONFIG_HOME: dir, MBUILD_ENGINES_FILE: undefined },
    });
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).not.toContain('fillcolor'); // no file there yet: no pool
    const file = `${dir}/engines.yaml`;
    writeFileSync(file, `engines:\n  - host: ${HOME}\n    slots: 1\n    name: home\n  - host: ${second.host}\n    slots: 1\n    name: second\n`);
    const coloured = await runCli(['graph'], { cwd: dir, env: { ...process.env, MBUILD_ENGINES_FILE: file } });
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toContain('  "a" [style=filled, fillcolor="#8dd3c7"];\n  "b" [style=filled, fillcolor="#ffffb3"];\n');
    expect(coloured.stdout).toContain('    "legend 1" [label="second", style=filled, fillcolor="#ffffb3"];\n');
    writeFileSync(file, 'engines:\n  - host: unix:///a\n    slots: 0\n');
    const bad = await runCli(['plan'], { cwd: dir, env: { ...process.env, MBUILD_ENGINES_FILE: file } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("engines.yaml:3:12: error: slots must be a whole number from 1 to 256, not '0'");
  });

  it('a docker context names an engine (its name is the engine name); one that does not exist is exit 2', async () => {
    const dir = wideProject();
    writeContext(`${dir}/docker-config`, 'mbt-second', { docker: { Host: second.host, SkipTLSVerify: false } });
    const env = { ...process.env, DOCKER_CONFIG: `${dir}/docker-config` };
    const r = await runCli(['plan', '--engine', `${HOME},slots=1,name=home`, '--engine', 'mbt-second,slots=1'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  mbt-second  ${second.host}, 1 slot: 2 builds\n`);
    const missing = await runCli(['plan', '--engine', 'mbt-nothere'], { cwd: dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: engine mbt-nothere: docker context "mbt-nothere" .*does not exist/m);
  });

  it('graph --format mermaid gives each engine a classDef', async () => {
    const dir = wideProject();
    const r = await runCli(['graph', '--format', 'mermaid', ...pool()], { cwd: dir, env: process.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  classDef engine0 fill:#8dd3c7,stroke:#333\n  class n0,n2,e0 engine0\n');
    expect(r.stdout).toContain('  classDef engine1 fill:#ffffb3,stroke:#333\n  class n1,n3,e1 engine1\n');
  });
});
