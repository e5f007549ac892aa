import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { under } from '../../src/config/normalize.js';

describe('under', () => {
  it('is path.resolve for every base and relative path (the plain ones joined without its work)', () => {
    const bases = ['/', '/p', '/a/b', '/a/b/', '/a//b', '/a/./b', '/a/../b', 'rel', ''];
    const rels = [
      'x',
      'x/y',
      'x.y/z-1',
      '@a/+b=c',
      '.x',
      '..x',
      'x/.',
      'x/..',
      '../x',
      './x',
      'x/',
      'x//y',
      '',
      '.',
      '..',
      '/abs',
      'x/./y',
      'x/../y',
      'a b/c',
      'é',
    ];
    for (const base of bases) for (const rel of rels) expect(under(base, rel), `${base} + ${rel}`).toBe(resolve(base, rel));
  });
});
