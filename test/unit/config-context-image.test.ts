/**
 * `context: {image, path}` through phases 1–5: the normalised model (an in-file source is an
 * edge, anything else an external reference; the Dockerfile is a host file relative to the
 * build file's folder, inline text, or `<path>/Dockerfile` inside the image), the `context`
 * edge of the plan, and `mbuild config` printing it back as written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadBuildFile } from '../../src/config/load.js';
import { resolvedBuildFile } from '../../src/config/print.js';
import { edgesOf } from '../../src/plan/graph.js';
import { testdir } from '../helpers/testdir.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const YAML = `version: 1
name: seed
images:
  img1:
    dockerfile_inline: FROM busybox:latest
  img2:
    context: {image: img1, path: /src/build}
    dockerfile: Dockerfile.img2
  ext:
    context: {image: "busybox:latest", path: /etc}
    dockerfile_inline: FROM busybox:latest
  inside:
    context: {image: img1, path: /src/build/}
`;

async function load() {
  const t = testdir({ 'mbuild.yaml': YAML, 'Dockerfile.img2': 'FROM busybox:latest\n', 'sub/keep': '' }, 'mbuild-ctximg-');
  cleanups.push(t.cleanup);
  const r = await loadBuildFile({ cwd: t.dir, env: {} });
  if (!r.ok) throw new Error(r.error.diagnostics.map((d) => d.message).join('\n'));
  return { dir: t.dir, file: r.value.file };
}

describe('context: {image, path}', () => {
  it('normalises the source, the path and where the Dockerfile is', async () => {
    const { dir, file } = await load();
    const img2 = file.images.get('img2')!;
    expect(img2.context).toBeUndefined();
    expect(img2.contextImage).toMatchObject({
      from: 'img1',
      source: { kind: 'image', image: 'img1' },
      path: '/src/build',
      origin: ['images', 'img2', 'context'],
    });
    // Beside the build file, as in the seed: not inside any context folder.
    expect(img2.dockerfile).toEqual({ kind: 'file', path: join(dir, 'Dockerfile.img2') });
    expect(file.images.get('ext')!.contextImage?.source).toEqual({ kind: 'external', ref: 'busybox:latest' });
    expect(file.images.get('ext')!.dockerfile.kind).toBe('inline');
    expect(file.images.get('inside')!.dockerfile).toEqual({ kind: 'in-image', path: '/src/build/Dockerfile' });
    expect(file.images.get('img1')!.context).toBe(dir);
  });

  it('draws a context edge to an in-file source only', async () => {
    const { file } = await load();
    const edges = edgesOf(file, new Map());
    expect(edges.get('img2')).toEqual([{ image: 'img1', kind: 'context', detail: 'context img1:/src/build' }]);
    expect(edges.get('ext')).toEqual([]);
  });

  it('prints the context back as written (mbuild config)', async () => {
    const { file } = await load();
    const printed = resolvedBuildFile(file).images;
    expect(printed['img2']).toMatchObject({ context: { image: 'img1', path: '/src/build' }, dockerfile: 'Dockerfile.img2' });
    expect(printed['inside']).toMatchObject({ context: { image: 'img1', path: '/src/build/' } });
    expect(printed['inside']).not.toHaveProperty('dockerfile');
  });
});
