/**
 * The YAML value cache (config/yaml-cache.ts): a hit must give exactly what parsing gives,
 * diagnostics included (their document is parsed lazily); anything odd is a miss.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadBuildFile } from '../../src/config/load.js';
import { jsonExact, yamlCacheKey } from '../../src/config/yaml-cache.js';
import { runCli } from '../helpers/run-cli.js';
import { testdir } from '../helpers/testdir.js';

const BAD = new URL('../fixtures/bad/', import.meta.url).pathname;
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function project(tree: Record<string, string>): string {
  const t = testdir(tree, 'mbuild-yaml-cache-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const cacheFile = (dir: string) => join(dir, '.mbuild', 'yaml-cache.json');
/** The cache file as storeValue writes it. */
const readCache = (dir: string) => JSON.parse(readFileSync(cacheFile(dir), 'utf8')) as { format: string; key: string; value: { images: unknown } };

async function load(dir: string) {
  const r = await loadBuildFile({ cwd: dir, env: {} });
  if (!r.ok) throw new Error(r.error.diagnostics.map((d) => d.message).join('\n'));
  return r.value;
}

describe('the YAML value cache', () => {
  it('prints the same diagnostics from a cached parse as from a fresh one, for every bad file', async () => {
    let hits = 0;
    for (const name of readdirSync(BAD)
      .filter((d) => existsSync(join(BAD, d, 'mbuild.yaml')))
      .sort()) {
      const dir = project({});
      cpSync(join(BAD, name), dir, { recursive: true });
      mkdirSync(join(dir, '.mbuild'));
      const fresh = await runCli(['validate'], { cwd: dir, env: NO_ENGINE });
      expect(fresh.code, name).toBe(2);
      if (!existsSync(cacheFile(dir))) continue; // not valid YAML: nothing to cache
      hits++;
      const cached = await runCli(['validate'], { cwd: dir, env: NO_ENGINE });
      expect(cached, name).toEqual(fresh);
    }
    // Most bad files are valid YAML with other problems: their second run was a hit.
    expect(hits).toBeGreaterThanOrEqual(20);
  });

  it('is used when the text is the same (a doctored value proves it) and not after an edit', async () => {
    const yaml = 'version: 1\nname: shop\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n';
    const dir = project({ 'mbuild.yaml': yaml, '.mbuild/': '' });
    expect([...(await load(dir)).file.images.keys()]).toEqual(['app']);
    const cached = readCache(dir);
    cached.value.images = { doctored: { dockerfile_inline: 'FROM busybox' } };
    writeFileSync(cacheFile(dir), JSON.stringify(cached));
    expect([...(await load(dir)).file.images.keys()]).toEqual(['doctored']);
    // The same file and cache in another checkout (committed, copied): another inode, not trusted.
    const copy = project({});
    cpSync(dir, copy, { recursive: true });
    expect([...(await load(copy)).file.images.keys()]).toEqual(['app']);
    writeFileSync(join(dir, 'mbuild.yaml'), `${yaml}  web:\n    dockerfile_inline: "FROM busybox"\n`);
    expect([...(await load(dir)).file.images.keys()]).toEqual(['app', 'web']);
  });

  it('a value cached by the parser before keys were taken as written is not used, and a hit keeps keys as written', async () => {
    const yaml = 'version: 1\nname: shop\nimages:\n  1.10:\n    dockerfile_inline: "FROM busybox"\n';
    const dir = project({ 'mbuild.yaml': yaml, '.mbuild/': '' });
    // What the previous parser (numeric keys, its own options) cached for this very file.
    const previous = JSON.stringify({ uniqueKeys: true, prettyErrors: false, merge: true, maxAliasCount: 100 });
    const key = yamlCacheKey(yaml, previous, statSync(join(dir, 'mbuild.yaml')));
    writeFileSync(
      cacheFile(dir),
      JSON.stringify({ format: 'mbuild-yaml-cache-1', key, value: { version: 1, name: 'shop', images: { '1.1': { dockerfile_inline: 'FROM busybox' } } } }),
    );
    expect([...(await load(dir)).file.images.keys()]).toEqual(['1.10']);
    expect(readCache(dir).key).not.toBe(key);
    // The next run is a hit, with the key as written.
    expect(readCache(dir).value.images).toEqual({ '1.10': { dockerfile_inline: 'FROM busybox' } });
    expect([...(await load(dir)).file.images.keys()]).toEqual(['1.10']);
  });

  it('ignores a corrupt or foreign cache file', async () => {
    const yaml = 'version: 1\nname: shop\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n';
    const dir = project({ 'mbuild.yaml': yaml, '.mbuild/': '' });
    for (const junk of ['{"format": "mbuild-yaml-cache-1", "key": ', '[]', 'null', JSON.stringify({ format: 'other', key: 'x', value: {} })]) {
      writeFileSync(cacheFile(dir), junk);
      expect([...(await load(dir)).file.images.keys()]).toEqual(['app']);
      // A miss writes the cache again.
      expect(readCache(dir).format).toBe('mbuild-yaml-cache-1');
    }
  });

  it('writes nothing without .mbuild/, nor a value JSON would not keep exactly', async () => {
    const plain = project({ 'mbuild.yaml': 'version: 1\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n' });
    await load(plain);
    expect(existsSync(join(plain, '.mbuild'))).toBe(false);
    // `.inf` is a YAML 1.2 float: JSON would turn it into null.
    const odd = project({ 'mbuild.yaml': 'version: 1\nx-note: .inf\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n', '.mbuild/': '' });
    await loadBuildFile({ cwd: odd, env: {} });
    expect(existsSync(cacheFile(odd))).toBe(false);
  });

  it('keeps only what JSON round-trips exactly', () => {
    expect(jsonExact({ a: [1, 'x', true, null, { b: 2.5 }] })).toBe(true);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonExact(deep)).toBe(true);
    for (const v of [Infinity, -Infinity, NaN, -0, new Date(0), new Map(), [1, undefined], { a: 1n }]) expect(jsonExact(v), inspect(v)).toBe(false);
  });
});
