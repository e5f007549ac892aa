import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { classicStepLabel, findStep, instructionAtLine } from '../../src/dockerfile/step.js';

// The classic labels below are what Docker 20.10's classic builder printed for this file.
const df = parseDockerfile(
  [
    'ARG BASE=busybox', // 1
    'ARG X', // 2
    'FROM ${BASE} AS one', // 3
    'RUN echo \\', // 4
    '  hi', // 5
    'FROM one', // 6
    'ENV A=1', // 7
    'COPY --from=one /bin/sh /x', // 8
    'RUN false', // 9
  ].join('\n'),
);

const line = (step: string): number | undefined => findStep(df, step)?.startLine;

describe('findStep: classic builder labels', () => {
  it.each([
    ['Step 1/8 : ARG BASE=busybox', 1],
    ['Step 3/8 : FROM ${BASE} AS one', 3],
    ['Step 4/8 : RUN echo   hi', 4],
    ['Step 7/8 : COPY --from=one /bin/sh /x', 8],
    ['Step 8/8 : RUN false', 9],
  ])('%s → line %i', (step, want) => {
    expect(line(step)).toBe(want);
  });

  it('falls back to the text when the numbering does not fit', () => {
    expect(line('Step 2/99 : RUN false')).toBe(9);
    expect(line('Step 9/9 : RUN nothing-like-this')).toBeUndefined();
  });
});

describe('classicStepLabel', () => {
  it("gives a classic step as mbuild names it the builder's own words, found by number over the whole file", () => {
    expect(classicStepLabel('[8/8] RUN false')).toBe('Step 8/8 : RUN false');
    expect(line(classicStepLabel('[7/8] COPY --from=one /bin/sh /x'))).toBe(8);
    // As a BuildKit label, [5/8] RUN would be read as a step of one stage.
    expect(line(classicStepLabel('[4/8] RUN echo   hi'))).toBe(4);
    expect(classicStepLabel('[internal] load')).toBe('[internal] load');
  });
});

describe('findStep: BuildKit labels', () => {
  const multi = parseDockerfile(
    [
      'FROM busybox AS builder', // 1
      'WORKDIR /src', // 2
      'ENV A=1', // 3
      'RUN make', // 4
      'FROM scratch', // 5
      'COPY --from=builder /src/app /app', // 6
      'FROM builder AS test', // 7
      'RUN make test', // 8
    ].join('\n'),
  );
  const at = (step: string): number | undefined => findStep(multi, step)?.startLine;

  it('numbers per stage: FROM, then RUN/COPY/ADD/WORKDIR', () => {
    expect(at('[builder 1/3] FROM docker.io/library/busybox:latest')).toBe(1);
    expect(at('[builder 2/3] WORKDIR /src')).toBe(2);
    expect(at('[builder 3/3] RUN make')).toBe(4);
  });
  it('names unnamed stages stage-N and ignores a platform prefix', () => {
    expect(at('[stage-1 1/1] COPY --from=builder /src/app /app')).toBe(6);
    expect(at('[linux/amd64 stage-1 1/1] COPY --from=builder /src/app /app')).toBe(6);
  });
  it('accepts either numbering for a stage based on another stage', () => {
    expect(at('[test 2/2] RUN make test')).toBe(8);
    expect(at('[test 1/1] RUN make test')).toBe(8);
  });
  it('handles padded numbers and single-stage files without a stage name', () => {
    const lines = ['FROM busybox', ...Array.from({ length: 10 }, (_, i) => `RUN echo ${i}`)];
    const single = parseDockerfile(lines.join('\n'));
    expect(findStep(single, '[ 3/11] RUN echo 1')?.startLine).toBe(3);
    expect(findStep(single, '[11/11] RUN echo 9')?.startLine).toBe(11);
  });
  it('matches by text when the label carries expanded variables or unknown numbering', () => {
    expect(at('[builder 9/9] RUN make')).toBe(4);
    expect(at('[internal] load build definition from Dockerfile')).toBeUndefined();
    expect(at('not a step at all')).toBeUndefined();
  });
});

describe('instructionAtLine', () => {
  it('covers continuation lines', () => {
    expect(instructionAtLine(df, 5)?.startLine).toBe(4);
    expect(instructionAtLine(df, 42)).toBeNull();
  });
});
