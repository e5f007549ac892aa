/**
 * load/contexts.ts looks each image's ignore file up once, without context/source.ts (whose
 * lookup makes an error object per missing file): both must pick the same file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildFile, ImageSpec } from '../../src/config/types.js';
import { ignoreFileOf } from '../../src/context/source.js';
import { ignoreFiles } from '../../src/load/contexts.js';

const root = mkdtempSync(join(tmpdir(), 'mbt-ignore-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A context with these files (a name ending in / is a folder), its Dockerfile at `Dockerfile`. */
function context(name: string, files: readonly string[]): { name: string; context: string; dockerfile: string } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\n');
  for (const f of files) {
    if (f.endsWith('/')) mkdirSync(join(dir, f), { recursive: true });
    else writeFileSync(join(dir, f), 'x\n');
  }
  return { name, context: dir, dockerfile: join(dir, 'Dockerfile') };
}

describe('ignoreFiles', () => {
  it("picks each image's ignore file as context/source.ts ignoreFileOf does", () => {
    const cases = [
      context('none', []),
      context('context-only', ['.dockerignore']),
      context('dockerfile-only', ['Dockerfile.dockerignore']),
      context('both', ['.dockerignore', 'Dockerfile.dockerignore']),
      context('dockerfile-one-is-a-folder', ['.dockerignore', 'Dockerfile.dockerignore/']),
      context('both-folders', ['.dockerignore/', 'Dockerfile.dockerignore/']),
    ];
    const images = new Map(
      cases.map((c) => [c.name, { name: c.name, context: c.context, dockerfile: { kind: 'file', path: c.dockerfile } } as unknown as ImageSpec]),
    );
    const found = ignoreFiles({ images } as unknown as BuildFile);
    const expected = new Map(cases.map((c) => [c.name, ignoreFileOf(c.context, c.dockerfile)]));
    expect(found).toEqual(expected);
    expect([...found.values()].filter((p) => p !== null)).toHaveLength(4);
  });
});
