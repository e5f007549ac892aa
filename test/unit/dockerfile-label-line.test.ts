import { describe, expect, it } from 'vitest';
import { userStepName, withLabelInstruction } from '../../src/dockerfile/label-line.js';

const L = { 'io.mbuild.project': 'shop', 'io.mbuild.key': 'v1-abc' };
const LINE = 'LABEL "io.mbuild.project"="shop" "io.mbuild.key"="v1-abc"';

describe('withLabelInstruction (classic builder: one LABEL step for every label)', () => {
  it('appends one LABEL line to the last stage, adding the missing final newline', () => {
    expect(withLabelInstruction('FROM busybox\nRUN true\n', undefined, L)).toBe(`FROM busybox\nRUN true\n${LINE}\n`);
    expect(withLabelInstruction('FROM busybox\nRUN true', undefined, L)).toBe(`FROM busybox\nRUN true\n${LINE}\n`);
  });

  it('closes the target stage, after its continuation lines, leaving earlier line numbers unchanged', () => {
    const text = 'FROM busybox AS build\nRUN echo a \\\n  b\n# note\n\nFROM busybox AS final\nCOPY --from=build / /x\n';
    expect(withLabelInstruction(text, 'BUILD', L)).toBe(
      `FROM busybox AS build\nRUN echo a \\\n  b\n${LINE}\n# note\n\nFROM busybox AS final\nCOPY --from=build / /x\n`,
    );
    expect(withLabelInstruction(text, 'final', L)).toBe(`${text}${LINE}\n`);
  });

  it('keeps CRLF line ends', () => {
    expect(withLabelInstruction('FROM busybox AS a\r\nRUN true\r\nFROM busybox\r\n', 'a', L)).toBe(
      `FROM busybox AS a\r\nRUN true\r\n${LINE}\r\nFROM busybox\r\n`,
    );
  });

  it.each([
    ['a quote', { k: 'say "hi"' }],
    ['a dollar (it would be expanded)', { k: '$HOME' }],
    ['a backslash', { k: 'a\\b' }],
    ['a backtick', { k: 'a`b' }],
    ['a line break', { k: 'a\nb' }],
    ['an empty key', { '': 'v' }],
  ])('falls back to the labels parameter for a label with %s', (_what, labels) => {
    expect(withLabelInstruction('FROM busybox\n', undefined, labels)).toBeUndefined();
  });

  it('falls back when there is nothing to add, no stage, no such target or undecodable bytes', () => {
    expect(withLabelInstruction('FROM busybox\n', undefined, {})).toBeUndefined();
    expect(withLabelInstruction('# only a comment\n', undefined, L)).toBeUndefined();
    expect(withLabelInstruction('FROM busybox AS a\n', 'b', L)).toBeUndefined();
    expect(withLabelInstruction('FROM busybox\nRUN echo \uFFFD\n', undefined, L)).toBeUndefined();
  });
});

describe("userStepName (classic steps counted without mbuild's label steps)", () => {
  it("counts over the Dockerfile's own steps and hides the label steps, always the last ones", () => {
    const one = ['[1/4] FROM busybox', '[2/4] RUN a', '[3/4] RUN b', '[4/4] LABEL "io.mbuild.project"="shop"'].map((n) => userStepName(n, 1));
    expect(one).toEqual(['[1/3] FROM busybox', '[2/3] RUN a', '[3/3] RUN b', undefined]);
    // Label parameters: one step per label, after the Dockerfile's.
    expect(['[2/5] RUN a', '[3/5] LABEL a=b', '[5/5] LABEL c=d'].map((n) => userStepName(n, 3))).toEqual(['[2/2] RUN a', undefined, undefined]);
  });

  it("keeps names it does not count: BuildKit's (no label steps), and names without a counter", () => {
    expect(userStepName('[stage-1 2/3] RUN a', 0)).toBe('[stage-1 2/3] RUN a');
    expect(userStepName('[2/3] RUN a', 0)).toBe('[2/3] RUN a');
    expect(userStepName('[internal] load metadata', 1)).toBe('[internal] load metadata');
    expect(userStepName('[1/2] RUN echo "a\nb"', 1)).toBe('[1/1] RUN echo "a\nb"');
  });
});
