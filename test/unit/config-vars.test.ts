/** vars resolution (config/vars.ts): dependency order, only what a value needs, cycles. */
import { describe, expect, it } from 'vitest';
import { namesIn, resolveVars } from '../../src/config/vars.js';

const none = (): undefined => undefined;

describe('resolveVars', () => {
  it('resolves each var after the vars it uses, whatever the order they are written in', () => {
    const r = resolveVars({ C: '${B}-c', B: '${A}-b', A: 'a' }, none);
    expect(Object.fromEntries(r.values)).toEqual({ A: 'a', B: 'a-b', C: 'a-b-c' });
    expect(r.cycles).toEqual([]);
  });

  it('follows only the references a value needs: an unused word is no cycle', () => {
    const r = resolveVars({ A: '${UNSET:+${A}}x', B: '${A:-${B}}' }, none);
    expect(Object.fromEntries(r.values)).toEqual({ A: 'x', B: 'x' });
    expect(r.cycles).toEqual([]);
  });

  it('reports each cycle once, from its smallest var, and its vars read as empty elsewhere', () => {
    const r = resolveVars({ B: '${C}', C: '${A:-${B}}', A: '', D: 'd${B}', S: '${S:-x}' }, none);
    expect(r.cycles).toEqual([
      ['B', 'C', 'B'],
      ['S', 'S'],
    ]);
    expect(Object.fromEntries(r.values)).toEqual({ A: '', D: 'd' });
    expect(r.errors).toEqual([]);
  });

  it('never reads a var that --var or the environment overrides', () => {
    const outside = (n: string) => ({ TAG: 'v2' })[n];
    const r = resolveVars({ TAG: '${TAG}', IMAGE: 'x:${TAG}' }, outside);
    expect(Object.fromEntries(r.values)).toEqual({ IMAGE: 'x:v2' });
    expect(r.cycles).toEqual([]);
  });

  it('an error in a var is reported at that var only', () => {
    const r = resolveVars({ A: '${NOPE}', B: '${A}b' }, none);
    expect(r.errors.map(({ message, ...rest }) => rest)).toEqual([{ name: 'A', expression: '${NOPE}' }]);
    expect(r.errors[0]?.message).toMatch(/^variable 'NOPE' is not set/);
    expect(Object.fromEntries(r.values)).toEqual({ B: 'b' });
  });
});

describe('namesIn', () => {
  it('lists $NAME and ${NAME...} references, also inside words, but not $$', () => {
    expect(namesIn('$A ${B:-${C}} $$D $ ${1} x$E_1')).toEqual(['A', 'B', 'C', 'E_1']);
  });
});
