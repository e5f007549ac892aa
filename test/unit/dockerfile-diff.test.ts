/** DiffOp in Dockerfiles, the pure parts: finding the uses (dockerfile/diff-refs.ts) and the text sent (dockerfile/diff-rewrite.ts). */
import { describe, expect, it } from 'vitest';
import { classicDiffProblems, dockerfileDiffs, splitDiff, stagesReached, classicLastStage } from '../../src/dockerfile/diff-refs.js';
import { diffMountValue, rewriteDiffs, userLine } from '../../src/dockerfile/diff-rewrite.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { referencedImages, resolveStages } from '../../src/dockerfile/stages.js';

const diffs = (text: string, args: Record<string, string> = {}) => dockerfileDiffs(parseDockerfile(text), args);
const sent = (text: string) => rewriteDiffs(text, parseDockerfile(text), dockerfileDiffs(parseDockerfile(text)).uses);

describe('splitDiff', () => {
  it('two sides, no more, none empty', () => {
    expect(splitDiff('a..b')).toEqual({ base: 'a', head: 'b' });
    expect(splitDiff('busybox:1..shop/x:dev')).toEqual({ base: 'busybox:1', head: 'shop/x:dev' });
    expect(splitDiff('a..b..c')).toEqual({ error: 'has 3 sides; a diff has two: base..head' });
    expect(splitDiff('..b')).toEqual({ error: 'has an empty base (before ..)' });
    expect(splitDiff('a..')).toEqual({ error: 'has an empty head (after ..)' });
  });
});

describe('dockerfileDiffs', () => {
  const text = [
    'FROM busybox AS a', // 1
    'RUN echo a',
    'FROM a AS b',
    'RUN echo b > /b',
    'FROM busybox', // 5
    'ARG SIDE=b',
    'COPY --from=a..${SIDE} /b /c',
    'RUN --mount=from=a..b,source=/b,target=/m cat /m',
    'COPY --from=base..shop/tools:dev / /t',
    'FROM a..b AS x', // 10
    '',
  ].join('\n');

  it('finds every form, sides as stages or references, one slot per pair, after ARG substitution', () => {
    const { uses, problems } = diffs(text);
    expect(problems).toEqual([]);
    expect(uses.map((u) => [u.kind, u.line, u.value, u.slot, u.base, u.head])).toEqual([
      ['copy-from', 7, 'a..b', 0, { kind: 'stage', index: 0, text: 'a' }, { kind: 'stage', index: 1, text: 'b' }],
      ['mount-from', 8, 'a..b', 0, { kind: 'stage', index: 0, text: 'a' }, { kind: 'stage', index: 1, text: 'b' }],
      ['copy-from', 9, 'base..shop/tools:dev', 1, { kind: 'ref', ref: 'base' }, { kind: 'ref', ref: 'shop/tools:dev' }],
      ['from', 10, 'a..b', 0, { kind: 'stage', index: 0, text: 'a' }, { kind: 'stage', index: 1, text: 'b' }],
    ]);
    expect(uses[1]!.flag).toBe(0);
  });

  it('a diff is no image the engine is asked for', () => {
    expect(referencedImages(parseDockerfile(text)).map((r) => r.ref)).toEqual(['busybox', 'busybox']);
  });

  it('a target reaches the side stages (BuildKit), the classic builder runs up to the last side', () => {
    const { stages } = resolveStages(parseDockerfile('FROM busybox AS x\nCOPY --from=a..b / /\nFROM busybox AS a\nFROM busybox AS b\n'));
    expect([...stagesReached(stages, 0)].sort()).toEqual([0, 1, 2]);
    expect(classicLastStage(stages, 0)).toBe(2);
  });

  it('bad forms: three sides, an empty side, ADD, a mount that is not a bind mount', () => {
    const { uses, problems } = diffs(
      [
        'FROM busybox',
        'COPY --from=a..b..c /x /y',
        'COPY --from=..b /x /y',
        'ADD --from=a..b /x /y',
        'RUN --mount=type=cache,from=a..b,target=/c true',
        '',
      ].join('\n'),
    );
    expect(uses).toEqual([]);
    expect(problems.map((p) => [p.line, p.word, p.message])).toEqual([
      [2, 'a..b..c', 'COPY --from=a..b..c has 3 sides; a diff has two: base..head'],
      [3, '..b', 'COPY --from=..b has an empty base (before ..)'],
      [4, 'a..b', 'ADD --from=a..b: a diff is read by COPY --from, not ADD'],
      [5, 'a..b', 'RUN --mount=type=cache,from=a..b: a diff can only be a bind mount (type=bind)'],
    ]);
  });

  it('a side stage that uses a diff itself, or needs the stage that uses it', () => {
    const { problems } = diffs(
      [
        'FROM busybox AS a',
        'FROM busybox AS b',
        'COPY --from=busybox..a / /',
        'FROM busybox AS c',
        'COPY --from=a..b / /',
        'FROM busybox AS x',
        'COPY --from=x..a / /',
        '',
      ].join('\n'),
    );
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [5, "COPY --from=a..b: stage 'b' uses a diff itself (COPY --from=busybox..a on line 3); a diff side is built without one"],
      [7, "COPY --from=x..a: stage 'x' needs the stage that uses the diff (circular dependency)"],
    ]);
  });

  it('the classic builder: no diff bind mount, no side stage after a stage using a diff', () => {
    const df = parseDockerfile(
      ['FROM busybox AS a', 'FROM busybox AS x', 'COPY --from=a..b / /', 'RUN --mount=from=a..b,target=/m true', 'FROM busybox AS b', ''].join('\n'),
    );
    expect(classicDiffProblems(df).map((p) => [p.line, p.code, p.message])).toEqual([
      [
        3,
        'dockerfile-diff-classic',
        "COPY --from=a..b: the classic builder runs every stage up to 'b', and stage 'x' uses a diff (line 3); a diff side is built without one",
      ],
      [4, 'dockerfile-diff-classic', 'RUN --mount=from=a..b: the classic builder has no RUN --mount; use BuildKit (--builder buildkit) or COPY --from=a..b'],
    ]);
    expect(classicDiffProblems(parseDockerfile('FROM busybox AS a\nFROM busybox AS b\nFROM busybox\nCOPY --from=a..b / /\n'))).toEqual([]);
  });
});

describe('rewriteDiffs', () => {
  it('no diff: nothing to send instead', () => {
    expect(sent('FROM busybox\nCOPY --from=busybox /bin/sh /sh\n')).toBeUndefined();
  });

  it('COPY --from: the sources read from the diff folder, the other flags kept, every line where it was', () => {
    const r = sent('FROM busybox\nCOPY --chown=1:2 --from=a..b \\\n  /usr/bin/x "/y z" /dst/\nRUN true\n');
    expect(r).toEqual({ text: 'FROM busybox\nCOPY --chown=1:2 .mbuild-diff/0/usr/bin/x ".mbuild-diff/0/y z" /dst/\n\nRUN true\n', inserted: [] });
  });

  it('COPY --from in JSON form', () => {
    expect(sent('FROM busybox\nCOPY --from=a..b ["/x", "y", "/dst"]\n')?.text).toBe('FROM busybox\nCOPY [".mbuild-diff/0/x",".mbuild-diff/0/y","/dst"]\n');
  });

  it('RUN --mount=from: a bind mount of the diff folder from the context; other mounts kept', () => {
    const r = sent('FROM busybox\nRUN --mount=type=cache,target=/c --mount=from=a..b,source=/etc,target=/m,readonly cat /m/x\n');
    expect(r?.text).toBe('FROM busybox\nRUN --mount=type=cache,target=/c --mount=type=bind,target=/m,readonly=true,source=.mbuild-diff/0/etc cat /m/x\n');
    expect(diffMountValue('from=a..b,target=/m', 3)).toBe('type=bind,target=/m,source=.mbuild-diff/3');
  });

  it('RUN with a heredoc: the first line rewritten, the body kept', () => {
    expect(sent('FROM busybox\nRUN --mount=from=a..b,target=/m <<EOF\ncat /m/x\nEOF\n')?.text).toBe(
      'FROM busybox\nRUN --mount=type=bind,target=/m,source=.mbuild-diff/0 <<EOF\ncat /m/x\nEOF\n',
    );
  });

  it('FROM a..b: scratch plus a COPY of the whole diff, one line inserted (mapped back), or held by a continuation line', () => {
    const r = sent('FROM busybox AS a\nFROM busybox AS b\nFROM --platform=linux/amd64 a..b AS x\nRUN true\n')!;
    expect(r.text).toBe('FROM busybox AS a\nFROM busybox AS b\nFROM --platform=linux/amd64 scratch AS x\nCOPY .mbuild-diff/0/ /\nRUN true\n');
    expect(r.inserted).toEqual([4]);
    expect([1, 3, 4, 5].map((l) => userLine(r, l))).toEqual([1, 3, 3, 4]);
    const two = sent('FROM busybox AS a\nFROM busybox AS b\nFROM a..b \\\n  AS x\nRUN true\n')!;
    expect(two).toEqual({ text: 'FROM busybox AS a\nFROM busybox AS b\nFROM scratch AS x\nCOPY .mbuild-diff/0/ /\nRUN true\n', inserted: [] });
  });

  it('CRLF lines stay CRLF; two pairs, two folders', () => {
    const r = sent('FROM busybox\r\nCOPY --from=a..b /x /x\r\nCOPY --from=b..a /x /y\r\n')!;
    expect(r.text).toBe('FROM busybox\r\nCOPY .mbuild-diff/0/x /x\r\nCOPY .mbuild-diff/1/x /y\r\n');
  });
});
