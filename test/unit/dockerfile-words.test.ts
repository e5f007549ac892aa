import { describe, expect, it } from 'vitest';
import { expandWord, extractFlags, parseCsvFields, splitWordsRaw } from '../../src/dockerfile/words.js';

const env: Record<string, string> = { A: 'alpha', EMPTY: '', TAG: '1.2' };
const lookup = (n: string): string | undefined => env[n];
const x = (w: string, escape = '\\') => expandWord(w, lookup, escape);

describe('expandWord', () => {
  it.each([
    ['$A', 'alpha'],
    ['${A}', 'alpha'],
    ['pre-${A}-post', 'pre-alpha-post'],
    ['$A$TAG', 'alpha1.2'],
    ['$UNSET', ''],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${A:-def}', 'alpha'],
    ['${A:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${UNSET+set}', ''],
    ['${UNSET:-${A}-x}', 'alpha-x'],
    ['${UNSET:-$TAG}', '1.2'],
    ['"$A b"', 'alpha b'],
    ["'$A'", '$A'],
    ['\\$A', '$A'],
    ['"\\$A"', '$A'],
    ['"a\\b"', 'a\\b'],
    ['$', '$'],
    ['a$-b', 'a$-b'],
    ['busybox:${TAG:+v$TAG}', 'busybox:v1.2'],
  ])('%s → %j', (word, want) => {
    expect(x(word)).toEqual({ value: want });
  });

  it('uses the backtick escape when told to', () => {
    expect(x('`$A', '`')).toEqual({ value: '$A' });
    expect(x('c:\\dir', '`')).toEqual({ value: 'c:\\dir' });
  });

  it.each([
    ['${A', "missing '}'"],
    ['${UNSET:?must be set}', 'UNSET: must be set'],
    ['${EMPTY?}', undefined],
    ["'open", 'matching single-quote'],
    ['"open', 'matching double-quote'],
    ['${A%%x}', 'unsupported modifier'],
    ['${}', 'invalid variable name'],
  ])('%s fails (%s)', (word, message) => {
    const r = x(word);
    if (message === undefined) expect(r).toEqual({ value: '' });
    else expect('error' in r && r.error).toContain(message);
  });
});

describe('splitWordsRaw', () => {
  it('splits on unquoted whitespace and keeps quotes', () => {
    expect(splitWordsRaw(`a  "b c" 'd e'f g\\ h`)).toEqual(['a', '"b c"', "'d e'f", 'g\\ h']);
    expect(splitWordsRaw('  ')).toEqual([]);
  });
});

describe('extractFlags', () => {
  it('takes leading --flags only', () => {
    expect(extractFlags('--from=a --chmod=755 src --notflag dst')).toEqual({
      flags: [
        { name: 'from', value: 'a' },
        { name: 'chmod', value: '755' },
      ],
      rest: 'src --notflag dst',
    });
  });
  it('processes quotes and backslashes inside flag words, and stops at --', () => {
    expect(extractFlags(`--mount="type=bind,target=/a b" --x='1 2' -- --y`)).toEqual({
      flags: [
        { name: 'mount', value: 'type=bind,target=/a b' },
        { name: 'x', value: '1 2' },
      ],
      rest: '--y',
    });
  });
  it('returns everything when there is no flag', () => {
    expect(extractFlags('-x y')).toEqual({ flags: [], rest: '-x y' });
  });
});

describe('parseCsvFields', () => {
  it('parses mount options', () => {
    expect([...parseCsvFields('type=bind,from=x,target=/y,readonly')]).toEqual([
      ['type', 'bind'],
      ['from', 'x'],
      ['target', '/y'],
      ['readonly', 'true'],
    ]);
    expect(parseCsvFields('"source=/a,b",FROM=img').get('source')).toBe('/a,b');
    expect(parseCsvFields('"source=/a,b",FROM=img').get('from')).toBe('img');
  });
});

describe('splitWordsRaw without quotes or escapes (the shortcut) splits as the character loop does', () => {
  it.each([
    ['', []],
    [' ', []],
    ['busybox', ['busybox']],
    ['  busybox  AS  base ', ['busybox', 'AS', 'base']],
    ['a\tb\nc\u00a0d\u2003e', ['a', 'b', 'c', 'd', 'e']],
    ['x\u{1F600}y z', ['x\u{1F600}y', 'z']],
    ['a=1 b=2', ['a=1', 'b=2']],
    ['\u3000lead', ['lead']],
  ])('%j', (text, words) => {
    expect(splitWordsRaw(text)).toEqual(words);
    // The loop (forced by a quote-free escape character that is not in the text) agrees.
    expect(splitWordsRaw(`${text} \\`).slice(0, words.length)).toEqual(words);
  });
});
