import { describe, expect, it } from 'vitest';
import { parseDockerfile, type Instruction } from '../../src/dockerfile/parse.js';

const brief = (i: Instruction) => ({ keyword: i.keyword, startLine: i.startLine, endLine: i.endLine, line: i.line });

describe('parseDockerfile: lines and continuations', () => {
  it('gives 1-based line ranges and the verbatim original text', () => {
    const text = 'FROM busybox\n\nRUN echo a \\\n    && echo b\nCMD ["sh"]\n';
    const df = parseDockerfile(text);
    expect(df.errors).toEqual([]);
    expect(df.instructions.map(brief)).toEqual([
      { keyword: 'FROM', startLine: 1, endLine: 1, line: 'FROM busybox' },
      { keyword: 'RUN', startLine: 3, endLine: 4, line: 'RUN echo a     && echo b' },
      { keyword: 'CMD', startLine: 5, endLine: 5, line: 'CMD ["sh"]' },
    ]);
    expect(df.instructions[1]?.original).toBe('RUN echo a \\\n    && echo b');
  });

  it('skips comment lines and blank lines inside a continuation (blank ones with a warning)', () => {
    const text = ['FROM busybox', 'RUN apk add \\', '# a comment in the middle', '    curl \\', '', '  # indented comment', '    git', 'USER nobody'].join(
      '\n',
    );
    const df = parseDockerfile(text);
    expect(df.instructions.map(brief)).toEqual([
      { keyword: 'FROM', startLine: 1, endLine: 1, line: 'FROM busybox' },
      { keyword: 'RUN', startLine: 2, endLine: 7, line: 'RUN apk add     curl     git' },
      { keyword: 'USER', startLine: 8, endLine: 8, line: 'USER nobody' },
    ]);
    expect(df.warnings).toEqual([{ line: 2, endLine: 7, message: 'empty continuation line found in: RUN apk add     curl     git' }]);
  });

  it('treats trailing spaces after the escape as a continuation, but not an escaped escape', () => {
    const df = parseDockerfile('FROM busybox\nRUN echo a \\  \t\nb\nRUN echo c:\\\\\nRUN echo done\n');
    expect(df.instructions.map((i) => i.line)).toEqual(['FROM busybox', 'RUN echo a b', 'RUN echo c:\\\\', 'RUN echo done']);
    expect(df.instructions.map((i) => i.startLine)).toEqual([1, 2, 4, 5]);
  });

  it('accepts a line that is only the escape character', () => {
    const df = parseDockerfile('FROM busybox\nRUN a \\\n\\\n b\n');
    expect(df.instructions[1]).toMatchObject({ line: 'RUN a  b', startLine: 2, endLine: 4 });
  });

  it('warns about a continuation at the end of the file and keeps the instruction', () => {
    const df = parseDockerfile('FROM busybox\nRUN echo \\');
    expect(df.instructions[1]).toMatchObject({ keyword: 'RUN', line: 'RUN echo ', endLine: 2 });
    expect(df.warnings).toEqual([{ line: 2, endLine: 2, message: 'line continuation at the end of the file' }]);
  });

  it('handles CRLF, a BOM, indentation and lower-case keywords', () => {
    const df = parseDockerfile('\uFEFFfrom busybox\r\n   run echo hi\r\n');
    expect(df.instructions.map(brief)).toEqual([
      { keyword: 'FROM', startLine: 1, endLine: 1, line: 'from busybox' },
      { keyword: 'RUN', startLine: 2, endLine: 2, line: 'run echo hi' },
    ]);
  });

  it('reports unknown instructions and empty files with line numbers', () => {
    expect(parseDockerfile('FROM busybox\nFOO bar\n').errors).toEqual([{ line: 2, endLine: 2, message: 'unknown instruction: FOO' }]);
    expect(parseDockerfile('# only a comment\n\n').errors).toEqual([{ line: 2, message: 'file with no instructions' }]);
  });
});

describe('parseDockerfile: parser directives', () => {
  it('switches the escape character to a backtick', () => {
    const text = ['# escape=`', 'FROM mcr.microsoft.com/windows', 'RUN dir c:\\ `', '    && echo hi', 'COPY a\\b c:\\dest\\'].join('\n');
    const df = parseDockerfile(text);
    expect(df.escape).toBe('`');
    expect(df.directives).toEqual([{ name: 'escape', value: '`', line: 1 }]);
    expect(df.instructions.map(brief)).toEqual([
      { keyword: 'FROM', startLine: 2, endLine: 2, line: 'FROM mcr.microsoft.com/windows' },
      { keyword: 'RUN', startLine: 3, endLine: 4, line: 'RUN dir c:\\     && echo hi' },
      { keyword: 'COPY', startLine: 5, endLine: 5, line: 'COPY a\\b c:\\dest\\' },
    ]);
  });

  it('reads syntax and check directives, case-insensitively, with spacing', () => {
    const df = parseDockerfile('#  Syntax = docker/dockerfile:1.7  \n# check=skip=all\nFROM busybox\n');
    expect(df.directives).toEqual([
      { name: 'syntax', value: 'docker/dockerfile:1.7', line: 1 },
      { name: 'check', value: 'skip=all', line: 2 },
    ]);
  });

  it('stops looking for directives after the first other line', () => {
    for (const text of [
      '# hello\n# escape=`\nFROM busybox\n',
      '\n# escape=`\nFROM busybox\n',
      '# unknown=x\n# escape=`\nFROM busybox\n',
      'FROM busybox\n# escape=`\n',
    ]) {
      const df = parseDockerfile(text);
      expect(df.escape).toBe('\\');
    }
  });

  it('rejects an invalid escape and a repeated directive', () => {
    expect(parseDockerfile('# escape=x\nFROM busybox\n').errors).toEqual([{ line: 1, message: "invalid escape token 'x' does not match ` or \\" }]);
    expect(parseDockerfile('# escape=`\n# escape=\\\nFROM busybox\n').errors).toEqual([{ line: 2, message: 'only one escape parser directive can be used' }]);
  });
});

describe('parseDockerfile: forms, flags and heredocs', () => {
  it('distinguishes JSON and shell forms', () => {
    const df = parseDockerfile('FROM busybox\nCMD ["echo", "a b"]\nENTRYPOINT [not json]\nRUN [ -f x ] && echo\n');
    expect(df.instructions.map((i) => i.json)).toEqual([null, ['echo', 'a b'], null, null]);
    expect(df.instructions[2]?.args).toBe('[not json]');
  });

  it('extracts leading flags with quotes and keeps the rest', () => {
    const df = parseDockerfile(
      'FROM --platform=$BUILDPLATFORM busybox AS b\nCOPY --from=b --chown="1 2" --link src /dst\nRUN --mount=type=bind,from=b,target=/y -- --not-a-flag\n',
    );
    expect(df.instructions[0]).toMatchObject({ flags: [{ name: 'platform', value: '$BUILDPLATFORM' }], args: 'busybox AS b' });
    expect(df.instructions[1]).toMatchObject({
      flags: [
        { name: 'from', value: 'b' },
        { name: 'chown', value: '1 2' },
        { name: 'link', value: null },
      ],
      args: 'src /dst',
    });
    expect(df.instructions[2]).toMatchObject({ flags: [{ name: 'mount', value: 'type=bind,from=b,target=/y' }], args: '--not-a-flag' });
  });

  it('keeps heredoc bodies opaque and continues parsing after the terminator', () => {
    const text = [
      'FROM busybox',
      'RUN <<EOF',
      'FROM not-an-instruction',
      'echo "# not a comment" \\',
      'EOF',
      'COPY <<-"CONF" /etc/app.conf',
      '\tkey=$value',
      '\tCONF',
      'RUN cat <<A <<B > /out',
      'a',
      'A',
      'b',
      'B',
      'USER nobody',
    ].join('\n');
    const df = parseDockerfile(text);
    expect(df.errors).toEqual([]);
    expect(df.instructions.map(brief)).toEqual([
      { keyword: 'FROM', startLine: 1, endLine: 1, line: 'FROM busybox' },
      { keyword: 'RUN', startLine: 2, endLine: 5, line: 'RUN <<EOF' },
      { keyword: 'COPY', startLine: 6, endLine: 8, line: 'COPY <<-"CONF" /etc/app.conf' },
      { keyword: 'RUN', startLine: 9, endLine: 13, line: 'RUN cat <<A <<B > /out' },
      { keyword: 'USER', startLine: 14, endLine: 14, line: 'USER nobody' },
    ]);
    expect(df.instructions[1]?.heredocs).toEqual([
      { name: 'EOF', chomp: false, expand: true, content: 'FROM not-an-instruction\necho "# not a comment" \\\n' },
    ]);
    expect(df.instructions[2]?.heredocs).toEqual([{ name: 'CONF', chomp: true, expand: false, content: '\tkey=$value\n' }]);
    expect(df.instructions[3]?.heredocs.map((h) => [h.name, h.content])).toEqual([
      ['A', 'a\n'],
      ['B', 'b\n'],
    ]);
  });

  it('ignores << inside quotes and on instructions that cannot hold heredocs', () => {
    const df = parseDockerfile('FROM busybox\nRUN echo "<<EOF"\nLABEL x="<<EOF"\nUSER nobody\n');
    expect(df.instructions.map((i) => i.keyword)).toEqual(['FROM', 'RUN', 'LABEL', 'USER']);
  });

  it('reports an unterminated heredoc with its line range', () => {
    const df = parseDockerfile('FROM busybox\nRUN <<EOF\necho hi\n');
    expect(df.errors).toEqual([{ line: 2, endLine: 3, message: 'unterminated heredoc EOF' }]);
  });
});
