import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BuildStreamParser, NO_IMAGE_ID } from '../../src/docker/build-stream.js';
import type { BuildOutcome, BuildStreamEvent } from '../../src/docker/engine.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./docker-fixtures/${name}`, import.meta.url));

/** Feeds `chunks` to a fresh parser; returns the events and the outcome. */
function parse(...chunks: (string | Buffer)[]): { events: BuildStreamEvent[]; outcome: BuildOutcome } {
  const events: BuildStreamEvent[] = [];
  const p = new BuildStreamParser((e) => events.push(e));
  for (const c of chunks) p.push(c);
  return { events, outcome: p.finish() };
}

const line = (o: unknown): string => `${JSON.stringify(o)}\n`;
const ID = 'sha256:7806551d9a57645ca508b5f1069aaa7a6e079dbc97828dfee5ab418a82969418';

describe('classic build stream', () => {
  it('turns Step lines into steps, output into logs, and takes the image ID from aux', () => {
    const { events, outcome } = parse(fixture('classic-ok.ndjson'));
    expect(events).toEqual([
      { type: 'step-started', stepId: 'classic-1', name: '[1/2] FROM busybox' },
      { type: 'step-completed', stepId: 'classic-1', name: '[1/2] FROM busybox', cached: false },
      { type: 'step-started', stepId: 'classic-2', name: '[2/2] RUN echo hello-é && echo second' },
      { type: 'log', stepId: 'classic-2', text: 'hello-é' },
      { type: 'log', stepId: 'classic-2', text: 'second' },
      { type: 'step-completed', stepId: 'classic-2', name: '[2/2] RUN echo hello-é && echo second', cached: false },
    ]);
    expect(outcome).toEqual({ kind: 'succeeded', imageId: ID });
  });

  it('gives the same events and outcome wherever the bytes are split, even inside a UTF-8 character', () => {
    const whole = fixture('classic-ok.ndjson');
    const reference = parse(whole);
    const eAcute = whole.indexOf(Buffer.from('é'));
    expect(eAcute).toBeGreaterThan(0);
    for (let i = 1; i < whole.length; i++) {
      expect(parse(whole.subarray(0, i), whole.subarray(i)), `split at byte ${i}`).toEqual(reference);
    }
    // One byte at a time: every line and the two-byte é arrive in pieces.
    const bytes = [...whole].map((b) => Buffer.from([b]));
    expect(parse(...bytes)).toEqual(reference);
  });

  it('marks a step whose result came from the cache', () => {
    const { events } = parse(
      line({ stream: 'Step 1/2 : FROM busybox\n' }),
      line({ stream: 'Step 2/2 : RUN make\n' }),
      line({ stream: ' ---> Using cache\n' }),
      line({ stream: ' ---> 88016542ff18\n' }),
      line({ aux: { ID } }),
    );
    expect(events.filter((e) => e.type === 'step-completed')).toEqual([
      { type: 'step-completed', stepId: 'classic-1', name: '[1/2] FROM busybox', cached: false },
      { type: 'step-completed', stepId: 'classic-2', name: '[2/2] RUN make', cached: true },
    ]);
  });

  it('fails with the errorDetail message and the failing step', () => {
    const { events, outcome } = parse(fixture('classic-fail.ndjson'));
    const message = "The command '/bin/sh -c exit 3' returned a non-zero code: 3";
    expect(outcome).toEqual({ kind: 'failed', message, step: { stepId: 'classic-3', name: '[3/3] RUN exit 3' } });
    expect(events.at(-1)).toEqual({ type: 'step-completed', stepId: 'classic-3', name: '[3/3] RUN exit 3', cached: false, error: message });
    expect(events).toContainEqual({ type: 'log', stepId: 'classic-2', text: 'before-failure' });
  });

  it('lets an error win over an image ID seen earlier', () => {
    const { outcome } = parse(line({ aux: { ID } }), line({ error: 'late failure' }));
    expect(outcome).toEqual({ kind: 'failed', message: 'late failure' });
  });

  it('never takes the image ID from "Successfully built"', () => {
    const { outcome } = parse(line({ stream: 'Step 1/1 : FROM busybox\n' }), line({ stream: 'Successfully built ab630685e7f7\n' }));
    expect(outcome).toEqual({ kind: 'failed', message: NO_IMAGE_ID, step: { stepId: 'classic-1', name: '[1/1] FROM busybox' } });
  });
});

describe('stream faults', () => {
  it('turns junk lines into warnings and still succeeds on the aux image ID', () => {
    const { events, outcome } = parse('<html>proxy error</html>\n', '42\n', '\r\n', line({ aux: { ID } }));
    expect(events).toEqual([
      { type: 'warning', text: 'ignored a build-stream line that is not a JSON object: <html>proxy error</html>' },
      { type: 'warning', text: 'ignored a build-stream line that is not a JSON object: 42' },
    ]);
    expect(outcome).toEqual({ kind: 'succeeded', imageId: ID });
  });

  it('fails a stream that ends without an image ID, naming the reason when given', () => {
    expect(parse('').outcome).toEqual({ kind: 'failed', message: NO_IMAGE_ID });
    const p = new BuildStreamParser(() => {});
    expect(p.finish('connection lost: socket hang up')).toEqual({ kind: 'failed', message: `${NO_IMAGE_ID} (connection lost: socket hang up)` });
    expect(p.finish()).toEqual({ kind: 'failed', message: `${NO_IMAGE_ID} (connection lost: socket hang up)` });
  });

  it('reports a line cut mid-way at the end as a warning, not a crash', () => {
    const { events, outcome } = parse(line({ stream: 'Step 1/1 : FROM busybox\n' }), '{"aux":{"ID":"sha256:ab');
    expect(events.at(-2)).toEqual({ type: 'warning', text: 'ignored a build-stream line that is not a JSON object: {"aux":{"ID":"sha256:ab' });
    expect(outcome.kind).toBe('failed');
  });

  it('accepts an errorDetail without error and an error without errorDetail', () => {
    expect(parse(line({ errorDetail: { message: 'only detail' } })).outcome).toEqual({ kind: 'failed', message: 'only detail' });
    expect(parse(line({ error: 'only error' })).outcome).toEqual({ kind: 'failed', message: 'only error' });
  });
});

describe('terminal escapes from the daemon', () => {
  const RED = '\x1b[31mred\x1b[0m';
  const TITLE = '\x1b]0;a title\x07';
  const LINK = '\x1b]8;;https://example.invalid\x1b\\link\x1b]8;;\x1b\\';

  it('never reach a classic log line, a step name or the error; spacing and other text stay', () => {
    const { events, outcome } = parse(
      line({ stream: 'Step 1/1 : RUN \x1b[1mmake\x1b[0m\n' }),
      line({ stream: `${RED}\n  two  spaces ${TITLE}${LINK}\n\x1b[2K\x1b[1G\x1b(Bdone \x1b[\n` }),
      line({ errorDetail: { message: `${RED} failed` }, error: `${RED} failed` }),
    );
    expect(events).toEqual([
      { type: 'step-started', stepId: 'classic-1', name: '[1/1] RUN make' },
      { type: 'log', stepId: 'classic-1', text: 'red' },
      { type: 'log', stepId: 'classic-1', text: '  two  spaces link' },
      { type: 'log', stepId: 'classic-1', text: 'done ' },
      { type: 'step-completed', stepId: 'classic-1', name: '[1/1] RUN make', cached: false, error: 'red failed' },
    ]);
    expect(outcome).toEqual({ kind: 'failed', message: 'red failed', step: { stepId: 'classic-1', name: '[1/1] RUN make' } });
  });

  it('never reach a status line or a warning', () => {
    const { events } = parse(line({ status: `${RED} pulling` }), line({ aux: { ID } }), `${RED}\n`);
    expect(events).toEqual([
      { type: 'log', text: 'red pulling' },
      { type: 'warning', text: 'ignored a build-stream line that is not a JSON object: red' },
    ]);
  });
});
