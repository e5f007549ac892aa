/**
 * Secrets and ssh in the cache key (issue 18): absent from the key of an image without them,
 * ids only by default, a salted slow hash of the value with `secret_in_key: true`; `why`
 * names the secret, never its value or digest.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { explainChange } from '../../src/cache/explain.js';
import { cacheKey, collectInputs, type ImageInputs } from '../../src/cache/inputs.js';
import { secretDigest } from '../../src/cache/secret-hash.js';
import { StatCache } from '../../src/cache/stat-cache.js';
import { buildModel } from '../../src/config/load.js';
import { testdir } from '../helpers/testdir.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

const VALUE = 'tok-1-never-shown';
const ROTATED = 'tok-2-never-shown';

const noEngine = {
  inspectImage: async () => ({ id: 'sha256:busybox', repoTags: [], labels: {}, size: 0, created: '', layers: [], hasCmd: true, onBuild: [], env: [] }),
};

function project(app: string): string {
  const t = testdir({ 'mbuild.yaml': `version: 1\nname: p\nimages:\n  app:\n    dockerfile_inline: "FROM busybox"\n${app}`, 'f.txt': VALUE });
  cleanups.push(t.cleanup);
  return t.dir;
}

async function inputsOf(dir: string, env: Record<string, string> = {}): Promise<ImageInputs> {
  const model = await buildModel({ cwd: dir, env });
  if (!model.ok) throw new Error(model.error.diagnostics.map((d) => d.message).join('\n'));
  const file = model.value.file;
  const { cache } = await StatCache.load(join(dir, '.mbuild', 'stat-cache.json'));
  const r = await collectInputs({ file, image: file.images.get('app')!, builder: 'buildkit', upstream: new Map(), engine: noEngine, statCache: cache });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe('secretDigest', () => {
  it('is deterministic, salted by id, prefixed, and never the value', () => {
    const a = secretDigest('npm', Buffer.from(VALUE));
    expect(a).toMatch(/^scrypt-[0-9a-f]{64}$/);
    expect(secretDigest('npm', Buffer.from(VALUE))).toBe(a);
    expect(secretDigest('pip', Buffer.from(VALUE))).not.toBe(a);
    expect(secretDigest('npm', Buffer.from(ROTATED))).not.toBe(a);
    // Pinned (scrypt of 'value', salt 'mbuild-secret-1\0id', N=2^14, r=8, p=1, 32 bytes): machines and versions must agree, or shared cache hits are lost.
    expect(secretDigest('id', Buffer.from('value'))).toBe('scrypt-36e26270a6fc0e8f3ffd636433e419089c879a341fa2e5c04d4712031432d04a');
  });
});

describe('the key of an image with secrets', () => {
  it('has no secrets or ssh field when the image declares none (keys of such images are unchanged)', async () => {
    const inputs = await inputsOf(project(''));
    expect(Object.keys(inputs)).not.toContain('secrets');
    expect(Object.keys(inputs)).not.toContain('ssh');
  });

  it('holds ids only by default: a rotated secret does not change the key', async () => {
    const dir = project('    secrets: {tok: {env: TOK}, file: {file: f.txt}}\n    ssh: {default: null}\n');
    const before = await inputsOf(dir, { TOK: VALUE, SSH_AUTH_SOCK: '/x' });
    expect(before.secrets).toEqual({ file: 'unkeyed', tok: 'unkeyed' });
    expect(before.ssh).toEqual(['default']);
    writeFileSync(join(dir, 'f.txt'), ROTATED);
    const after = await inputsOf(dir, { TOK: ROTATED, SSH_AUTH_SOCK: '/x' });
    expect(cacheKey(after)).toBe(cacheKey(before));
    expect(JSON.stringify(after)).not.toContain(VALUE);
  });

  it('with secret_in_key, changes when a secret rotates, and why names only the secret', async () => {
    const dir = project('    secrets: {tok: {env: TOK}, file: {file: f.txt}}\n    secret_in_key: true\n');
    const before = await inputsOf(dir, { TOK: VALUE });
    expect(before.secrets).toEqual({ file: secretDigest('file', Buffer.from(VALUE)), tok: secretDigest('tok', Buffer.from(VALUE)) });
    expect(cacheKey(await inputsOf(dir, { TOK: VALUE }))).toBe(cacheKey(before));
    const rotated = await inputsOf(dir, { TOK: ROTATED });
    expect(cacheKey(rotated)).not.toBe(cacheKey(before));
    const reasons = explainChange(before, rotated);
    expect(reasons).toEqual(['secret tok changed']);
    const json = JSON.stringify([before, rotated]);
    expect(json).not.toContain(VALUE);
    expect(json).not.toContain(ROTATED);
    for (const digest of [...Object.values(before.secrets!), ...Object.values(rotated.secrets!)]) expect(reasons.join('\n')).not.toContain(digest);
  });

  it('a keyed secret that cannot be read fails the image, naming the variable, not a value', async () => {
    const model = await buildModel({ cwd: project('    secrets: {tok: {env: TOK}}\n    secret_in_key: true\n'), env: {} });
    if (!model.ok) throw new Error('load failed');
    const { file } = model.value;
    const { cache } = await StatCache.load(join(file.root, '.mbuild', 'stat-cache.json'));
    const r = await collectInputs({ file, image: file.images.get('app')!, builder: 'buildkit', upstream: new Map(), engine: noEngine, statCache: cache });
    expect(r).toEqual({
      ok: false,
      error: { kind: 'context-unreadable', path: file.source.path, message: "secret 'tok': environment variable TOK is not set" },
    });
  });

  it('why says which secret or ssh id was added, removed, or entered the key', async () => {
    const dir = project('    secrets: {a: {env: A}}\n    ssh: [default]\n');
    const base = await inputsOf(dir, { A: VALUE, SSH_AUTH_SOCK: '/x' });
    const change = (over: Partial<ImageInputs>): string[] => explainChange(base, { ...base, ...over });
    expect(change({ secrets: { a: 'unkeyed', b: 'unkeyed' } })).toEqual(['secret b added']);
    expect(change({ secrets: {} })).toEqual(['secret a removed']);
    expect(change({ secrets: { a: 'scrypt-00' } })).toEqual(['secret a now in the key (secret_in_key)']);
    expect(explainChange({ ...base, secrets: { a: 'scrypt-00' } }, base)).toEqual(['secret a no longer in the key']);
    expect(change({ ssh: ['default', 'github'] })).toEqual(['ssh github added']);
    expect(change({ ssh: [] })).toEqual(['ssh default removed']);
  });
});
