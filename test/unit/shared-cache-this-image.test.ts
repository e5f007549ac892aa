/**
 * Whether a shared cache entry is this image (execute/shared-cache.ts isThisImage): its
 * labels name this project, this image and this key. An entry without mbuild's labels never
 * passes (under that tag could be any image); so classic builds of a run that stores into a
 * cache keep the labels (execute/job.ts bareClassic).
 */
import { describe, expect, it } from 'vitest';
import { imageLabels } from '../../src/core/labels.js';
import { bareClassic, type ImageJob } from '../../src/execute/job.js';
import { isThisImage } from '../../src/execute/shared-cache.js';

const job = { opts: { file: { name: 'shop' } }, image: { name: 'api' } } as unknown as ImageJob;
const KEY = `v1-${'ab'.repeat(32)}`;
const OTHER = `v1-${'cd'.repeat(32)}`;

describe('isThisImage', () => {
  it('accepts labels naming this project, image and key', () => {
    expect(isThisImage(job, imageLabels('shop', 'api', KEY, { team: 'web' }), KEY)).toBe(true);
  });

  it("rejects labels that name another key, project or image, or none of mbuild's", () => {
    expect(isThisImage(job, imageLabels('shop', 'api', OTHER, {}), KEY)).toBe(false);
    expect(isThisImage(job, imageLabels('blog', 'api', KEY, {}), KEY)).toBe(false);
    expect(isThisImage(job, imageLabels('shop', 'web', KEY, {}), KEY)).toBe(false);
    expect(isThisImage(job, {}, KEY)).toBe(false);
    expect(isThisImage(job, { team: 'web' }, KEY)).toBe(false);
  });
});

describe('bareClassic', () => {
  const withOpts = (opts: object) => ({ ...job, opts: { ...job.opts, ...opts } }) as unknown as ImageJob;
  it('classic without a cache to store into: marks as a tag alone; with one, or BuildKit: labels', () => {
    expect(bareClassic(withOpts({ builder: 'classic' }))).toBe(true);
    expect(bareClassic(withOpts({ builder: 'classic', registry: { cache: { from: ['r/c'] } } }))).toBe(true);
    expect(bareClassic(withOpts({ builder: 'classic', registry: { cache: { to: 'r/c', from: ['r/c'] } } }))).toBe(false);
    expect(bareClassic(withOpts({ builder: 'buildkit' }))).toBe(false);
  });
});
