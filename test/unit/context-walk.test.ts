import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IgnoreMatcher, parsePatternList } from '../../src/dockerignore/ignore.js';
import { ContextChangedError, walkContext, type WalkOptions } from '../../src/context/walk.js';

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'mbuild-walk-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function matcher(patterns: string[]): IgnoreMatcher {
  const r = parsePatternList(patterns);
  if ('error' in r) throw new Error(r.error.message);
  return new IgnoreMatcher(r.patterns);
}

function tree(name: string, files: string[]): string {
  const root = join(base, name);
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), f);
  }
  return root;
}

/** A file whose name is not valid UTF-8: visiting its directory produces a warning. */
function badName(dir: string): void {
  writeFileSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff, 0x66])]), '');
}

async function walk(opts: WalkOptions): Promise<{ paths: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const paths: string[] = [];
  for await (const e of walkContext({ ...opts, onWarning: (m) => warnings.push(m) })) paths.push(e.kind === 'dir' ? e.rel + '/' : e.rel);
  return { paths, warnings };
}

describe('walkContext', () => {
  it('prunes excluded directories without reading them', async () => {
    const root = tree('prune', ['keep/a', 'node_modules/x/y.js']);
    badName(join(root, 'node_modules/x'));
    const { paths, warnings } = await walk({ root, matcher: matcher(['node_modules']) });
    expect(paths).toEqual(['keep/', 'keep/a']);
    expect(warnings).toEqual([]);
  });

  it('walks an excluded directory when an exception may apply below, without yielding it', async () => {
    const root = tree('walkin', ['vendor/a/LICENSE', 'vendor/a/code.go', 'vendor/b/code.go']);
    badName(join(root, 'vendor/b'));
    const { paths, warnings } = await walk({ root, matcher: matcher(['vendor', '!vendor/a/LICENSE']) });
    expect(paths).toEqual(['vendor/a/LICENSE']);
    // vendor/b cannot contain re-included paths, so it was pruned (no warning from inside it).
    expect(warnings).toEqual([]);
  });

  it('warns about names that are not valid UTF-8 in visited directories', async () => {
    const root = tree('utf8', ['ok']);
    badName(root);
    const { paths, warnings } = await walk({ root });
    expect(paths).toEqual(['ok']);
    expect(warnings).toEqual(['skipping "f\u00ff\u0066": name is not valid UTF-8']);
  });

  it('yields forced paths even when excluded, and omits replaced ones', async () => {
    const root = tree('forced', ['ci/Dockerfile', 'ci/other', '.dockerignore', 'x']);
    const { paths } = await walk({ root, matcher: matcher(['*', '!x']), forceInclude: ['ci/Dockerfile', '.dockerignore'], omit: ['x'] });
    expect(paths).toEqual(['.dockerignore', 'ci/Dockerfile']);
  });

  it('fails with ContextChangedError when a listed entry vanishes before it is visited', async () => {
    const root = tree('vanish', ['a', 'b']);
    const it = walkContext({ root })[Symbol.asyncIterator]();
    expect((await it.next()).value?.rel).toBe('a');
    rmSync(join(root, 'b'));
    const next = it.next();
    await expect(next).rejects.toBeInstanceOf(ContextChangedError);
    await expect(next).rejects.toThrow('context changed while it was sent: b (file vanished)');
  });

  it('rejects a context that is not a directory', async () => {
    const root = tree('file', ['f']);
    await expect(walk({ root: join(root, 'f') })).rejects.toThrow('is not a directory');
  });
});
