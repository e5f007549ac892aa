import { describe, expect, it } from 'vitest';
import { buildQuery, parsePathStat, splitRepoTag, toImageInfo, toImageSummaries } from '../../src/docker/api-json.js';
import { MAX_API_VERSION, compareApiVersions, detectBuildkit, negotiateApiVersion } from '../../src/docker/api-version.js';
import type { BuildRequest } from '../../src/docker/engine.js';
import { Readable } from 'node:stream';

describe('negotiateApiVersion', () => {
  it('uses the lower of the daemon version and ours', () => {
    expect(negotiateApiVersion({ apiVersion: '1.41', minApiVersion: '1.12' }, undefined)).toEqual({ ok: true, version: '1.41' });
    expect(negotiateApiVersion({ apiVersion: '1.52', minApiVersion: '1.24' }, undefined)).toEqual({ ok: true, version: MAX_API_VERSION });
    expect(negotiateApiVersion({ apiVersion: '1.9' }, '')).toEqual({ ok: true, version: '1.9' });
  });

  it('never goes below the daemon minimum', () => {
    expect(negotiateApiVersion({ apiVersion: '1.60', minApiVersion: '1.50' }, undefined)).toEqual({ ok: true, version: '1.50' });
  });

  it('honours DOCKER_API_VERSION within what the daemon supports', () => {
    expect(negotiateApiVersion({ apiVersion: '1.41', minApiVersion: '1.12' }, '1.30')).toEqual({ ok: true, version: '1.30' });
    expect(negotiateApiVersion({ apiVersion: '1.41', minApiVersion: '1.12' }, '1.43')).toEqual({
      ok: false,
      message: "DOCKER_API_VERSION=1.43 is newer than the engine's API version 1.41",
    });
    expect(negotiateApiVersion({ apiVersion: '1.41', minApiVersion: '1.24' }, '1.20')).toEqual({
      ok: false,
      message: "DOCKER_API_VERSION=1.20 is older than the engine's minimum API version 1.24",
    });
    expect(negotiateApiVersion({ apiVersion: '1.41' }, 'latest')).toEqual({ ok: false, message: 'DOCKER_API_VERSION=latest is not an API version like 1.41' });
  });

  it('compares numerically, not as strings', () => {
    expect(compareApiVersions('1.9', '1.10')).toBeLessThan(0);
    expect(compareApiVersions('1.41', '1.41')).toBe(0);
  });
});

describe('detectBuildkit', () => {
  it('follows an explicit Builder-Version header', () => {
    expect(detectBuildkit('1.41', '2', 'linux')).toBe(true);
    expect(detectBuildkit('1.41', '1', 'linux')).toBe(false);
  });
  it('without the header (Docker 20.10), needs API 1.38 on Linux', () => {
    expect(detectBuildkit('1.41', undefined, 'linux')).toBe(true);
    expect(detectBuildkit('1.37', undefined, 'linux')).toBe(false);
    expect(detectBuildkit('1.41', undefined, 'windows')).toBe(false);
  });
});

describe('splitRepoTag', () => {
  it('splits at the last colon after the last slash', () => {
    expect(splitRepoTag('localhost:5000/x:1')).toEqual({ repo: 'localhost:5000/x', tag: '1' });
    expect(splitRepoTag('localhost:5000/x')).toEqual({ repo: 'localhost:5000/x', tag: 'latest' });
    expect(splitRepoTag('mbuild-test-docker-a:v2')).toEqual({ repo: 'mbuild-test-docker-a', tag: 'v2' });
    expect(splitRepoTag('org/app')).toEqual({ repo: 'org/app', tag: 'latest' });
  });
  it('rejects digests and empty parts', () => {
    expect(() => splitRepoTag('x@sha256:abc')).toThrow('cannot tag with a digest reference');
    expect(() => splitRepoTag('x:')).toThrow('not a repo:tag reference');
  });
});

describe('buildQuery', () => {
  const base: BuildRequest = {
    context: Readable.from([]),
    dockerfile: 'sub/Dockerfile',
    builder: 'buildkit',
    buildId: 'b-1',
    buildArgs: { A: '1' },
    labels: { 'mbuild.id': 'x' },
    network: 'none',
    pull: false,
    noCache: true,
  };
  it('sends version=2 and the build ID for BuildKit, never a tag', () => {
    expect(buildQuery({ ...base, target: 'prod', platform: 'linux/amd64' })).toEqual({
      dockerfile: 'sub/Dockerfile',
      buildargs: '{"A":"1"}',
      labels: '{"mbuild.id":"x"}',
      pull: '0',
      nocache: '1',
      rm: '1',
      forcerm: '1',
      networkmode: 'none',
      target: 'prod',
      platform: 'linux/amd64',
      version: '2',
      buildid: 'b-1',
    });
  });
  it('sends version=1 (and the build ID, which names the build) for the classic builder', () => {
    const q = buildQuery({ ...base, builder: 'classic', network: undefined, pull: true });
    expect(q).toMatchObject({ version: '1', pull: '1', buildid: 'b-1' });
    expect(Object.keys(q)).not.toContain('networkmode');
    expect(Object.keys(q)).not.toContain('t');
  });
});

describe('wire JSON', () => {
  it('decodes the archive path-stat header', () => {
    const header = Buffer.from(JSON.stringify({ name: 'app', size: 12, mode: 2147484141, mtime: '2024-01-01T00:00:00Z', linkTarget: '' })).toString('base64');
    expect(parsePathStat(header)).toEqual({ name: 'app', size: 12, mode: 2147484141, linkTarget: '' });
    expect(parsePathStat(undefined)).toBeUndefined();
    expect(parsePathStat('not base64 json')).toBeUndefined();
  });

  it('knows an image has a command when it has Cmd or Entrypoint', () => {
    const img = (config: unknown) => toImageInfo({ Id: 'sha256:1', RepoTags: null, Size: 5, Created: 'c', RootFS: { Layers: ['sha256:l1'] }, Config: config });
    expect(img({ Cmd: ['sh'], Labels: null })).toEqual({
      id: 'sha256:1',
      repoTags: [],
      labels: {},
      size: 5,
      created: 'c',
      layers: ['sha256:l1'],
      hasCmd: true,
      onBuild: [],
      env: [],
    });
    expect(img({ Cmd: [], OnBuild: ['COPY . /app'] }).onBuild).toEqual(['COPY . /app']);
    expect(img({ Entrypoint: ['/app'], Cmd: null }).hasCmd).toBe(true);
    expect(img({ Cmd: null, Entrypoint: null }).hasCmd).toBe(false);
    expect(img(null).hasCmd).toBe(false);
  });

  it('drops <none>:<none> from image lists', () => {
    expect(toImageSummaries([{ Id: 'sha256:2', RepoTags: ['<none>:<none>'], Labels: { a: 'b', n: 1 } }])).toEqual([
      { id: 'sha256:2', repoTags: [], labels: { a: 'b' } },
    ]);
  });
});
