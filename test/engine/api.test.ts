/**
 * The library API (src/api/) in the repo, on the real engine: every expected problem is a
 * value, no call writes to stdout or stderr, and aborting `build`'s signal cancels the run
 * on the engine (the report says `interrupted`, the image `cancelled`).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { build, load, plan, type Project } from '../../src/api/index.js';
import { tempProject } from '../helpers/temp-project.js';

// Made when the tests run, not when vitest collects the file: a filtered run leaves no folder.
let project: ReturnType<typeof tempProject>;
beforeAll(() => {
  project = tempProject('api', (name) => ({
    'mbuild.yaml': `version: 1
name: ${name}
images:
  slow:
    network: none
    dockerfile_inline: |
      FROM busybox
      RUN sleep 60
`,
  }));
});
afterAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset when every test was filtered out
  project?.cleanup();
});

/** What the calls of a test wrote to the process's own streams (expected: nothing). */
let written: string[] = [];
beforeEach(() => {
  written = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(written).toEqual([]);
});

async function loaded(): Promise<Project> {
  const r = await load({ cwd: project.dir });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

it('returns problems as values: a bad var name, a missing build file, an unknown name, a project load() did not make', async () => {
  expect(await load({ cwd: project.dir, vars: { 'BAD-NAME': 'x' } })).toEqual({
    ok: false,
    error: { reason: 'invalid-input', message: 'invalid var name: BAD-NAME' },
  });
  const missing = await load({ cwd: project.dir, file: 'nope.yaml' });
  expect(missing.ok || missing.error.reason).toBe('invalid-build-file');
  const unknown = await load({ cwd: project.dir, names: ['slo'] });
  expect(unknown.ok || (unknown.error.reason === 'invalid-build-file' && unknown.error.diagnostics.map((d) => d.message))).toEqual([
    "no image or group named 'slo'; did you mean 'slow'?",
  ]);
  const copy = { ...(await loaded()) };
  expect(await plan(copy)).toEqual({ ok: false, error: { reason: 'invalid-input', message: 'plan() takes a project that load() returned' } });
  expect(await build(copy)).toEqual({ ok: false, error: { reason: 'invalid-input', message: 'build() takes a project that load() returned' } });
});

it('plans without an engine (a note, no predictions) and refuses to build without one', async () => {
  const p = await loaded();
  const host = 'unix:///nonexistent/docker.sock';
  const planned = await plan(p, { host });
  expect(planned.ok && { predictions: planned.value.predictions, note: planned.value.note }).toEqual({
    predictions: undefined,
    note: expect.stringMatching(/^freshness not predicted: /) as unknown,
  });
  const built = await build(p, { host });
  expect(built.ok || built.error.reason).toBe('engine-unavailable');
});

it('cancels the run when the signal aborts: interrupted, the image cancelled, events to the end', async () => {
  const p = await loaded();
  const abort = new AbortController();
  const events: string[] = [];
  const started = Date.now();
  const built = await build(p, {
    signal: abort.signal,
    onEvent: (e) => {
      events.push(e.type);
      // The RUN step has begun: its container sleeps a minute unless the build is cancelled.
      if (e.type === 'image-step' && e.step.includes('RUN sleep')) abort.abort();
    },
  });
  expect(built.ok && { interrupted: built.value.interrupted, ok: built.value.ok, outcomes: built.value.results.map((r) => r.outcome) }).toEqual({
    interrupted: true,
    ok: false,
    outcomes: [expect.objectContaining({ kind: 'failed', failure: { reason: 'cancelled' } })],
  });
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(events[0]).toBe('run-started');
  expect(events.at(-1)).toBe('run-finished');
}, 60_000);
