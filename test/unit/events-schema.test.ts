/**
 * schema/events.schema.json against what mbuild writes with `--progress json`: one event of
 * every kind of core/events.ts (the table is typed: a new kind fails to compile until it is
 * here), the error events of a command stopped before its run, and both directions of the
 * kinds list. BUILDKIT_PROGRESS and DOCKER_BUILDKIT as defaults, one test each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { builderFromEnv, progressFromEnv } from '../../src/cli/env-defaults.js';
import type { BuildEvent, WatchEvent } from '../../src/core/events.js';
import { IdsReporter } from '../../src/report/ids.js';
import { JsonReporter } from '../../src/report/plain.js';
import { watchLog } from '../../src/report/watch-log.js';
import { REPO, runCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';
import { PassThrough } from 'node:stream';

/** ajv is CommonJS: its class is the default export's `default`. */
const Ajv2020 = AjvModule.default;
const schema = JSON.parse(readFileSync(join(REPO, 'schema', 'events.schema.json'), 'utf8')) as { $defs: Record<string, { title?: string }> };
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
const NOWHERE = 'unix:///nonexistent/docker.sock';

const valid = (line: string): void => {
  const ok = validate(JSON.parse(line));
  expect(ok, `${line}\n${JSON.stringify(validate.errors, null, 1)}`).toBe(true);
};

type Kind = BuildEvent['type'] | WatchEvent['type'];
const built = { kind: 'built', imageId: 'sha256:aa', durationMs: 12, size: 100 } as const;
const SAMPLES: { [K in Kind]: (Extract<BuildEvent, { type: K }> | Extract<WatchEvent, { type: K }>)[] } = {
  'run-started': [
    { type: 'run-started', images: ['a'], jobs: 4, builder: 'buildkit' },
    { type: 'run-started', images: ['a', 'b'], jobs: 4, builder: 'buildkit', upstream: { a: [], b: ['a'] } },
    { type: 'run-started', images: ['a'], jobs: 3, builder: 'buildkit', engines: ['home', 'e1'] },
  ],
  'image-queued': [{ type: 'image-queued', image: 'a' }],
  'image-started': [
    { type: 'image-started', image: 'a', why: 'first build' },
    { type: 'image-started', image: 'a', why: 'first build', engine: 'e1' },
  ],
  'image-moved': [{ type: 'image-moved', image: 'base', for: 'a', from: 'home', to: 'e1', bytes: 2048, durationMs: 120.5 }],
  'image-step': [{ type: 'image-step', image: 'a', step: '[1/2] RUN make', cached: false }],
  'image-log': [{ type: 'image-log', image: 'a', line: 'ok' }],
  'image-warning': [{ type: 'image-warning', image: 'a', message: 'w' }],
  'image-output': [{ type: 'image-output', image: 'a', path: '/out', to: 'dist', files: 2, bytes: 10 }],
  'image-done': [
    { type: 'image-done', image: 'a', outcome: built, tags: ['a:1'] },
    { type: 'image-done', image: 'a', outcome: { kind: 'up-to-date', imageId: 'sha256:aa', size: 1, cache: 'r:k', remote: true }, tags: [] },
    { type: 'image-done', image: 'b', outcome: { kind: 'same-as', imageId: 'sha256:aa', durationMs: 1, size: 1, sameAs: 'a', why: 'x' }, tags: [] },
    {
      type: 'image-done',
      image: 'c',
      outcome: {
        kind: 'failed',
        durationMs: 3,
        failure: {
          reason: 'build-failed',
          message: 'exit 1',
          step: 'RUN x',
          dockerfileLine: { path: 'Dockerfile', line: 2, text: 'RUN x' },
          logTail: ['e'],
          logLost: true,
        },
      },
      tags: [],
    },
    ...(['engine-error', 'context-error', 'mount-failed', 'output-failed', 'unknown-error'] as const).map(
      (reason) => ({ type: 'image-done', image: 'd', outcome: { kind: 'failed', durationMs: 0, failure: { reason, message: 'm' } }, tags: [] }) as const,
    ),
    { type: 'image-done', image: 'e', outcome: { kind: 'failed', durationMs: 0, failure: { reason: 'dependency-failed', dependency: 'c' } }, tags: [] },
    { type: 'image-done', image: 'e', outcome: { kind: 'failed', durationMs: 0, failure: { reason: 'same-as-failed', image: 'c' } }, tags: [] },
    { type: 'image-done', image: 'e', outcome: { kind: 'failed', durationMs: 0, failure: { reason: 'push-failed', ref: 'r:1', message: 'm' } }, tags: [] },
    { type: 'image-done', image: 'e', outcome: { kind: 'failed', durationMs: 0, failure: { reason: 'cancelled' } }, tags: [] },
    { type: 'image-done', image: 'e', outcome: { kind: 'failed', durationMs: 0, failure: { reason: 'not-started' } }, tags: [] },
  ],
  'push-started': [{ type: 'push-started', image: 'a', ref: 'r:1' }],
  'push-progress': [{ type: 'push-progress', image: 'a', ref: 'r:1', current: 1, total: 2 }],
  'push-done': [{ type: 'push-done', image: 'a', ref: 'r:1', digest: 'sha256:bb', via: 'copy' }],
  'push-failed': [{ type: 'push-failed', image: 'a', ref: 'r:1', message: 'm' }],
  'cache-stored': [{ type: 'cache-stored', image: 'a', ref: 'r:k', digest: 'sha256:bb' }],
  'run-finished': [{ type: 'run-finished', results: [{ image: 'a', outcome: built }], durationMs: 5, interrupted: false }],
  'watch-ready': [{ type: 'watch-ready', images: ['a'], polling: false, note: 'n' }],
  'watch-change': [{ type: 'watch-change', paths: ['x'], more: 0, images: ['a'], buildFile: false }],
  'watch-reload': [{ type: 'watch-reload', ok: true, message: 'm' }],
  'watch-rebuilt': [{ type: 'watch-rebuilt', image: 'a', imageId: 'sha256:aa', tags: [] }],
  'watch-hook': [{ type: 'watch-hook', image: 'a', exitCode: null, output: '' }],
  'watch-paused': [{ type: 'watch-paused', image: 'a', reason: 'r' }],
  'watch-waiting': [{ type: 'watch-waiting', image: 'a', missing: ['x'], invalid: ['Dockerfile'], upstream: 'b' }],
  'watch-warning': [{ type: 'watch-warning', message: 'm' }],
  'watch-probe': [{ type: 'watch-probe', name: '.mbuild-probe1', idle: true }],
  'watch-idle': [{ type: 'watch-idle' }],
};

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('schema/events.schema.json', () => {
  it('lists exactly the kinds of core/events.ts, and the error event', () => {
    const source = readFileSync(join(REPO, 'src', 'core', 'events.ts'), 'utf8');
    const kinds = [...source.matchAll(/readonly type: '([a-z-]+)'/g)].map((m) => m[1]!);
    const inSchema = Object.values(schema.$defs).flatMap((d) => (d.title === undefined ? [] : [d.title]));
    expect(new Set(inSchema)).toEqual(new Set([...kinds, 'error']));
    expect(new Set(Object.keys(SAMPLES))).toEqual(new Set(kinds));
  });

  it('accepts every event as the JSON reporters write it, with version 1, and refuses an unknown field or kind', () => {
    const out = capture();
    const reporter = new JsonReporter({ stdout: out.stream, stderr: out.stream, env: {}, logPath: (i) => i });
    const watch = watchLog(out.stream, true);
    for (const [kind, events] of Object.entries(SAMPLES))
      for (const e of events) {
        if (kind.startsWith('watch-')) watch(e as WatchEvent);
        else reporter.onEvent(e as BuildEvent);
      }
    const lines = out.text().trimEnd().split('\n');
    expect(lines.length).toBe(Object.values(SAMPLES).flat().length);
    for (const line of lines) {
      valid(line);
      expect(JSON.parse(line)).toMatchObject({ version: 1 });
    }
    expect(validate({ ...JSON.parse(lines[0]!), extra: 1 })).toBe(false);
    expect(validate({ version: 1, time: '2026-01-01T00:00:00Z', type: 'image-exploded' })).toBe(false);
    expect(validate({ ...JSON.parse(lines[0]!), version: 2 })).toBe(false);
  });

  it('accepts the error events of a bad build file and of an engine that cannot be reached', async () => {
    const t = testdir({
      'mbuild.yaml': 'version: 1\nimages:\n  a: {contxt: x}\n',
      'ok/mbuild.yaml': 'version: 1\nimages:\n  a: {}\n',
      'ok/Dockerfile': 'FROM busybox\n',
    });
    try {
      const bad = await runCli(['up', '--progress', 'json'], { cwd: t.dir, env: { DOCKER_HOST: NOWHERE } });
      expect(bad.code).toBe(2);
      valid(bad.stdout);
      expect(JSON.parse(bad.stdout)).toMatchObject({
        type: 'error',
        reason: 'invalid-build-file',
        exitCode: 2,
        diagnostics: [{ file: 'mbuild.yaml', line: 3, column: 7 }],
      });
      const down = await runCli(['up', '--progress', 'json'], { cwd: join(t.dir, 'ok'), env: { DOCKER_HOST: NOWHERE } });
      expect(down.code).toBe(1);
      valid(down.stdout);
      expect(JSON.parse(down.stdout)).toMatchObject({ type: 'error', reason: 'engine-unavailable', exitCode: 1 });
      // Without --progress json: text on stderr only.
      expect((await runCli(['up', '--progress', 'plain'], { cwd: join(t.dir, 'ok'), env: { DOCKER_HOST: NOWHERE } })).stdout).toBe('');
    } finally {
      t.cleanup();
    }
  });
});

describe('up -q', () => {
  it('prints the image ID of every image of the run that has one, in order, and nothing else', () => {
    const out = capture();
    const err = capture();
    const r = new IdsReporter({ stdout: out.stream, stderr: err.stream, env: {}, logPath: (i) => i });
    for (const e of [...SAMPLES['run-started'], ...SAMPLES['image-started'], ...SAMPLES['image-step'], ...SAMPLES['image-done']]) r.onEvent(e);
    r.onEvent({
      type: 'run-finished',
      results: [
        { image: 'a', outcome: built },
        { image: 'b', outcome: { kind: 'up-to-date', imageId: 'sha256:bb', size: 1 } },
        { image: 'c', outcome: { kind: 'failed', durationMs: 1, failure: { reason: 'engine-error', message: 'boom' } } },
      ],
      durationMs: 1,
      interrupted: false,
    });
    expect(out.text()).toBe('sha256:aa\nsha256:bb\n');
    expect(err.text()).toContain("error: image 'c' engine error: boom");
  });
});

describe('environment defaults', () => {
  const CLASSIC = new URL('../fixtures/session-classic/', import.meta.url).pathname;

  it('BUILDKIT_PROGRESS: plain, tty, auto, rawjson (json), quiet; anything else is refused', async () => {
    expect(['plain', 'tty', 'auto', 'rawjson', 'quiet', '', undefined].map((v) => progressFromEnv(v))).toEqual([
      { ok: true, value: ['progress', 'plain'] },
      { ok: true, value: ['progress', 'tty'] },
      { ok: true, value: ['progress', 'auto'] },
      { ok: true, value: ['progress', 'json'] },
      { ok: true, value: ['quiet', 'true'] },
      { ok: true, value: undefined },
      { ok: true, value: undefined },
    ]);
    const t = testdir({ 'mbuild.yaml': 'version: 1\nimages:\n  a: {}\n', Dockerfile: 'FROM busybox\n' });
    try {
      const env = { DOCKER_HOST: NOWHERE, BUILDKIT_PROGRESS: 'rawjson' };
      const json = await runCli(['up'], { cwd: t.dir, env });
      expect(JSON.parse(json.stdout)).toMatchObject({ type: 'error', reason: 'engine-unavailable' });
      // The flag wins over the variable.
      expect((await runCli(['up', '--progress', 'plain'], { cwd: t.dir, env })).stdout).toBe('');
      const bad = await runCli(['up'], { cwd: t.dir, env: { ...env, BUILDKIT_PROGRESS: 'fancy' } });
      expect(bad).toEqual({ code: 2, stdout: '', stderr: 'error: BUILDKIT_PROGRESS=fancy: expected auto, tty, plain, quiet or rawjson\n' });
    } finally {
      t.cleanup();
    }
  });

  it('DOCKER_BUILDKIT=0 selects the classic builder (secrets refused before connecting), 1 BuildKit; --builder wins', async () => {
    expect(['0', 'false', '1', 'TRUE', '', 'yes'].map((v) => builderFromEnv(v).ok && builderFromEnv(v))).toEqual([
      { ok: true, value: 'classic' },
      { ok: true, value: 'classic' },
      { ok: true, value: 'buildkit' },
      { ok: true, value: 'buildkit' },
      { ok: true, value: undefined },
      false,
    ]);
    const env = { DOCKER_HOST: NOWHERE, MBUILD_TEST_TOKEN: 'never-shown-token' };
    const classic = await runCli(['up'], { cwd: CLASSIC, env: { ...env, DOCKER_BUILDKIT: '0' } });
    expect(classic.code).toBe(2);
    expect(classic.stderr).toMatch(/classic builder/);
    const buildkit = await runCli(['up'], { cwd: CLASSIC, env: { ...env, DOCKER_BUILDKIT: '1' } });
    expect(buildkit.code).toBe(1);
    expect(buildkit.stderr).toContain('cannot connect to the Docker engine');
    const flag = await runCli(['up', '--builder', 'buildkit'], { cwd: CLASSIC, env: { ...env, DOCKER_BUILDKIT: '0' } });
    expect(flag.code).toBe(1);
    const bad = await runCli(['up'], { cwd: CLASSIC, env: { ...env, DOCKER_BUILDKIT: 'maybe' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: DOCKER_BUILDKIT=maybe: expected a boolean (1 for BuildKit, 0 for the classic builder)\n');
  });
});
