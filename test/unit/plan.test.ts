/**
 * The planner on in-memory build files. The graph under test:
 *
 *   base ──FROM──> api ──args──> e2e
 *     │             ▲
 *     └──FROM──> web┘ (mount)      tools ──depends_on──> docs
 */
import { describe, expect, it } from 'vitest';
import { createPlan, selectImages } from '../../src/plan/plan.js';
import { familiarRef } from '../../src/plan/graph.js';
import type { BuildFile, ImageSpec } from '../../src/config/types.js';
import type { DockerfileReference } from '../../src/plan/types.js';

function image(name: string, over: Partial<ImageSpec> = {}): ImageSpec {
  return {
    name,
    context: `/p/${name}`,
    dockerfile: { kind: 'inline', text: 'FROM busybox' },
    args: {},
    tags: [`p-${name}:latest`],
    labels: {},
    dependsOn: [],
    mounts: [],
    contexts: new Map(),
    outputs: [],
    inputs: 'read',
    pull: false,
    push: false,
    noCache: false,
    secrets: [],
    ssh: [],
    secretInKey: false,
    origins: { self: ['images', name], keys: {}, args: {}, labels: {} },
    ...over,
  };
}

function file(images: ImageSpec[], groups: Record<string, string[]> = {}): BuildFile {
  return {
    source: { path: '/p/mbuild.yaml', text: '' },
    root: '/p',
    name: 'p',
    vars: {},
    images: new Map(images.map((i) => [i.name, i])),
    groups: new Map(Object.entries(groups)),
    cache: { from: [] },
    locate: {
      value: () => ({ file: { path: '', text: '' }, range: { offset: 0, length: 0 } }),
      key: () => ({ file: { path: '', text: '' }, range: { offset: 0, length: 0 } }),
    },
  };
}

const shop = file(
  [
    image('base', { tags: ['shop/base:dev'] }),
    image('web'),
    image('api', { mounts: [{ from: 'web', source: { kind: 'image', image: 'web' }, path: '/dist', to: 'static', origin: [] }] }),
    image('e2e', { args: { API: { kind: 'image', image: 'api' } } }),
    image('tools'),
    image('docs', { dependsOn: ['tools'] }),
  ],
  { backend: ['api'] },
);

const refs = new Map<string, DockerfileReference[]>([
  ['api', [{ ref: 'shop/base:dev', line: 1, kind: 'from' }]],
  [
    'web',
    [
      { ref: 'docker.io/shop/base:dev', line: 3, kind: 'copy-from' },
      { ref: 'busybox', line: 1, kind: 'from' },
    ],
  ],
]);

describe('createPlan', () => {
  it('finds edges in args, mounts, depends_on and Dockerfiles, and orders upstream first', () => {
    const plan = createPlan(shop, refs, []);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.value.waves).toEqual([['base', 'tools'], ['web', 'docs'], ['api'], ['e2e']]);
    expect(plan.value.criticalPath).toEqual(['base', 'web', 'api', 'e2e']);
    const api = plan.value.images.find((i) => i.name === 'api')!;
    expect(api.dependsOn).toEqual([
      { image: 'base', kind: 'from', detail: 'Dockerfile line 1: shop/base:dev' },
      { image: 'web', kind: 'mounts', detail: 'mount web:/dist' },
    ]);
    expect(api.dependents).toEqual(['e2e']);
    expect(plan.value.images.map((i) => [i.name, i.tags])).toEqual([
      ['base', ['shop/base:dev']],
      ['tools', ['p-tools:latest']],
      ['web', ['p-web:latest']],
      ['docs', ['p-docs:latest']],
      ['api', ['p-api:latest']],
      ['e2e', ['p-e2e:latest']],
    ]);
    expect(plan.value.images.map((i) => [i.name, i.remainingPath])).toEqual([
      ['base', 4],
      ['tools', 2],
      ['web', 3],
      ['docs', 1],
      ['api', 2],
      ['e2e', 1],
    ]);
    // Pure data: survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(plan.value))).toEqual(plan.value);
  });

  it('builds the requested images plus everything they depend on, and nothing else', () => {
    const plan = createPlan(shop, refs, ['backend']);
    expect(plan.ok && plan.value.images.map((i) => i.name)).toEqual(['base', 'web', 'api']);
    const docs = createPlan(shop, refs, ['docs']);
    expect(docs.ok && docs.value.images.map((i) => i.name)).toEqual(['tools', 'docs']);
  });

  it('uses the default group when no names are given', () => {
    const withDefault = file([image('a'), image('b')], { default: ['b'] });
    expect(selectImages(withDefault, [])).toEqual({ ok: true, value: ['b'] });
    expect(selectImages(file([image('a'), image('b')]), [])).toEqual({ ok: true, value: ['a', 'b'] });
    expect(selectImages(withDefault, ['zzz'])).toEqual({ ok: false, error: { reason: 'unknown-name', name: 'zzz' } });
  });

  it('reports a cycle closed by a Dockerfile FROM with every edge', () => {
    const f = file([image('a', { tags: ['x/a'] }), image('b', { args: { A: { kind: 'image', image: 'a' } } })]);
    const plan = createPlan(f, new Map([['a', [{ ref: 'p-b', line: 2, kind: 'from' as const }]]]), []);
    expect(plan).toEqual({
      ok: false,
      error: {
        reason: 'cycle',
        cycle: ['a', 'b', 'a'],
        edges: [
          { from: 'a', image: 'b', kind: 'from', detail: 'Dockerfile line 2: p-b' },
          { from: 'b', image: 'a', kind: 'args', detail: 'arg A' },
        ],
      },
    });
  });

  it('ignores a FROM of its own tag (a rebuild on top of the previous image is not an edge)', () => {
    const f = file([image('a')]);
    const plan = createPlan(f, new Map([['a', [{ ref: 'p-a:latest', line: 1, kind: 'from' as const }]]]), []);
    expect(plan.ok && plan.value.images[0]!.dependsOn).toEqual([]);
  });
});

describe('createPlan on large graphs (no recursion per image)', () => {
  const chain = (n: number, last: Partial<ImageSpec> = {}) =>
    file(Array.from({ length: n }, (_, i) => image(`i${i}`, i < n - 1 ? { dependsOn: [`i${i + 1}`] } : last)));

  it('plans a chain of 20,000 images: one wave each, the whole chain critical', () => {
    const plan = createPlan(chain(20_000), new Map(), ['i0']);
    if (!plan.ok) throw new Error(JSON.stringify(plan.error));
    expect(plan.value.images.map((i) => i.name).slice(0, 2)).toEqual(['i19999', 'i19998']);
    expect(plan.value.waves).toHaveLength(20_000);
    expect(plan.value.images.at(-1)).toMatchObject({ name: 'i0', wave: 19_999, remainingPath: 1 });
    expect(plan.value.images[0]).toMatchObject({ wave: 0, remainingPath: 20_000 });
    expect(plan.value.criticalPath).toHaveLength(20_000);
  });

  it('finds the cycle that closes a chain of 100,000 images', () => {
    const plan = createPlan(chain(100_000, { dependsOn: ['i0'] }), new Map(), ['i0']);
    expect(plan.ok).toBe(false);
    if (plan.ok || plan.error.reason !== 'cycle') throw new Error('expected a cycle');
    expect(plan.error.cycle).toHaveLength(100_001);
    expect(plan.error.cycle[0]).toBe('i0');
  });

  it('plans an image that waits for 150,000 others', () => {
    const many = Array.from({ length: 150_000 }, (_, i) => image(`u${i}`));
    const plan = createPlan(file([...many, image('top', { dependsOn: many.map((m) => m.name) })]), new Map(), ['top']);
    if (!plan.ok) throw new Error(JSON.stringify(plan.error));
    expect(plan.value.waves.map((w) => w.length)).toEqual([150_000, 1]);
    expect(plan.value.criticalPath).toEqual(['u0', 'top']);
  });
});

describe('familiarRef', () => {
  it.each([
    ['busybox', 'busybox:latest'],
    ['docker.io/library/busybox:1', 'busybox:1'],
    ['localhost:5000/x', 'localhost:5000/x:latest'],
    ['x@sha256:abc', 'x@sha256:abc'],
  ])('%s -> %s', (a, b) => expect(familiarRef(a)).toBe(b));
});
