/**
 * Docker contexts on the real engine: a context whose endpoint is the real daemon's socket
 * under another path (a symlink in a temp folder), selected by DOCKER_CONTEXT or by
 * config.json's currentContext, is where `up` builds; a context at a dead socket makes `up`
 * fail naming the context (before contexts were read, mbuild built on the default socket
 * while `docker` talked to the context's engine); `-H`, before or after the command, and
 * DOCKER_HOST take precedence. The real docker CLI reads the same store the same way.
 * Fixture test/fixtures/up/tiny.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { writeContext, writeCurrentContext } from '../helpers/docker-contexts.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';

let p: TestProject;
let tmp: string;
let config: string;
let live: string;
let dead: string;
beforeAll(() => {
  p = copyFixture('tiny', 'dctx');
  tmp = mkdtempSync(join(tmpdir(), 'mbt-dctx-'));
  const socket = createEngine({ env: { ...process.env, DOCKER_CONTEXT: '', DOCKER_CONFIG: tmp } }).endpoint.url.replace(/^unix:\/\//, '');
  symlinkSync(socket, join(tmp, 'docker.sock'));
  live = `unix://${tmp}/docker.sock`;
  dead = `unix://${tmp}/missing.sock`;
  config = join(tmp, 'config');
  writeContext(config, 'mbt-live', { docker: { Host: live, SkipTLSVerify: false } });
  writeContext(config, 'mbt-dead', { docker: { Host: dead, SkipTLSVerify: false } });
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  expect(p.cleanup()).toEqual([]);
});

/** The test process's own engine settings removed: only what each test sets counts. */
const env = (vars: Record<string, string> = {}) => ({ DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_CONFIG: config, ...vars });
const up = (args: string[], vars: Record<string, string> = {}) => p.up(['--progress', 'plain', ...args], env(vars));

describe('mbuild up with docker contexts', () => {
  it('builds on the engine of the context DOCKER_CONTEXT names, and -v says so first', async () => {
    const r = await up(['-v'], { DOCKER_CONTEXT: 'mbt-live' });
    expect(r.stderr.split('\n')[0]).toBe(`engine: ${live} (docker context "mbt-live", named by DOCKER_CONTEXT)`);
    expect(r.code).toBe(0);
  });

  it('fails on a context whose engine is not there, naming the context, instead of building on the default socket', async () => {
    const r = await up([], { DOCKER_CONTEXT: 'mbt-dead' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot connect to the Docker engine at ${dead} (docker context "mbt-dead", named by DOCKER_CONTEXT)`);
  });

  it("follows config.json's currentContext, and -H (global, before or after the command) or DOCKER_HOST wins over it", async () => {
    const file = writeCurrentContext(config, 'mbt-dead');
    try {
      const r = await up([]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`(docker context "mbt-dead", named by currentContext in ${file})`);
      const after = await up(['-v', '-H', live]);
      expect(after.stderr.split('\n')[0]).toBe(
        `engine: ${live} (from --host, which takes precedence over docker context "mbt-dead", named by currentContext in ${file})`,
      );
      expect(after.code).toBe(0);
      const before = await runCli(['-H', live, 'up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, ...env() } });
      expect(before.code).toBe(0);
      expect((await up([], { DOCKER_HOST: live, DOCKER_CONTEXT: 'mbt-dead' })).code).toBe(0);
      writeCurrentContext(config, 'mbt-live');
      expect((await up([])).code).toBe(0);
    } finally {
      rmSync(file);
    }
  });

  it('as a real process: a context that does not exist is exit 2, naming DOCKER_CONTEXT; -H before the command overrides it', async () => {
    const bad = await spawnCli(['up'], { cwd: p.dir, env: { ...env({ DOCKER_CONTEXT: 'mbt-nope' }), DOCKER_HOST: '' } }).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: docker context "mbt-nope" \(named by DOCKER_CONTEXT\) does not exist \(no .*meta\.json; `docker context ls` lists the contexts\)\n$/,
    );
    const ok = await spawnCli(['-H', live, '-v', 'up'], { cwd: p.dir, env: { ...env({ DOCKER_CONTEXT: 'mbt-nope' }), DOCKER_HOST: '' } }).done;
    expect(ok.stderr.split('\n')[0]).toBe(`engine: ${live} (from --host, which takes precedence over docker context "mbt-nope", named by DOCKER_CONTEXT)`);
    expect(ok.code).toBe(0);
  });

  it('plan prints the engine line (text and JSON)', async () => {
    const text = await runCli(['plan'], { cwd: p.dir, env: { ...process.env, ...env({ DOCKER_CONTEXT: 'mbt-live' }) } });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`\nengine: ${live} (docker context "mbt-live", named by DOCKER_CONTEXT)\n`);
    const json = await runCli(['plan', '--format', 'json'], { cwd: p.dir, env: { ...process.env, ...env({ DOCKER_CONTEXT: 'mbt-live' }) } });
    expect(JSON.parse(json.stdout)).toMatchObject({ engine: { url: live, source: 'DOCKER_CONTEXT', context: 'mbt-live' } });
  });
});

describe('the docker CLI reads the same store the same way', () => {
  /** `docker [-H HOST] context inspect` of the current context: its name and its docker host. */
  const theirs = (vars: Record<string, string>, host?: string): string =>
    execFileSync('docker', [...(host !== undefined ? ['-H', host] : []), 'context', 'inspect', '--format', '{{.Name}} {{.Endpoints.docker.Host}}'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: tmp, ...vars },
    }).trim();
  const ours = (vars: Record<string, string>, host?: string): string => {
    const e = createEngine({ ...(host !== undefined && { host }), env: { HOME: tmp, ...vars } }).endpoint;
    return `${e.context ?? 'default'} ${e.url}`;
  };

  it('DOCKER_CONTEXT, currentContext, DOCKER_HOST, -H and the context named default', () => {
    const current = join(tmp, 'config-current');
    writeContext(current, 'mbt-live', { docker: { Host: live, SkipTLSVerify: false } });
    writeCurrentContext(current, 'mbt-live');
    const cases: { vars: Record<string, string>; host?: string }[] = [
      { vars: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'mbt-live' } },
      { vars: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'default' } },
      { vars: { DOCKER_CONFIG: config } },
      { vars: { DOCKER_CONFIG: current } },
      { vars: { DOCKER_CONFIG: current, DOCKER_CONTEXT: 'mbt-dead' } },
      { vars: { DOCKER_CONFIG: current, DOCKER_CONTEXT: 'default' } },
      { vars: { DOCKER_CONFIG: current, DOCKER_HOST: dead } },
      { vars: { DOCKER_CONFIG: current, DOCKER_CONTEXT: 'mbt-live', DOCKER_HOST: dead } },
      { vars: { DOCKER_CONFIG: current, DOCKER_CONTEXT: 'mbt-nope' }, host: dead },
    ];
    writeContext(current, 'mbt-dead', { docker: { Host: dead, SkipTLSVerify: false } });
    for (const c of cases) expect(ours(c.vars, c.host), JSON.stringify(c)).toBe(theirs(c.vars, c.host));
  });
});
