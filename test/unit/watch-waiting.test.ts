/**
 * Which images watch holds back while an input is gone (src/watch/waiting.ts), on a real
 * folder: a missing Dockerfile, a missing context folder (its Dockerfile inside goes
 * unnamed), a Dockerfile outside the context, and a dependent of a waiting image with or
 * without an image of it to build against.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildFile } from '../../src/config/types.js';
import type { BuildPlan } from '../../src/plan/types.js';
import { plainLine } from '../../src/report/watch-log.js';
import { waitingImages } from '../../src/watch/waiting.js';

const R = mkdtempSync(join(tmpdir(), 'mbt-waiting-'));
afterAll(() => rmSync(R, { recursive: true, force: true }));

const spec = (context: string, dockerfile: string) => ({ context: join(R, context), dockerfile: { kind: 'file' as const, path: join(R, dockerfile) } });
const file = {
  images: new Map<string, unknown>([
    ['base', spec('base', 'base/Dockerfile')],
    ['mid', spec('mid', 'mid/Dockerfile')],
    ['top', spec('top', 'docker/top.Dockerfile')],
    ['inline', { context: join(R, 'inline'), dockerfile: { kind: 'inline', text: 'FROM busybox\n' } }],
  ]),
} as unknown as BuildFile;
const img = (name: string, dependsOn: string[] = []) => ({
  name,
  tags: [],
  dependsOn: dependsOn.map((image) => ({ image, kind: 'args' as const, detail: '' })),
  dependents: [],
  wave: 0,
  remainingPath: 1,
});
const plan: BuildPlan = {
  project: 'p',
  requested: [],
  waves: [],
  criticalPath: [],
  images: [img('base'), img('mid', ['base']), img('top', ['mid']), img('inline')],
};
const ALL = ['base', 'mid', 'top', 'inline'];

function tree(paths: readonly string[]): void {
  rmSync(R, { recursive: true, force: true });
  for (const p of paths) {
    mkdirSync(join(R, p, '..'), { recursive: true });
    if (p.endsWith('/')) mkdirSync(join(R, p), { recursive: true });
    else writeFileSync(join(R, p), 'FROM busybox\n');
  }
}
const complete = ['base/', 'base/Dockerfile', 'mid/', 'mid/Dockerfile', 'top/', 'docker/top.Dockerfile', 'inline/'];

describe('waitingImages', () => {
  it('holds nothing back when every input is there', () => {
    tree(complete);
    expect(waitingImages(file, plan, ALL, new Map())).toEqual([]);
  });

  it('names a missing Dockerfile; a dependent with an image of it to build against goes on', () => {
    tree(complete.filter((p) => p !== 'base/Dockerfile'));
    expect(waitingImages(file, plan, ALL, new Map([['base', 'sha256:b']]))).toEqual([{ image: 'base', missing: [join(R, 'base/Dockerfile')] }]);
  });

  it('a dependent of a waiting image with no image yet waits for it, transitively', () => {
    tree(complete.filter((p) => p !== 'base/Dockerfile'));
    expect(waitingImages(file, plan, ALL, new Map())).toEqual([
      { image: 'base', missing: [join(R, 'base/Dockerfile')] },
      { image: 'mid', missing: [], upstream: 'base' },
      { image: 'top', missing: [], upstream: 'mid' },
    ]);
  });

  it('names a missing context folder, not the Dockerfile that went with it; a Dockerfile outside is named too', () => {
    tree(complete.filter((p) => !p.startsWith('mid/') && !p.startsWith('top') && !p.startsWith('docker/')));
    expect(waitingImages(file, plan, ALL, new Map([['mid', 'sha256:m']]))).toEqual([
      { image: 'mid', missing: [join(R, 'mid')] },
      { image: 'top', missing: [join(R, 'top'), join(R, 'docker/top.Dockerfile')] },
    ]);
  });

  it('takes a file in place of a context folder, or a folder in place of a Dockerfile, as missing', () => {
    tree(['base/Dockerfile/', 'mid', 'top/', 'docker/top.Dockerfile', 'inline/']);
    expect(waitingImages(file, plan, ['base', 'mid'], new Map([['base', 'sha256:b']])).map((w) => w.image)).toEqual(['base', 'mid']);
  });
});

describe('images whose Dockerfile or ignore file the last reload refused', () => {
  it('wait, and their dependents with no image yet wait with them', () => {
    tree([...complete, 'mid/.dockerignore']);
    const refused = new Set([join(R, 'base/Dockerfile'), join(R, 'mid/.dockerignore')]);
    expect(waitingImages(file, plan, ALL, new Map(), refused)).toEqual([
      { image: 'base', missing: [], invalid: [join(R, 'base/Dockerfile')] },
      { image: 'mid', missing: [], invalid: [join(R, 'mid/.dockerignore')] },
      { image: 'top', missing: [], upstream: 'mid' },
    ]);
  });

  it('do not hold back an image whose own files are fine', () => {
    tree(complete);
    expect(waitingImages(file, plan, ALL, new Map([['base', 'sha256:b']]), new Set([join(R, 'mbuild.yaml')]))).toEqual([]);
  });
});

describe('the watch-waiting line', () => {
  it('says which files are missing and that the image is built when they are back, or which upstream it waits for', () => {
    expect(plainLine({ type: 'watch-waiting', image: 'api', missing: ['api/Dockerfile'] })).toBe(
      'waiting api: api/Dockerfile is missing; api is built when it is back',
    );
    expect(plainLine({ type: 'watch-waiting', image: 'web', missing: ['web', 'docker/web.Dockerfile'] })).toBe(
      'waiting web: web, docker/web.Dockerfile are missing; web is built when they are back',
    );
    expect(plainLine({ type: 'watch-waiting', image: 'top', missing: [], upstream: 'api' })).toBe('waiting top: its upstream api waits');
    expect(plainLine({ type: 'watch-waiting', image: 'z', missing: [], invalid: ['z/Dockerfile'] })).toBe(
      'waiting z: z/Dockerfile has errors (above); z is built when it is fixed',
    );
  });
});
