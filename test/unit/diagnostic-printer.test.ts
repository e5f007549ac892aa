/** The compiler-style printer on lines and messages it must not print as they are. */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/core/diagnostic.js';
import { excerpt } from '../../src/core/excerpt.js';
import { formatDiagnostic, formatDiagnostics, MAX_PRINTED } from '../../src/report/diagnostic-printer.js';

const opts = { cwd: '/p', color: false };

function at(text: string, offset: number, length: number, message = 'bad'): Diagnostic {
  return { severity: 'error', code: 'x', message, location: { file: { path: '/p/mbuild.yaml', text }, range: { offset, length } } };
}

describe('formatDiagnostic', () => {
  it('shows a long line as a window around the column, cut with … on both sides', () => {
    const line = `key: ${'a'.repeat(5000)}TARGET${'b'.repeat(5000)}`;
    const out = formatDiagnostic(at(`x: 1\n${line}\n`, 5 + line.indexOf('TARGET'), 6), opts).split('\n');
    expect(out[0]).toBe(`mbuild.yaml:2:${line.indexOf('TARGET') + 1}: error: bad`);
    expect(out[1]).toBe(` 2 | …${'a'.repeat(30)}TARGET${'b'.repeat(64)}…`);
    expect(out[2]).toBe(`   |  ${' '.repeat(30)}^~~~~~`);
  });

  it('cuts at the start of a line when the column is near its end, and underlines only what is shown', () => {
    const line = `tags: [${'1'.repeat(300_000)}]`;
    const out = formatDiagnostic(at(line, 7, 300_000), opts).split('\n');
    expect(out[1]).toBe(` 1 | tags: [${'1'.repeat(93)}…`);
    expect(out[2]).toBe(`   |        ^${'~'.repeat(92)}`);
  });

  it('shows control characters as ?, keeps tabs for alignment, and never splits a surrogate pair', () => {
    const out = formatDiagnostic(at('\tx: "\x1b[31m\u202e"\n', 1, 1), opts).split('\n');
    expect(out[1]).toBe(' 1 | \tx: "?[31m?"');
    expect(out[2]).toBe('   | \t^');
    const emoji = `${'😀'.repeat(200)}X`;
    const cut = formatDiagnostic(at(emoji, emoji.length - 1, 1), opts).split('\n')[1]!;
    expect(cut).toMatch(/^ 1 \| …(😀)+X$/u);
  });

  it('shows no line that holds NUL bytes (a binary file)', () => {
    expect(formatDiagnostic(at('\x7fELF\x00\x1b[31m', 4, 1, 'not a text file'), opts)).toBe('mbuild.yaml:1:5: error: not a text file');
  });

  it('cuts each long word of a message in its middle, keeping the words around it', () => {
    const path = `/p/${'d'.repeat(100)}/`.repeat(60);
    const out = formatDiagnostic({ severity: 'error', code: 'x', message: `cannot stat ${path}: ENAMETOOLONG: name too long, stat '${path}'` }, opts);
    expect(out).toMatch(/^error: cannot stat \/p\/d+…d+\/: ENAMETOOLONG: name too long, stat '\/p\/d+…d+\/'$/);
    expect(out.length).toBeLessThan(400);
  });

  it('cuts a huge message, and prints at most MAX_PRINTED diagnostics, then how many more', () => {
    const long = formatDiagnostic({ severity: 'error', code: 'x', message: `v ${'9'.repeat(100_000)}` }, opts);
    expect(long.length).toBeLessThan(1100);
    expect(long).toContain('…');
    const many = Array.from({ length: MAX_PRINTED + 5 }, (): Diagnostic => ({ severity: 'error', code: 'x', message: 'm' }));
    const printed = formatDiagnostics(many, opts).split('\n');
    expect(printed).toHaveLength(MAX_PRINTED + 1);
    expect(printed.at(-1)).toBe(`... and 5 more (the first ${MAX_PRINTED} are shown)`);
  });
});

describe('excerpt', () => {
  it('keeps short text, cuts long text in the middle', () => {
    expect(excerpt('short')).toBe('short');
    expect(excerpt('a'.repeat(100) + 'z'.repeat(100), 21)).toBe(`${'a'.repeat(12)}…${'z'.repeat(8)}`);
  });
});
