/**
 * The terminal view's text, pure: waiting rows (dim, what they wait for), building rows (step
 * counter, elapsed time), FAILED in red only with colour, the summary's outputs, and graphs
 * with one edge per pair of images.
 */
import { describe, expect, it } from 'vitest';
import type { Failure, ImageResult } from '../../src/core/events.js';
import { graphDot, graphEdges, graphMermaid } from '../../src/report/plan-format.js';
import {
  buildingTitle,
  colorFor,
  doneTitle,
  elapsed,
  failedText,
  outputsText,
  queuedTitle,
  stepCounter,
  summaryText,
  waitingTitle,
} from '../../src/report/rows.js';
import type { BuildPlan, Edge, PlannedImage } from '../../src/plan/types.js';

const ESC = '\x1b[';
const buildFailed: Failure = { reason: 'build-failed', message: 'exit code 3', step: '[2/2] RUN exit 3', logTail: [] };

describe('rows of the terminal view', () => {
  it('names the images a waiting row waits for, dim only with colour', () => {
    expect(waitingTitle('api', ['base', 'lib'], false)).toBe('api waiting for base, lib');
    expect(waitingTitle('api', [], false)).toBe('api waiting for its inputs');
    expect(queuedTitle('api', false)).toBe('api waiting for a build slot');
    expect(waitingTitle('api', ['base'], true)).toBe(`api ${ESC}2mwaiting for base${ESC}0m`);
    expect(queuedTitle('api', true)).toBe(`api ${ESC}2mwaiting for a build slot${ESC}0m`);
  });

  it('reads the step counter of both builders, a named stage included', () => {
    expect(stepCounter('[3/7] RUN make')).toBe('[3/7]');
    expect(stepCounter('[build 2/4] COPY . .')).toBe('[2/4]');
    expect(stepCounter('[stage-1 10/12] RUN x')).toBe('[10/12]');
    expect(stepCounter('[internal] load build definition')).toBeUndefined();
    expect(stepCounter('RUN make')).toBeUndefined();
  });

  it('shows a building row with its counter and elapsed time', () => {
    expect(buildingTitle('api', { why: 'first build', elapsedMs: 0 })).toBe('api building 0s (first build)');
    expect(buildingTitle('api', { why: 'Dockerfile changed', elapsedMs: 12_300, counter: '[3/7]' })).toBe('api building [3/7] 12s (Dockerfile changed)');
    expect(buildingTitle('api', { why: '', elapsedMs: 1500, counter: '[1/2]' })).toBe('api building [1/2] 1s');
    expect(elapsed(59_999)).toBe('59s');
    expect(elapsed(65_000)).toBe('1m05s');
    expect(elapsed(3_600_000)).toBe('60m00s');
  });

  it('writes FAILED in red with colour, plainly without, and a skip as a skip', () => {
    expect(failedText(buildFailed, false)).toBe('FAILED at [2/2] RUN exit 3: exit code 3');
    expect(failedText(buildFailed, true)).toBe(`${ESC}31mFAILED${ESC}0m at [2/2] RUN exit 3: exit code 3`);
    expect(failedText({ reason: 'engine-error', message: 'gone' }, false)).toBe('FAILED: engine error: gone');
    expect(failedText({ reason: 'same-as-failed', image: 'a' }, false)).toBe('FAILED: same key as a, whose build failed');
    expect(failedText({ reason: 'dependency-failed', dependency: 'base' }, true)).toBe('skipped: base failed');
    expect(failedText({ reason: 'cancelled' }, true)).toBe('cancelled');
    expect(doneTitle('bad', { kind: 'failed', failure: buildFailed, durationMs: 5 }, false)).toBe('bad FAILED at [2/2] RUN exit 3: exit code 3');
    expect(doneTitle('ok', { kind: 'built', imageId: 'sha256:0123456789abcdef', durationMs: 2500, size: 1 }, false)).toBe('ok built in 2.5s 0123456789ab');
  });

  it('colours only a terminal without NO_COLOR (set to anything) and not dumb', () => {
    expect(colorFor({}, true)).toBe(true);
    expect(colorFor({}, false)).toBe(false);
    expect(colorFor({ NO_COLOR: '' }, true)).toBe(false);
    expect(colorFor({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorFor({ TERM: 'dumb' }, true)).toBe(false);
  });
});

describe('the summary', () => {
  const results: ImageResult[] = [
    { image: 'app', outcome: { kind: 'built', imageId: 'sha256:aaaaaaaaaaaaaaaa', durationMs: 1200, size: 2048 } },
    { image: 'bad', outcome: { kind: 'failed', failure: buildFailed, durationMs: 300 } },
  ];
  const outputs = [
    { image: 'app', path: '/out/dist', to: 'dist', files: 12, bytes: 3400 },
    { image: 'docs', path: '/site/index.html', to: 'public/index.html', files: 1, bytes: 10 },
  ];

  it('lists every output written, aligned by image, and nothing when none was', () => {
    expect(outputsText(outputs)).toBe(
      ['outputs:', '  app   /out/dist -> dist (12 files, 3.3 kB)', '  docs  /site/index.html -> public/index.html (1 file, 10 B)'].join('\n'),
    );
    expect(outputsText([])).toBe('');
  });

  it('puts the outputs between the table and the totals; FAILED red only with colour', () => {
    const plain = summaryText({ results, durationMs: 1500, interrupted: false }, outputs, false);
    expect(plain).toMatch(
      /^IMAGE +RESULT[^\n]*\napp +built[^\n]*\nbad +FAILED +0\.3s[^\n]*\n\noutputs:\n {2}app {3}\/out\/dist -> dist[^\n]*\n[^\n]*\n\ndone in 1\.5s: 1 built, 1 failed\n$/,
    );
    expect(plain).not.toContain(ESC);
    const coloured = summaryText({ results, durationMs: 1500, interrupted: false }, [], true);
    expect(coloured).toContain(`bad    ${ESC}31mFAILED${ESC}0m  0.3s`);
    expect(coloured).not.toContain('outputs:');
  });
});

describe('graphs', () => {
  const edge = (image: string, kind: Edge['kind']): Edge => ({ image, kind, detail: '' });
  const node = (name: string, dependsOn: Edge[]): PlannedImage => ({ name, tags: [], dependsOn, dependents: [], wave: 0, remainingPath: 1 });
  const plan: BuildPlan = {
    project: 'p',
    requested: [],
    images: [node('base', []), node('app', [edge('base', 'copy-from'), edge('base', 'from'), edge('base', 'from'), edge('lib', 'args')]), node('lib', [])],
    waves: [],
    criticalPath: [],
  };

  it('draws one edge per pair of images with every kind once in its label', () => {
    expect(graphEdges(plan)).toEqual([
      { from: 'base', to: 'app', label: 'copy-from, from' },
      { from: 'lib', to: 'app', label: 'args' },
    ]);
    const dot = graphDot(plan);
    expect(dot.match(/"base" -> "app"/g)).toHaveLength(1);
    expect(dot).toContain('"base" -> "app" [label="copy-from, from"];');
    const mermaid = graphMermaid(plan);
    expect(mermaid.match(/n0 -->/g)).toHaveLength(1);
    expect(mermaid).toContain('n0 -->|copy-from, from| n1');
    expect(mermaid).toContain('n2 -->|args| n1');
  });
});
