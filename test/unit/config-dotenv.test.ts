/** The env file syntax (config/dotenv.ts): every form of a line, and every bad line at its line and column. */
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/config/dotenv.js';
import { position } from '../../src/report/diagnostic-printer.js';

/** The entries as `KEY: value` (a `~` after the key: not interpolated), and the problems as `line:col code`. */
function parse(text: string): { values: Record<string, string>; problems: string[] } {
  const parsed = parseDotenv(text);
  const values = Object.fromEntries(parsed.entries.map((e) => [e.interpolate ? e.key : `${e.key}~`, e.value]));
  const problems = parsed.problems.map((p) => {
    const { line, column } = position({ path: '', text }, p.offset);
    return `${line}:${column} ${p.code}${p.key !== undefined ? ` ${p.key}` : ''}`;
  });
  return { values, problems };
}

const values = (text: string): Record<string, string> => {
  const r = parse(text);
  expect(r.problems).toEqual([]);
  return r.values;
};

describe('parseDotenv: lines', () => {
  it('reads KEY=VALUE lines, with `export `, indentation, blank lines and comment lines', () => {
    const text = ['# a comment', '', 'A=1', '  B=two', 'export C=3', 'export\tD=4', '   # indented comment', 'E = spaced ', 'lower_case_9=x', ''].join('\n');
    expect(values(text)).toEqual({ A: '1', B: 'two', C: '3', D: '4', E: 'spaced', lower_case_9: 'x' });
  });

  it('takes `export` as a name when no blank follows it', () => {
    expect(values('export=1\nexportX=2\n')).toEqual({ export: '1', exportX: '2' });
  });

  it('a later line wins over an earlier one', () => {
    expect(values('A=1\nA=2\n')).toEqual({ A: '2' });
  });

  it('reads CRLF line endings, a file without a final newline, and an empty file', () => {
    expect(values('A=1\r\nB="two"\r\nC=3')).toEqual({ A: '1', B: 'two', C: '3' });
    expect(values('')).toEqual({});
    expect(values('\n\n# only comments\n')).toEqual({});
  });
});

describe('parseDotenv: unquoted values', () => {
  it('are trimmed, and a # after a blank starts a comment', () => {
    expect(values('A=  spaced value  \nB=v # comment\nC=v\t# tab comment\nD=a#b\nE=#x\nF= # only a comment\nG=\n')).toEqual({
      A: 'spaced value',
      B: 'v',
      C: 'v',
      D: 'a#b',
      E: '#x',
      F: '',
      G: '',
    });
  });

  it('keep quotes, backslashes and = inside, and are templates', () => {
    const parsed = parseDotenv('A=it\'s "x" a\\nb=c ${B}\n');
    expect(parsed.entries).toEqual([{ key: 'A', value: 'it\'s "x" a\\nb=c ${B}', interpolate: true, start: 2, end: 22 }]);
  });
});

describe('parseDotenv: quoted values', () => {
  it('single quotes: literal, no escapes, no interpolation, over several lines', () => {
    expect(values("A='a \\n $B \"q\" # not a comment'\nB='line 1\nline 2'\nC='' # empty\n")).toEqual({
      'A~': 'a \\n $B "q" # not a comment',
      'B~': 'line 1\nline 2',
      'C~': '',
    });
  });

  it('double quotes: escapes, a literal $ as $$, over several lines, then a comment', () => {
    const text = 'A="a\\nb\\tc\\rd \\"q\\" \\\\ \\$X \\a\\b\\f\\v \\x"  # comment\nB="line 1\nline 2"\nC="#x"\nD=  "padded"\n';
    expect(values(text)).toEqual({
      A: 'a\nb\tc\rd "q" \\ $$X \x07\b\f\v \\x',
      B: 'line 1\nline 2',
      C: '#x',
      D: 'padded',
    });
  });

  it('a value over several lines written with CRLF reads as LF', () => {
    expect(values('A="1\r\n2"\r\nB=\'3\r\n4\'\r\n')).toEqual({ A: '1\n2', 'B~': '3\n4' });
  });

  it('the value starts inside its quotes (where an interpolation error is looked for)', () => {
    const [entry] = parseDotenv('K = "ab${X}"\n').entries;
    expect(entry).toMatchObject({ start: 5, end: 11 });
  });
});

describe('parseDotenv: bad lines, each at its line and column, all of them', () => {
  it('a line without =', () => {
    expect(parse('A=1\nJUST_A_NAME\n  export B\n').problems).toEqual(['2:1 env-no-equals', '3:10 env-no-equals']);
  });

  it('an invalid name, at its first wrong character; a missing name', () => {
    expect(parse('1A=x\nMY-KEY=x\nMY KEY=x\n=x\nÜBER=x\nOK=1\n')).toEqual({
      values: { OK: '1' },
      problems: ['1:1 env-invalid-name', '2:3 env-invalid-name', '3:3 env-invalid-name', '4:1 env-invalid-name', '5:1 env-invalid-name'],
    });
  });

  it('an unterminated quote, at the quote; parsing goes on at the next line', () => {
    expect(parse('A="open\nB=2\nC=\'open too\nD=4\n')).toEqual({
      values: { B: '2', D: '4' },
      problems: ['1:3 env-unterminated-quote A', '3:3 env-unterminated-quote C'],
    });
  });

  it('text after a closing quote', () => {
    expect(parse('A="x" y\nB=\'x\'y\nC="x"   \nD="x"#c\n')).toEqual({
      values: { C: 'x', D: 'x' },
      problems: ['1:7 env-after-quote A', '2:6 env-after-quote B'],
    });
  });

  it('a bad name before a quoted value over several lines: the value is skipped whole, one problem', () => {
    expect(parse('BAD-NAME="line 1\nline 2"\nOK=1\n')).toEqual({ values: { OK: '1' }, problems: ['1:4 env-invalid-name'] });
  });

  it('a bad name and an unterminated quote on one line are both reported', () => {
    expect(parse('1X="open\nOK=1\n')).toEqual({ values: { OK: '1' }, problems: ['1:1 env-invalid-name', '1:4 env-unterminated-quote'] });
  });

  it('no problem message quotes the text of the file', () => {
    const secret = 's3cr3t-Value';
    const text = [secret, `1${secret}=x`, `K="${secret}`, `L='${secret}' ${secret}`].join('\n');
    const { problems } = parseDotenv(text);
    expect(problems).toHaveLength(4);
    for (const p of problems) expect(p.message).not.toContain('s3cr3t');
  });
});
