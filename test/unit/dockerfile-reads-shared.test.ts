/**
 * readDockerfiles analyses a Dockerfile of one stage without a `$` once for both builders
 * (issue 22): what both builders read must then be equal, as analysed apart. The cases are
 * such Dockerfiles, each with something the builders' rules touch (stages reached, ONBUILD,
 * a target, mounts, heredocs, parse errors, a frontend).
 */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { contextReads } from '../../src/dockerfile/reads.js';

const CASES: [string, string, string | null][] = [
  ['copy and add', 'FROM busybox\nCOPY a b/ /dst/\nADD https://example.com/x c /d/\nRUN echo hi\n', null],
  ['json form', 'FROM busybox\nCOPY ["a b", "c", "/dst/"]\n', null],
  ['copy --from', 'FROM busybox\nCOPY --from=other /x /y\nCOPY --from= z /z\n', null],
  [
    'bind mounts',
    'FROM busybox\nRUN --mount=type=bind,source=src,target=/s --mount=type=cache,target=/c --mount=from=x,target=/x true\nRUN --mount=target=/all true\n',
    null,
  ],
  ['heredoc', 'FROM busybox\nCOPY <<EOF /x\nhello\nEOF\nCOPY real /y\n', null],
  ['named target', 'FROM busybox AS app\nCOPY a /a\n', 'app'],
  ['missing target', 'FROM busybox AS app\nCOPY a /a\n', 'nope'],
  ['onbuild', 'FROM busybox\nONBUILD COPY x /x\nCOPY y /y\n', null],
  ['arg and env without variables', 'ARG A=1\nFROM busybox\nENV B=2\nARG C\nCOPY a /a\n', null],
  ['diff by index', 'FROM busybox\nCOPY --from=0..0 / /\nCOPY a /a\n', null],
  ['other frontend', '# syntax=example/frontend\nFROM busybox\nCOPY a /a\n', null],
  ['parse error', 'FROM busybox\nCOPY\nFROOM x\n', null],
  ['escape directive', '# escape=`\nFROM busybox\nCOPY a` b /x\n', null],
];

describe('one stage, no variables: both builders read the same', () => {
  for (const [name, text, target] of CASES) {
    it(name, () => {
      expect(text.includes('$')).toBe(false);
      const parsed = parseDockerfile(text);
      expect(contextReads(parsed, {}, target, { builder: 'classic' })).toEqual(contextReads(parsed, {}, target, { builder: 'buildkit' }));
    });
  }
});
