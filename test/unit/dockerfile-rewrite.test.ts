import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { rewriteReferences, type ReferenceEdit } from '../../src/dockerfile/rewrite.js';

const rewrite = (text: string, edits: ReferenceEdit[]) => rewriteReferences(text, parseDockerfile(text), edits);
const edit = (line: number, kind: ReferenceEdit['kind'], written: string, replacement = 'ID'): ReferenceEdit => ({ line, kind, written, replacement });

describe('rewriteReferences', () => {
  it('replaces the base of a FROM after its flags, and keeps AS and every other byte', () => {
    const text = 'ARG B=base\nFROM   --platform=$BUILDPLATFORM   base  AS  build\nRUN echo base\n';
    expect(rewrite(text, [edit(2, 'from', 'base')])).toEqual({
      ok: true,
      value: 'ARG B=base\nFROM   --platform=$BUILDPLATFORM   ID  AS  build\nRUN echo base\n',
    });
  });

  it('replaces a FROM written with a variable as a whole word', () => {
    expect(rewrite('ARG B=base\nFROM ${B}\n', [edit(2, 'from', '${B}')])).toEqual({ ok: true, value: 'ARG B=base\nFROM ID\n' });
  });

  it('replaces the value of --from, and only the reference of a --mount', () => {
    const text = 'FROM x\nCOPY --chown=1 --from=base /a /b\nRUN --mount=type=bind,from=base,target=/m --mount=from=base2 cat /m/from=base\n';
    const r = rewrite(text, [edit(2, 'copy-from', 'base'), edit(3, 'mount-from', 'base')]);
    expect(r).toEqual({
      ok: true,
      value: 'FROM x\nCOPY --chown=1 --from=ID /a /b\nRUN --mount=type=bind,from=ID,target=/m --mount=from=base2 cat /m/from=base\n',
    });
  });

  it('finds a reference on a continuation line, and keeps CRLF line ends', () => {
    const text = 'FROM x\r\nCOPY --chown=1 \\\r\n  --from=base /a /b\r\n';
    expect(rewrite(text, [edit(2, 'copy-from', 'base')])).toEqual({ ok: true, value: 'FROM x\r\nCOPY --chown=1 \\\r\n  --from=ID /a /b\r\n' });
  });

  it('applies several edits of one file with every line kept', () => {
    const text = 'FROM a\nCOPY --from=b /x /x\nFROM b AS c\n';
    const r = rewrite(text, [edit(1, 'from', 'a', 'sha256:1'), edit(2, 'copy-from', 'b', 'sha256:22'), edit(3, 'from', 'b', 'p:3')]);
    expect(r).toEqual({ ok: true, value: 'FROM sha256:1\nCOPY --from=sha256:22 /x /x\nFROM p:3 AS c\n' });
  });

  it('is a problem at its line when the reference is not written as expected (split by an escape)', () => {
    const text = 'FROM x\nCOPY --from=ba\\\nse /a /b\n';
    const r = rewrite(text, [edit(2, 'copy-from', 'base')]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.map((p) => p.line)).toEqual([2]);
  });

  it('honours the escape directive', () => {
    const text = '# escape=`\nFROM x\nCOPY `\n  --from=base /a /b\n';
    expect(rewrite(text, [edit(3, 'copy-from', 'base')])).toEqual({ ok: true, value: '# escape=`\nFROM x\nCOPY `\n  --from=ID /a /b\n' });
  });
});
