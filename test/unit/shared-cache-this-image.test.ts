/**
 * Whether a shared cache entry is this image (execute/shared-cache.ts isThisImage): its
 * labels name this project, this image and this key; an entry built by the classic builder
 * carries none of mbuild's labels (its marks were a local tag) and its tag names them then.
 */
import { describe, expect, it } from 'vitest';
import { imageLabels } from '../../src/core/labels.js';
import type { ImageJob } from '../../src/execute/job.js';
import { isThisImage } from '../../src/execute/shared-cache.js';

const job = { opts: { file: { name: 'shop' } }, image: { name: 'api' } } as unknown as ImageJob;
const KEY = `v1-${'ab'.repeat(32)}`;
const OTHER = `v1-${'cd'.repeat(32)}`;

describe('isThisImage', () => {
  it("accepts labels naming this project, image and key, and an entry with none of mbuild's labels", () => {
    expect(isThisImage(job, imageLabels('shop', 'api', KEY, { team: 'web' }), KEY)).toBe(true);
    expect(isThisImage(job, {}, KEY)).toBe(true);
    expect(isThisImage(job, { team: 'web' }, KEY)).toBe(true);
  });

  it('rejects labels that name another key, project or image, or only part of the marks', () => {
    expect(isThisImage(job, imageLabels('shop', 'api', OTHER, {}), KEY)).toBe(false);
    expect(isThisImage(job, imageLabels('blog', 'api', KEY, {}), KEY)).toBe(false);
    expect(isThisImage(job, imageLabels('shop', 'web', KEY, {}), KEY)).toBe(false);
    expect(isThisImage(job, { 'io.mbuild.project': 'blog' }, KEY)).toBe(false);
    expect(isThisImage(job, { 'io.mbuild.image': 'web' }, KEY)).toBe(false);
  });
});
