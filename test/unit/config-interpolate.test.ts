import { describe, expect, it } from 'vitest';
import { interpolateString, interpolateTree } from '../../src/config/interpolate.js';

const env: Record<string, string> = { TAG: 'dev', EMPTY: '', REG: 'localhost:5000' };
const lookup = (n: string) => env[n];
const run = (s: string) => {
  const r = interpolateString(s, lookup);
  return r.ok ? r.value : `ERR ${r.error.message} @ ${r.error.expression}`;
};

describe('interpolateString', () => {
  it.each([
    ['shop/api:${TAG}', 'shop/api:dev'],
    ['$TAG-x', 'dev-x'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${MISSING-fallback}', 'fallback'],
    ['${TAG:+set}', 'set'],
    ['${MISSING:+set}', ''],
    ['${MISSING:-${TAG}-nested}', 'dev-nested'],
    ['cost: $$5 and $${TAG}', 'cost: $5 and ${TAG}'],
    ['${REG}/app', 'localhost:5000/app'],
    ['a $ b', 'a $ b'],
  ])('%s -> %s', (input, expected) => {
    expect(run(input)).toBe(expected);
  });

  it('an unset variable with no default is an error, not an empty string', () => {
    expect(run('x-${NOPE}')).toMatch(/^ERR variable 'NOPE' is not set.* @ \$\{NOPE\}$/);
    expect(run('x-$NOPE')).toMatch(/^ERR variable 'NOPE' is not set.* @ \$NOPE$/);
  });

  it('required variables carry their message', () => {
    expect(run('${EMPTY:?give it}')).toBe("ERR variable 'EMPTY' is required: give it @ ${EMPTY:?give it}");
    expect(run('${EMPTY?give it}')).toBe('');
  });

  it('rejects malformed expressions', () => {
    expect(run('${TAG')).toMatch(/unclosed/);
    expect(run('${1X}')).toMatch(/invalid interpolation format: '\$\{1X\}'/);
  });
});

describe('interpolateString on deep nesting', () => {
  it('nests 100,000 words without recursion, in time linear in the text', () => {
    const deep = (inner: string) => `${'${MISSING:-'.repeat(100_000)}${inner}${'}'.repeat(100_000)}`;
    expect(run(deep('${TAG}'))).toBe('dev');
    expect(run(`a${deep('b')}c`)).toBe('abc');
    const r = interpolateString(deep('${NOPE}'), lookup);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const { message, ...rest } = r.error;
      expect(message).toMatch(/^variable 'NOPE' is not set/);
      expect(rest).toEqual({ expression: deep('${NOPE}'), problem: { kind: 'unset', name: 'NOPE' } });
    }
  });

  it('says what went wrong as a value, for callers that word it their own way (env files)', () => {
    const problem = (s: string) => {
      const r = interpolateString(s, lookup);
      return r.ok ? undefined : r.error.problem;
    };
    expect(problem('${TAG')).toEqual({ kind: 'unclosed' });
    expect(problem('x ${1A} y')).toEqual({ kind: 'invalid', expression: '${1A}' });
    expect(problem('$NOPE')).toEqual({ kind: 'unset', name: 'NOPE' });
    expect(problem('${EMPTY:?give it}')).toEqual({ kind: 'required', name: 'EMPTY', detail: 'give it' });
    expect(problem('${EMPTY:?}')).toEqual({ kind: 'required', name: 'EMPTY' });
    expect(problem('${MISSING:?${EMPTY:?inner}}')).toEqual({ kind: 'required', name: 'MISSING' });
  });

  it('a required variable inside a word reports the outermost requirement', () => {
    expect(run('${MISSING:?${EMPTY:?inner}}')).toBe("ERR variable 'MISSING' is required: not set @ ${MISSING:?${EMPTY:?inner}}");
    expect(run('${MISSING:-${EMPTY:?inner}}')).toBe("ERR variable 'EMPTY' is required: inner @ ${MISSING:-${EMPTY:?inner}}");
  });
});

describe('interpolateTree', () => {
  it('walks values, skips keys and the listed top-level sections, and collects every error with its path', () => {
    const { value, errors } = interpolateTree(
      { vars: { A: '${NOPE}' }, images: { '${TAG}': { tags: ['x:${TAG}', 'y:${NOPE}'], n: 3 } } },
      lookup,
      new Set(['vars']),
    );
    expect(value).toEqual({ vars: { A: '${NOPE}' }, images: { '${TAG}': { tags: ['x:dev', 'y:${NOPE}'], n: 3 } } });
    expect(errors.map((e) => e.path)).toEqual([['images', '${TAG}', 'tags', 1]]);
  });
});
