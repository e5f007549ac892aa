/** Image references parsed as docker parses them (distribution reference/normalize.go), formatted for the engine. */
import { describe, expect, it } from 'vitest';
import { formatName, formatRef, parseImageRef, withTag, type ImageRef } from '../../src/registry/reference.js';

const sha = `sha256:${'ab'.repeat(32)}`;

const parsed = (text: string): ImageRef => {
  const r = parseImageRef(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const refused = (text: string): string => {
  const r = parseImageRef(text);
  if (r.ok) throw new Error(`"${text}" was accepted as ${JSON.stringify(r.value)}`);
  return r.error;
};

describe('parseImageRef', () => {
  it.each<[string, ImageRef]>([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['busybox:latest', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['user/app:1.0', { registry: 'docker.io', repository: 'user/app', tag: '1.0' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['index.docker.io/user/app', { registry: 'docker.io', repository: 'user/app' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/team/app:v2', { registry: 'localhost:5000', repository: 'team/app', tag: 'v2' }],
    ['127.0.0.1:45123/mbuild-cache:REF', { registry: '127.0.0.1:45123', repository: 'mbuild-cache', tag: 'REF' }],
    ['ghcr.io/org/app', { registry: 'ghcr.io', repository: 'org/app' }],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app' }],
    [`reg.example.com/a/b/c@${sha}`, { registry: 'reg.example.com', repository: 'a/b/c', digest: sha }],
    [`reg.example.com/app:1@${sha}`, { registry: 'reg.example.com', repository: 'app', tag: '1', digest: sha }],
    ['team/a__b.c-d---e_f', { registry: 'docker.io', repository: 'team/a__b.c-d---e_f' }],
    // A first component without '.' or ':' and not localhost is a Hub namespace, as in docker.
    ['myregistry/app', { registry: 'docker.io', repository: 'myregistry/app' }],
    // No '/': the ':' is a tag's, as docker reads it.
    ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
    [`app:${'f'.repeat(64)}`, { registry: 'docker.io', repository: 'library/app', tag: 'f'.repeat(64) }],
  ])('%s', (text, ref) => {
    expect(parsed(text)).toEqual(ref);
  });

  it('refuses what docker refuses, saying why', () => {
    expect(refused('')).toContain('it is empty');
    expect(refused('Busybox')).toContain('must be lowercase');
    expect(refused('reg.io/Team/app')).toContain('must be lowercase');
    expect(refused('app:-x')).toContain('the tag "-x" is not valid');
    expect(refused('app:.x')).toContain('is not valid');
    expect(refused(`app:${'t'.repeat(129)}`)).toContain('is not valid');
    expect(parseImageRef(`app:${'t'.repeat(128)}`).ok).toBe(true);
    expect(refused('app@sha256:abc')).toContain('the digest "sha256:abc" is not valid');
    expect(refused(`app@sha256:${'AB'.repeat(32)}`)).toContain('is not valid');
    expect(refused('reg.io//app')).toContain('empty component');
    expect(refused('reg.io/app-')).toContain('"app-" is not a valid repository name component');
    expect(refused('reg.io/_app')).toContain('is not a valid repository name component');
    expect(refused('-reg.io/app')).toContain('the registry "-reg.io" is not a valid host[:port]');
    expect(refused('reg.io:port/app')).toContain('is not a valid host[:port]');
    expect(refused('reg.io/')).toContain('the repository name is empty');
    expect(refused('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')).toContain('image ID');
    expect(refused('app:a:b')).toContain('"app:a" is not a valid repository name component');
    expect(refused('a_b.c/d')).toContain('the registry "a_b.c" is not a valid host[:port]');
    expect(refused('reg.io/app with space')).toContain('is not a valid repository name component');
  });

  it('limits the name (registry and repository) to 255 characters', () => {
    const repo = 'a'.repeat(255 - 'reg.io/'.length);
    expect(parseImageRef(`reg.io/${repo}`).ok).toBe(true);
    expect(refused(`reg.io/${repo}b`)).toContain('longer than 255 characters');
    expect(parseImageRef(`reg.io/${repo}:${'t'.repeat(128)}`).ok).toBe(true);
  });

  it('names the text it refuses', () => {
    expect(refused('Up/Per')).toMatch(/^invalid image reference "Up\/Per": /);
  });
});

describe('formatRef and withTag', () => {
  it.each([
    ['busybox:latest', 'busybox:latest'],
    ['docker.io/library/busybox', 'busybox'],
    ['user/app:1', 'user/app:1'],
    ['docker.io/library/a/b:1', 'library/a/b:1'],
    ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/app:v1'],
    [`reg.io/app:1@${sha}`, `reg.io/app:1@${sha}`],
  ])('%s formats as %s, which parses back to the same reference', (text, formatted) => {
    const ref = parsed(text);
    expect(formatRef(ref)).toBe(formatted);
    expect(parsed(formatRef(ref))).toEqual(ref);
  });

  it('formatName leaves out the tag and the digest', () => {
    expect(formatName(parsed(`127.0.0.1:5000/app:1@${sha}`))).toBe('127.0.0.1:5000/app');
  });

  it('withTag replaces the tag and drops a digest; refuses a tag docker would refuse', () => {
    const ref = parsed(`127.0.0.1:5000/app:1@${sha}`);
    expect(withTag(ref, 'f'.repeat(64))).toEqual({ registry: '127.0.0.1:5000', repository: 'app', tag: 'f'.repeat(64) });
    expect(formatRef(withTag(parsed('busybox'), 'x'))).toBe('busybox:x');
    expect(() => withTag(ref, 'bad tag')).toThrow('not a valid tag');
  });
});
