/** mbuild's labels and pin tags (src/core/labels.ts): the names the engine's images and containers carry. */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  buildLabels,
  imageLabels,
  isMarkOf,
  isPinOf,
  markFilter,
  marksOf,
  markTag,
  parseMark,
  pinnedRef,
  projectFilter,
  RESERVED_PREFIX,
  TEMP_FILTER,
  tempLabels,
} from '../../src/core/labels.js';

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

  const KEY = `v1-${'ab'.repeat(32)}`;

  it('a mark tag (classic builds) names the project, the image and the key, and is read back', () => {
    const tag = markTag('shop', 'api', KEY);
    expect(tag).toBe(`mbuild-key/shop/api:${KEY}`);
    expect(parseMark(tag!)).toEqual({ project: 'shop', image: 'api', key: KEY });
    expect(isMarkOf('shop', tag!)).toBe(true);
    expect(isMarkOf('shop2', tag!)).toBe(false);
    expect(isMarkOf('shop', pinnedRef('shop', 'api', 'sha256:0123'))).toBe(false);
    expect(parseMark('shop-api:latest')).toBeUndefined();
    expect(parseMark('registry:5000/mbuild-key/shop/api:v1')).toBeUndefined();
    expect(markFilter('shop')).toBe('mbuild-key/shop/*');
    // Separators docker's grammar allows inside a path component.
    expect(markTag('my_shop', 'web-2.x', KEY)).toBe(`mbuild-key/my_shop/web-2.x:${KEY}`);
    expect(markTag('a__b', 'c--d', KEY)).toBe(`mbuild-key/a__b/c--d:${KEY}`);
  });

  it('no mark tag for a name that is no repository path component (the image keeps the labels)', () => {
    for (const [project, image] of [
      ['shop-', 'api'],
      ['shop', 'api.'],
      ['shop', 'a..b'],
      ['shop', 'a_'],
      ['shop', 'a___b'],
      ['shop', 'a.-b'],
      ['x'.repeat(200), 'y'.repeat(60)],
    ]) {
      expect(markTag(project!, image!, KEY), `${project!}/${image!}`).toBeUndefined();
      expect(buildLabels(project!, image!, KEY, {}, true)).toEqual(imageLabels(project!, image!, KEY, {}));
    }
    expect(markTag('shop', 'api', 'not a tag')).toBeUndefined();
  });

  it("the labels a build sends: none under classic without labels of its own; with them, theirs and mbuild's; all of them under BuildKit", () => {
    expect(buildLabels('shop', 'api', KEY, {}, true)).toEqual({});
    expect(buildLabels('shop', 'api', KEY, { team: 'web' }, true)).toEqual(imageLabels('shop', 'api', KEY, { team: 'web' }));
    expect(buildLabels('shop', 'api', KEY, {}, false)).toEqual(imageLabels('shop', 'api', KEY, {}));
  });

  it("an image's marks: every mark tag, each once; its labels only when it has none (a classic child inherits its base's labels)", () => {
    const labels = imageLabels('shop', 'api', KEY, { team: 'web' });
    const other = `v1-${'cd'.repeat(32)}`;
    expect(marksOf({ labels, repoTags: ['shop-api:latest'] })).toEqual([{ project: 'shop', image: 'api', key: KEY }]);
    expect(marksOf({ labels, repoTags: [markTag('shop', 'api', KEY)!, markTag('blog', 'web', other)!, markTag('shop', 'api', KEY)!] })).toEqual([
      { project: 'shop', image: 'api', key: KEY },
      { project: 'blog', image: 'web', key: other },
    ]);
    expect(marksOf({ labels: { team: 'web', 'io.mbuild.project': 'shop' }, repoTags: ['busybox:latest'] })).toEqual([]);
    expect(marksOf({ labels: {}, repoTags: [markTag('shop', 'api', KEY)!] })).toEqual([{ project: 'shop', image: 'api', key: KEY }]);
    // A child built classic without mbuild's LABEL line, FROM a labelled base: the labels are the base's.
    const child = `v1-${'ef'.repeat(32)}`;
    expect(marksOf({ labels: imageLabels('shop', 'base', KEY, {}), repoTags: [markTag('shop', 'app', child)!] })).toEqual([
      { project: 'shop', image: 'app', key: child },
    ]);
  });
});
