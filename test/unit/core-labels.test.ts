/** mbuild's labels and pin tags (src/core/labels.ts): the names the engine's images and containers carry. */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { imageLabels, isPinOf, pinnedRef, projectFilter, RESERVED_PREFIX, TEMP_FILTER, tempLabels } from '../../src/core/labels.js';

describe('labels', () => {
  it("a built image: the build file's labels, then the project, the image and the key, all under the reserved prefix", () => {
    const labels = imageLabels('shop', 'api', 'v1-abc', { team: 'web' });
    expect(labels).toEqual({ team: 'web', 'io.mbuild.project': 'shop', 'io.mbuild.image': 'api', 'io.mbuild.key': 'v1-abc' });
    expect(Object.keys(labels)).toEqual(['team', 'io.mbuild.project', 'io.mbuild.image', 'io.mbuild.key']);
    expect(Object.keys(labels).filter((k) => k.startsWith(RESERVED_PREFIX))).toHaveLength(3);
    expect(projectFilter('shop')).toBe('io.mbuild.project=shop');
  });

  it('a temporary container: marked, with its run, process and host', () => {
    expect(tempLabels('run1')).toEqual({ 'io.mbuild.temp': '1', 'io.mbuild.run': 'run1', 'io.mbuild.pid': String(process.pid), 'io.mbuild.host': hostname() });
    expect(tempLabels()['io.mbuild.run']).toMatch(/^[0-9a-f-]{12}$/);
    expect(TEMP_FILTER).toBe('io.mbuild.temp=1');
  });

  it("a pin names one image ID of one project's image", () => {
    const pin = pinnedRef('shop', 'base', 'sha256:0123abcd');
    expect(pin).toBe('mbuild-pin/shop-base:0123abcd');
    expect(isPinOf('shop', pin)).toBe(true);
    expect(isPinOf('shop2', pin)).toBe(false);
    expect(isPinOf('shop', 'shop-base:latest')).toBe(false);
  });
});
