/** Image references the build file names: where a push would go, and the repositories of the shared cache. */
import { describe, expect, it } from 'vitest';
import { officialImageRepository, repositoryProblem } from '../../src/config/reference.js';

describe('officialImageRepository', () => {
  it("names Docker Hub's official images for a tag with no registry and no namespace, or that namespace named", () => {
    expect(officialImageRepository('shop-api:latest')).toBe('docker.io/library/shop-api');
    expect(officialImageRepository('app')).toBe('docker.io/library/app');
    expect(officialImageRepository('library/app:1')).toBe('docker.io/library/app');
    expect(officialImageRepository('docker.io/app:1')).toBe('docker.io/library/app');
    expect(officialImageRepository('index.docker.io/library/app')).toBe('docker.io/library/app');
    expect(officialImageRepository('localhost:5000')).toBe('docker.io/library/localhost');
  });

  it('is undefined for a namespace or another registry', () => {
    for (const tag of ['team/app:1', 'docker.io/team/app', '127.0.0.1:5000/app:1', 'localhost/app', 'registry.example.com/app', 'ghcr.io/library/app']) {
      expect(officialImageRepository(tag), tag).toBeUndefined();
    }
  });
});

describe('repositoryProblem', () => {
  it('takes a repository, without tag or digest, with a port in range', () => {
    expect(repositoryProblem('127.0.0.1:5000/team/cache')).toBeUndefined();
    expect(repositoryProblem('127.0.0.1:5000/cache:v1')).toMatch(/takes no tag/);
    expect(repositoryProblem(`reg/cache@sha256:${'0'.repeat(64)}`)).toMatch(/no digest/);
    expect(repositoryProblem('127.0.0.1:5000/Team/cache')).toMatch(/lowercase/);
    expect(repositoryProblem('127.0.0.1:99999/cache')).toMatch(/port 99999 .* out of range/);
  });
});
