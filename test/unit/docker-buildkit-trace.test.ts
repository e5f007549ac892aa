import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BuildStreamParser } from '../../src/docker/build-stream.js';
import { decodeStatus, statusResponseType } from '../../src/docker/buildkit-trace.js';
import type { BuildOutcome, BuildStreamEvent } from '../../src/docker/engine.js';
import { BUILDKIT_STATUS_PROTO } from '../../src/docker/proto/buildkit-status.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./docker-fixtures/${name}`, import.meta.url));

function parse(...chunks: (string | Buffer)[]): { events: BuildStreamEvent[]; outcome: BuildOutcome } {
  const events: BuildStreamEvent[] = [];
  const p = new BuildStreamParser((e) => events.push(e));
  for (const c of chunks) p.push(c);
  return { events, outcome: p.finish() };
}

const ts = { seconds: 1_700_000_000, nanos: 0 };
/** One `moby.buildkit.trace` line whose aux is `status` encoded with protobufjs. */
function trace(status: Record<string, unknown>): string {
  const type = statusResponseType();
  const aux = Buffer.from(type.encode(type.fromObject(status)).finish()).toString('base64');
  return `${JSON.stringify({ id: 'moby.buildkit.trace', aux })}\n`;
}
const imageId = (id: string): string => `${JSON.stringify({ id: 'moby.image.id', aux: { ID: id } })}\n`;

describe('the vendored proto', () => {
  it('is embedded verbatim in buildkit-status.ts', () => {
    const file = readFileSync(new URL('../../src/docker/proto/buildkit-status.proto', import.meta.url), 'utf8');
    expect(BUILDKIT_STATUS_PROTO).toBe(file);
  });

  it('decodes a real payload captured from Docker 20.10 with BuildKit field numbers', () => {
    // `[2/3] RUN echo hello-é && echo second` completing, captured from the daemon.
    const aux =
      'CtYBCkdzaGEyNTY6MjVkNzdkMzMyMjU5NGNlNDJiMGUyNjA2OWRiM2U5NzcyY2NmMDIwZGQ4MDYxYjNkYjY1ZGY3YzgwYTVlZmYyYhJHc2hhMjU2OjA4YTAzZjNmZmU1ZmJhNDIxYTY0MDNjMzFlMTUzNDI1Y2VkNjMxZDEwODg2OGYzMGUwNDk4NWY5OWQ2OTMyNmUaJlsyLzNdIFJVTiBlY2hvIGhlbGxvLcOpICYmIGVjaG8gc2Vjb25kKgwIlOiP2AYQ8u/YswEyDAiU6I/YBhDX7/DWAQ==';
    expect(decodeStatus(aux)).toEqual({
      vertexes: [
        {
          digest: 'sha256:25d77d3322594ce42b0e26069db3e9772ccf020dd8061b3db65df7c80a5eff2b',
          name: '[2/3] RUN echo hello-é && echo second',
          cached: false,
          started: true,
          completed: true,
          error: '',
        },
      ],
      logs: [],
      warnings: [],
    });
  });
});

describe('BuildKit build stream', () => {
  it('turns a real successful trace into steps, logs and the moby.image.id outcome', () => {
    const { events, outcome } = parse(fixture('buildkit-ok.ndjson'));
    expect(outcome).toEqual({ kind: 'succeeded', imageId: 'sha256:5be965fed6fea9e57722677ebf415d6fed75f3fe3efeba7b323ecff45bbaf173' });
    const run = events.find((e) => e.type === 'step-started' && e.name === '[2/2] RUN echo hello-é && echo second');
    expect(run).toBeDefined();
    const stepId = run?.type === 'step-started' ? run.stepId : '';
    expect(events.filter((e) => 'stepId' in e && e.stepId === stepId)).toEqual([
      { type: 'step-started', stepId, name: '[2/2] RUN echo hello-é && echo second' },
      { type: 'log', stepId, text: 'hello-é\nsecond' },
      { type: 'step-completed', stepId, name: '[2/2] RUN echo hello-é && echo second', cached: false },
    ]);
    // Every step starts once and completes once.
    const started = events.filter((e) => e.type === 'step-started').map((e) => e.stepId);
    const completed = events.filter((e) => e.type === 'step-completed').map((e) => e.stepId);
    expect(new Set(started).size).toBe(started.length);
    expect([...completed].sort()).toEqual([...started].sort());
    expect(events.some((e) => e.type === 'warning')).toBe(false);
  });

  it('gives the same result wherever the stream is split', () => {
    const whole = fixture('buildkit-ok.ndjson');
    const reference = parse(whole);
    for (let i = 1; i < whole.length; i += 7) expect(parse(whole.subarray(0, i), whole.subarray(i)), `split at ${i}`).toEqual(reference);
  });

  it('fails a real failing trace with the failing vertex as the step', () => {
    const { events, outcome } = parse(fixture('buildkit-fail.ndjson'));
    const message = 'executor failed running [/bin/sh -c exit 3]: exit code: 3';
    expect(outcome).toMatchObject({ kind: 'failed', message, step: { name: '[3/3] RUN exit 3' } });
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-completed', name: '[3/3] RUN exit 3', error: message }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'log', text: 'before-failure' }));
  });

  it('buffers partial lines and split UTF-8 per vertex, flushing at completion', () => {
    const é = Buffer.from('é');
    const { events, outcome } = parse(
      trace({
        vertexes: [
          { digest: 'sha256:a', name: '[1/2] RUN a', started: ts },
          { digest: 'sha256:b', name: '[2/2] RUN b', started: ts },
        ],
      }),
      trace({ logs: [{ vertex: 'sha256:a', msg: Buffer.concat([Buffer.from('caf'), é.subarray(0, 1)]), timestamp: ts }] }),
      trace({ logs: [{ vertex: 'sha256:b', msg: Buffer.from('b1\nb'), timestamp: ts }] }),
      trace({ logs: [{ vertex: 'sha256:a', msg: Buffer.concat([é.subarray(1), Buffer.from(' ok\nline 2\nno newline')]), timestamp: ts }] }),
      trace({ vertexes: [{ digest: 'sha256:a', name: '[1/2] RUN a', started: ts, completed: ts, cached: true }] }),
      trace({ warnings: [{ vertex: 'sha256:b', short: Buffer.from('Empty continuation line\n'), url: 'https://example.invalid/w' }] }),
      imageId('sha256:feed'),
    );
    expect(events).toEqual([
      { type: 'step-started', stepId: 'sha256:a', name: '[1/2] RUN a' },
      { type: 'step-started', stepId: 'sha256:b', name: '[2/2] RUN b' },
      { type: 'log', stepId: 'sha256:b', text: 'b1' },
      { type: 'log', stepId: 'sha256:a', text: 'café ok\nline 2' },
      { type: 'log', stepId: 'sha256:a', text: 'no newline' },
      { type: 'step-completed', stepId: 'sha256:a', name: '[1/2] RUN a', cached: true },
      { type: 'warning', text: 'Empty continuation line (https://example.invalid/w)' },
      // The stream ended with b's last line unterminated: flushed at the end.
      { type: 'log', stepId: 'sha256:b', text: 'b' },
    ]);
    expect(outcome).toEqual({ kind: 'succeeded', imageId: 'sha256:feed' });
  });

  it('passes no terminal escape on: not in output, step names, errors or warnings; spacing stays', () => {
    const red = (s: string) => `\x1b[31m${s}\x1b[0m`;
    const { events, outcome } = parse(
      trace({ vertexes: [{ digest: 'sha256:a', name: red('[1/1] RUN a'), started: ts }] }),
      trace({ logs: [{ vertex: 'sha256:a', msg: Buffer.from(`${red('red')}\n  two  spaces\x1b]0;title\x07\n`), timestamp: ts }] }),
      trace({ vertexes: [{ digest: 'sha256:a', name: red('[1/1] RUN a'), started: ts, completed: ts, error: red('exit code: 3') }] }),
      trace({ warnings: [{ vertex: 'sha256:a', short: Buffer.from(red('careful')), url: '' }] }),
      `${JSON.stringify({ errorDetail: { message: red('exit code: 3') }, error: red('exit code: 3') })}\n`,
    );
    expect(events).toEqual([
      { type: 'step-started', stepId: 'sha256:a', name: '[1/1] RUN a' },
      { type: 'log', stepId: 'sha256:a', text: 'red\n  two  spaces' },
      { type: 'step-completed', stepId: 'sha256:a', name: '[1/1] RUN a', cached: false, error: 'exit code: 3' },
      { type: 'warning', text: 'careful' },
    ]);
    expect(outcome).toEqual({ kind: 'failed', message: 'exit code: 3', step: { stepId: 'sha256:a', name: '[1/1] RUN a' } });
  });

  it('blames the vertex that failed, not the ones BuildKit cancelled because of it', () => {
    const { outcome } = parse(
      trace({ vertexes: [{ digest: 'sha256:x', name: '[a 1/1] RUN sleep 9', started: ts, completed: ts, error: 'context canceled' }] }),
      trace({ vertexes: [{ digest: 'sha256:y', name: '[b 1/1] RUN false', started: ts, completed: ts, error: 'exit code: 1' }] }),
      `${JSON.stringify({ errorDetail: { message: 'exit code: 1' }, error: 'exit code: 1' })}\n`,
    );
    expect(outcome).toEqual({ kind: 'failed', message: 'exit code: 1', step: { stepId: 'sha256:y', name: '[b 1/1] RUN false' } });
  });

  it('turns an undecodable trace payload into a warning', () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]).toString('base64');
    const { events, outcome } = parse(`${JSON.stringify({ id: 'moby.buildkit.trace', aux: garbage })}\n`, imageId('sha256:feed'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'warning' });
    expect(events[0]?.type === 'warning' && events[0].text).toMatch(/^ignored an undecodable BuildKit trace message: /);
    expect(outcome).toEqual({ kind: 'succeeded', imageId: 'sha256:feed' });
  });
});
