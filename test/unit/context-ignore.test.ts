import { describe, expect, it } from 'vitest';
import { cleanPath, goTrimSpace, scanLines } from '../../src/core/gopath.js';
import { IgnoreMatcher, compilePattern, parseIgnoreFile, parsePatternList, type IgnorePattern, type MatchState } from '../../src/dockerignore/ignore.js';

function matcher(patterns: string[]): IgnoreMatcher {
  const r = parsePatternList(patterns);
  if ('error' in r) throw new Error(`unexpected error: line ${r.error.line}: ${r.error.message}`);
  return new IgnoreMatcher(r.patterns);
}

/** moby's MatchesUsingParentResults test helper: walk the parents (raw split, no cleaning). */
function chain(m: IgnoreMatcher, text: string): boolean {
  const slash = text.lastIndexOf('/');
  const parent = slash === -1 ? '.' : text.slice(0, slash) || '/';
  let state: MatchState | undefined;
  if (parent !== '.') {
    const dirs = parent.split('/');
    for (let i = 0; i < dirs.length; i++) state = m.evaluate(dirs.slice(0, i + 1).join('/'), state);
  }
  return m.evaluate(text, state).excluded;
}

// moby/patternmatcher TestMatches (single patterns), run like MatchesOrParentMatches (no
// parent info), like MatchesUsingParentResults (parent chain) and through matches().
const single: [string, string, boolean][] = [
  ['**', 'file', true],
  ['**', 'file/', true],
  ['**/', 'file', true],
  ['**/', 'file/', true],
  ['**', '/', true],
  ['**/', '/', true],
  ['**', 'dir/file', true],
  ['**/', 'dir/file', true],
  ['**', 'dir/file/', true],
  ['**/', 'dir/file/', true],
  ['**/**', 'dir/file', true],
  ['**/**', 'dir/file/', true],
  ['dir/**', 'dir/file', true],
  ['dir/**', 'dir/file/', true],
  ['dir/**', 'dir/dir2/file', true],
  ['dir/**', 'dir/dir2/file/', true],
  ['**/dir', 'dir', true],
  ['**/dir', 'dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true],
  ['**/dir2/*', 'dir/dir2/file/', true],
  ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file/', true],
  ['**file', 'file', true],
  ['**file', 'dir/file', true],
  ['**/file', 'dir/file', true],
  ['**file', 'dir/dir/file', true],
  ['**/file', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file.txt', true],
  ['**/file*txt', 'dir/dir/file.txt', true],
  ['**/file*.txt', 'dir/dir/file.txt', true],
  ['**/file*.txt*', 'dir/dir/file.txt', true],
  ['**/**/*.txt', 'dir/dir/file.txt', true],
  ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true],
  ['**/**/*.txt', 'file.txt', true],
  ['a**/*.txt', 'a/file.txt', true],
  ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true],
  ['a/*.txt', 'a/dir/file.txt', false],
  ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true],
  ['a[b-d]e', 'ae', false],
  ['a[b-d]e', 'ace', true],
  ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true],
  ['.*', '.foo', true],
  ['.*', 'foo', false],
  ['abc.def', 'abcdef', false],
  ['abc.def', 'abc.def', true],
  ['abc.def', 'abcZdef', false],
  ['abc?def', 'abcZdef', true],
  ['abc?def', 'abcdef', false],
  ['a\\\\', 'a\\', true],
  ['**/foo/bar', 'foo/bar', true],
  ['**/foo/bar', 'dir/foo/bar', true],
  ['**/foo/bar', 'dir/dir2/foo/bar', true],
  ['abc/**', 'abc', false],
  ['abc/**', 'abc/def', true],
  ['abc/**', 'abc/def/ghi', true],
  ['**/.foo', '.foo', true],
  ['**/.foo', 'bar.foo', false],
  ['a(b)c/def', 'a(b)c/def', true],
  ['a(b)c/def', 'a(b)c/xyz', false],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['a\\*b', 'a*b', true],
];

const multi: [string[], string, boolean][] = [
  [['**', '!util/docker/web'], 'util/docker/web/foo', false],
  [['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo', true],
  [['**', '!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  [['**', '!dist/*.whl'], 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', false],
  // moby TestExclusionPatternMatchesPatternBefore / FolderExclusions / ...After
  [['!fileutils.go', '*.go'], 'fileutils.go', true],
  [['docs', '!docs/README.md'], 'docs/README.md', false],
  [['docs/', '!docs/README.md'], 'docs/README.md', false],
  [['docs/*', '!docs/README.md'], 'docs/README.md', false],
  [['*.go', '!fileutils.go'], 'fileutils.go', false],
  [['*'], 'fileutils.go', true],
  [['*.go'], 'fileutils.go', true],
  [[], 'any/path/there', false],
];

describe('patternmatcher TestMatches', () => {
  it.each(single)('%j vs %j → %j (no parent info)', (pattern, text, pass) => {
    expect(matcher([pattern]).evaluate(text).excluded).toBe(pass);
  });
  it.each(single)('%j vs %j → %j (parent chain)', (pattern, text, pass) => {
    expect(chain(matcher([pattern]), text)).toBe(pass);
  });
  it.each(multi)('%j vs %j → %j', (patterns, text, pass) => {
    const m = matcher(patterns);
    expect(m.evaluate(text).excluded).toBe(pass);
    expect(chain(m, text)).toBe(pass);
    expect(m.matches(text)).toBe(pass);
  });
  it('matches() never excludes the context root', () => {
    expect(matcher(['**', '*', '.']).matches('.')).toBe(false);
    expect(matcher(['**']).matches('')).toBe(false);
  });
});

// moby TestMatch: Go's filepath.Match table, through the deprecated Matches(file, [pattern]).
const goMatch: [string, string, boolean | 'error'][] = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', true],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', 'error'],
  ['[-]', '-', 'error'],
  ['[x-]', 'x', 'error'],
  ['[x-]', '-', 'error'],
  ['[x-]', 'z', 'error'],
  ['[-x]', 'x', 'error'],
  ['[-x]', '-', 'error'],
  ['[-x]', 'a', 'error'],
  ['\\', 'a', 'error'],
  ['[a-b-c]', 'a', 'error'],
  ['[', 'a', 'error'],
  ['[^', 'a', 'error'],
  ['[^bc', 'a', 'error'],
  ['a[', 'a', 'error'],
  ['a[', 'ab', 'error'],
  ['*x', 'xxx', true],
  // Not in moby's table: astral code points are one character, like Go runes.
  ['a?b', 'a😀b', true],
  ['a[😀-😂]b', 'a😁b', true],
  // Reversed ranges pass filepath.Match but fail moby's regexp compile (moby issue 52203).
  ['[Local-Only]/', 'x', 'error'],
];

describe('patternmatcher TestMatch (filepath.Match semantics)', () => {
  it.each(goMatch)('%j vs %j → %j', (pattern, text, want) => {
    const r = parsePatternList([pattern]);
    if (want === 'error') {
      expect('error' in r && r.error.line).toBe(1);
      return;
    }
    if ('error' in r) throw new Error(r.error.message);
    expect(new IgnoreMatcher(r.patterns).matches(text)).toBe(want);
  });
});

describe('compilePattern (moby TestCompile match types)', () => {
  const kinds: [string, string, string?][] = [
    ['*', 'regexp'],
    ['file*', 'regexp'],
    ['**', 'suffix', ''],
    ['**/**', 'regexp'],
    ['dir/**', 'prefix', 'dir/'],
    ['**/dir', 'suffix', '/dir'],
    ['**/dir2/*', 'regexp'],
    ['**file', 'suffix', 'file'],
    ['a[b-d]e', 'regexp'],
    ['.*', 'regexp'],
    ['abc.def', 'exact', 'abc.def'],
    ['abc?def', 'regexp'],
    ['**/foo/bar', 'suffix', '/foo/bar'],
    ['a(b)c/def', 'exact', 'a(b)c/def'],
    ['a.|)$(}+{bc', 'exact', 'a.|)$(}+{bc'],
    ['a]', 'regexp'],
  ];
  it.each(kinds)('%j is %s', (pattern, kind, text) => {
    const c = compilePattern(pattern);
    if (typeof c === 'string') throw new Error(c);
    expect(c.kind).toBe(kind);
    if (text !== undefined && c.kind !== 'regexp') expect(c.text).toBe(text);
  });
  it('suffix patterns match by plain string suffix, as moby does', () => {
    expect(matcher(['**file']).matches('xfile')).toBe(true);
    expect(matcher(['**/file']).matches('xfile')).toBe(false);
    expect(matcher(['abc**']).matches('abcdef/x')).toBe(true);
  });
  it('regexp metacharacters outside classes are literal', () => {
    expect(matcher(['a^b*']).matches('a^bc')).toBe(true);
    expect(matcher(['a$b*']).matches('a$bc')).toBe(true);
    expect(matcher(['x.y*']).matches('xzy')).toBe(false);
  });
  it('an escaped letter is that letter (filepath.Match), not a regexp class', () => {
    expect(matcher(['\\d*']).matches('dog')).toBe(true);
    expect(matcher(['\\d*']).matches('1og')).toBe(false);
  });
  it('`*` inside a class is a literal member', () => {
    expect(matcher(['a[*]']).matches('a*')).toBe(true);
    expect(matcher(['a[*]']).matches('ab')).toBe(false);
  });
});

describe('parseIgnoreFile (ignorefile.ReadAll)', () => {
  const lines = (r: ReturnType<typeof parseIgnoreFile>): string[] => {
    if ('error' in r) throw new Error(r.error.message);
    return r.patterns.map((p) => (p.exception ? '!' : '') + p.pattern);
  };
  it('ports moby TestReadAll (minus the bare "!" lines, which New rejects)', () => {
    const text = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n';
    expect(lines(parseIgnoreFile(text))).toEqual(['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path']);
  });
  it('keeps 1-based line numbers and the original text', () => {
    const r = parseIgnoreFile('\uFEFF# c\n\n  foo/  \r\n!bar\n');
    if ('error' in r) throw new Error(r.error.message);
    expect(r.patterns).toEqual<IgnorePattern[]>([
      { line: 3, text: '  foo/  ', pattern: 'foo', exception: false },
      { line: 4, text: '!bar', pattern: 'bar', exception: true },
    ]);
  });
  it('strips a BOM on the first line only, so a BOM-prefixed comment is a comment', () => {
    expect(lines(parseIgnoreFile('\uFEFF#x\nfoo'))).toEqual(['foo']);
  });
  it('treats # as a comment only in column 1', () => {
    expect(lines(parseIgnoreFile('  # not a comment\n#comment\n'))).toEqual(['# not a comment']);
  });
  it('cleans patterns: ./, //, .., trailing slash, leading slash', () => {
    expect(lines(parseIgnoreFile('./a//b/\n/c/../d\n//e\n!  /f/./g/ \n/\n'))).toEqual(['a/b', 'd', 'e', '!f/g', '/']);
  });
  it('trims with Go unicode.IsSpace (U+0085 and U+00A0 trimmed, U+FEFF kept mid-file)', () => {
    expect(lines(parseIgnoreFile('\u0085foo\u00A0\n\uFEFFbar'))).toEqual(['foo', '\uFEFFbar']);
  });
  it('rejects a bare "!" with its line number', () => {
    expect(parseIgnoreFile('a\n# c\n!  \n')).toEqual({ error: { line: 3, message: 'illegal exclusion pattern: "!"' } });
    expect(parseIgnoreFile('a\n!/\n')).toEqual({ error: { line: 2, message: 'illegal exclusion pattern: "!"' } });
  });
  it('rejects an unterminated class with its line number', () => {
    const r = parseIgnoreFile('ok\n\nsrc/[abc\n');
    expect('error' in r && r.error.line).toBe(3);
    expect('error' in r && r.error.message).toMatch(/^syntax error in pattern "src\/\[abc"/);
  });
  it('handles CRLF files and a missing final newline', () => {
    expect(lines(parseIgnoreFile('a\r\nb\r\nc'))).toEqual(['a', 'b', 'c']);
  });
});

describe('IgnoreMatcher semantics', () => {
  it('anchors at the context root: "foo" does not match "sub/foo"', () => {
    const m = matcher(['foo']);
    expect(m.matches('foo')).toBe(true);
    expect(m.matches('foo/bar/baz')).toBe(true);
    expect(m.matches('sub/foo')).toBe(false);
  });
  it('last match wins', () => {
    const m = matcher(['*.md', '!README.md', 'README.md']);
    expect(m.matches('README.md')).toBe(true);
    expect(m.matches('x.md')).toBe(true);
    expect(matcher(['*.md', '!README.md']).matches('README.md')).toBe(false);
  });
  it('re-includes a file below an excluded directory', () => {
    const m = matcher(['dir', '!dir/keep']);
    expect(m.matches('dir')).toBe(true);
    expect(m.matches('dir/drop')).toBe(true);
    expect(m.matches('dir/keep')).toBe(false);
    expect(m.matches('dir/keep/inner')).toBe(false);
  });
  it('follows the walker (parent results), like docker, where MatchesOrParentMatches differs', () => {
    // "!a" was skipped for "a" (nothing was excluded yet), so it is not inherited by "a/b".
    const m = matcher(['a/b', '!a']);
    expect(m.matches('a/b')).toBe(true);
    expect(m.evaluate('a/b').excluded).toBe(false); // MatchesOrParentMatches' answer
  });
  it('explain() names the deciding line', () => {
    const r = parseIgnoreFile('# header\nnode_modules\n*.log\n!keep.log\n');
    if ('error' in r) throw new Error(r.error.message);
    const m = new IgnoreMatcher(r.patterns);
    expect(m.explain('node_modules/x/y.js')).toEqual({ excluded: true, pattern: r.patterns[0] });
    expect(m.explain('keep.log').pattern?.line).toBe(4);
    expect(m.explain('keep.log').excluded).toBe(false);
    expect(m.explain('a.log').pattern?.line).toBe(3);
    expect(m.explain('src/main.ts')).toEqual({ excluded: false });
    expect(m.explain('./node_modules/')).toEqual({ excluded: true, pattern: r.patterns[0] });
  });
});

describe('canSkipDir', () => {
  it('prunes an excluded dir when there are no exceptions', () => {
    const m = matcher(['build', '**/tmp']);
    expect(m.canSkipDir('build')).toBe(true);
    expect(m.canSkipDir('a/b/tmp')).toBe(true);
    expect(m.canSkipDir('src')).toBe(false);
  });
  it('does not prune when a literal exception lies below', () => {
    const m = matcher(['build', '!build/keep/me']);
    expect(m.canSkipDir('build')).toBe(false);
    expect(m.canSkipDir('build/keep')).toBe(false);
    expect(m.canSkipDir('build/other')).toBe(true);
  });
  it('does not prune when a wildcard exception could match below (moby would, losing files)', () => {
    const m = matcher(['foo', '!*/keep']);
    expect(m.matches('foo/keep')).toBe(false);
    expect(m.canSkipDir('foo')).toBe(false);
    const g = matcher(['foo', '!**/keep']);
    expect(g.canSkipDir('foo')).toBe(false);
  });
  it('compares the literal prefix of wildcard exceptions', () => {
    const m = matcher(['vendor', '!vendor/a*/LICENSE']);
    expect(m.canSkipDir('vendor')).toBe(false);
    expect(m.canSkipDir('vendor/abc')).toBe(false);
    expect(m.canSkipDir('vendor/zzz')).toBe(true);
  });
  it('never prunes an included dir', () => {
    expect(matcher(['*.o']).canSkipDir('src')).toBe(false);
    expect(matcher(['dir', '!dir']).canSkipDir('dir')).toBe(false);
  });
});

describe('Go helpers', () => {
  it.each([
    ['', '.'],
    ['a/b/../c', 'a/c'],
    ['../../x', '../../x'],
    ['/../x', '/x'],
    ['a/..', '.'],
    ['//a//b/', '/a/b'],
    ['./', '.'],
    ['a/../..', '..'],
  ])('cleanPath(%j) = %j', (input, want) => {
    expect(cleanPath(input)).toBe(want);
  });
  it('goTrimSpace keeps U+FEFF (JS trim would remove it)', () => {
    expect(goTrimSpace(' \t\uFEFFx\u3000 ')).toBe('\uFEFFx');
  });
  it('scanLines drops one trailing CR and the empty last line', () => {
    expect(scanLines('a\r\r\nb\n')).toEqual(['a\r', 'b']);
    expect(scanLines('')).toEqual([]);
    expect(scanLines('\n')).toEqual(['']);
  });
});
