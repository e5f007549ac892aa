/**
 * The string shortcuts of the load's path checks (issue 22) answer as node:path does:
 * `cleanAbsolute` is `normalize(p) === p` for absolute paths without a trailing slash, and
 * `isInside` by prefix agrees with its `relative` form on every pair.
 */
import { isAbsolute, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanAbsolute } from '../../src/config/fs-probe.js';
import { isInside } from '../../src/config/rules/paths.js';

const PATHS = [
  '/',
  '//',
  '/a',
  '/a/',
  '/a/b',
  '/a//b',
  '/a/./b',
  '/a/.',
  '/a/..',
  '/a/../b',
  '/a/.b',
  '/a/..b',
  '/a/b..',
  '/a/b.',
  '/.mbuild',
  '/ab',
  '/a/b/c',
  '/a/bc',
  'a',
  'a/b',
  './a',
  '',
  '.',
  '..',
];

const insideByRelative = (parent: string, child: string): boolean => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

describe('path shortcuts', () => {
  it('cleanAbsolute is normalize(p) === p for absolute paths without a trailing slash', () => {
    for (const p of PATHS) expect([p, cleanAbsolute(p)]).toEqual([p, isAbsolute(p) && normalize(p) === p && (p === '/' || !p.endsWith('/'))]);
  });

  it('isInside agrees with path.relative on every pair', () => {
    for (const parent of PATHS)
      for (const child of PATHS) expect([parent, child, isInside(parent, child)]).toEqual([parent, child, insideByRelative(parent, child)]);
  });
});
