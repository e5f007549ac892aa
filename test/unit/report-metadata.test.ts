/** The metadata document (report/metadata.ts): events in, the document `--metadata-file` writes out. */
import { describe, expect, it } from 'vitest';
import type { BuildEvent, Failure, ImageOutcome } from '../../src/core/events.js';
import { METADATA_VERSION, MetadataCollector, metadataJson } from '../../src/report/metadata.js';

const ID = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const DIGEST = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64).replace(/./, 'd')}`;

const built = (n: number): ImageOutcome => ({ kind: 'built', imageId: ID(n), durationMs: 1200, size: 4_000_000 });
const upToDate = (n: number, cache?: string): ImageOutcome => ({ kind: 'up-to-date', imageId: ID(n), size: 4_000_000, ...(cache !== undefined && { cache }) });
const failed = (failure: Failure): ImageOutcome => ({ kind: 'failed', failure, durationMs: 10 });

const started = (images: string[]): BuildEvent => ({ type: 'run-started', images, jobs: 4, builder: 'buildkit' });
const finished = (results: [string, ImageOutcome][], interrupted = false): BuildEvent => ({
  type: 'run-finished',
  results: results.map(([image, outcome]) => ({ image, outcome })),
  durationMs: 5000,
  interrupted,
});
const done = (image: string, outcome: ImageOutcome, tags: string[] = []): BuildEvent => ({ type: 'image-done', image, outcome, tags });

function collect(events: readonly BuildEvent[], into = new MetadataCollector()): MetadataCollector {
  for (const e of events) into.onEvent(e);
  return into;
}

describe('MetadataCollector', () => {
  it("an image of the same key as another of the run (issue 23): built, with sameAs and that image's why; its failure names it", () => {
    const same: ImageOutcome = { kind: 'same-as', imageId: ID(1), durationMs: 900, size: 4_000_000, sameAs: 'a', why: 'first build' };
    const sameFailed = failed({ reason: 'same-as-failed', image: 'a' });
    const doc = collect([
      started(['a', 'b', 'c']),
      { type: 'image-started', image: 'a', why: 'first build' },
      done('a', built(1), ['a:1']),
      done('b', same, ['b:1']),
      finished([
        ['a', built(1)],
        ['b', same],
        ['c', sameFailed],
      ]),
    ]).document();
    expect(doc.images['b']).toEqual({ result: 'built', why: 'first build', sameAs: 'a', imageId: ID(1), tags: ['b:1'] });
    expect(doc.images['c']).toEqual({
      result: 'failed',
      failure: { reason: 'same-as-failed', message: 'same key as a, whose build failed', sameAs: 'a' },
    });
  });

  it('a whole run: built, pushed, stored in the cache, up to date from the cache, failed, skipped', () => {
    const c = collect([
      started(['base', 'api', 'web', 'worker']),
      { type: 'image-queued', image: 'base' },
      { type: 'image-started', image: 'base', why: 'context changed: src/app.js' },
      { type: 'image-step', image: 'base', step: '[1/2] FROM busybox', cached: true },
      { type: 'image-log', image: 'base', line: 'ok' },
      done('base', built(1), ['reg.local/base:1', 'reg.local/base:latest']),
      done('api', upToDate(2, 'reg.local/cache:3f9a'), ['reg.local/api:1']),
      { type: 'cache-stored', image: 'base', ref: 'reg.local/cache:77aa', digest: DIGEST(9) },
      { type: 'push-started', image: 'base', ref: 'reg.local/base:latest' },
      { type: 'push-progress', image: 'base', ref: 'reg.local/base:latest', current: 10, total: 20 },
      // The second tag finishes first: the document lists pushes in the order of the tags.
      { type: 'push-done', image: 'base', ref: 'reg.local/base:latest', digest: DIGEST(1), via: 'push' },
      { type: 'push-done', image: 'base', ref: 'reg.local/base:1', digest: DIGEST(1), via: 'push' },
      { type: 'push-done', image: 'api', ref: 'reg.local/api:1', digest: DIGEST(2), via: 'copy' },
      { type: 'image-started', image: 'web', why: 'no image built with this key' },
      done('web', failed({ reason: 'build-failed', message: 'exit code 1', step: '[2/3] RUN make', logTail: ['make: *** Error 1'] })),
      done('worker', failed({ reason: 'dependency-failed', dependency: 'web' })),
      finished([
        ['base', built(1)],
        ['api', upToDate(2, 'reg.local/cache:3f9a')],
        ['web', failed({ reason: 'build-failed', message: 'exit code 1', step: '[2/3] RUN make', logTail: [] })],
        ['worker', failed({ reason: 'dependency-failed', dependency: 'web' })],
      ]),
    ]);
    const doc = c.document();
    expect(doc).toStrictEqual({
      version: 1,
      images: {
        api: {
          result: 'up-to-date',
          imageId: ID(2),
          tags: ['reg.local/api:1'],
          cache: 'reg.local/cache:3f9a',
          pushed: [{ ref: 'reg.local/api:1', digest: DIGEST(2), via: 'copy' }],
        },
        base: {
          result: 'built',
          why: 'context changed: src/app.js',
          imageId: ID(1),
          tags: ['reg.local/base:1', 'reg.local/base:latest'],
          cacheStored: 'reg.local/cache:77aa',
          pushed: [
            { ref: 'reg.local/base:1', digest: DIGEST(1), via: 'push' },
            { ref: 'reg.local/base:latest', digest: DIGEST(1), via: 'push' },
          ],
        },
        web: { result: 'failed', why: 'no image built with this key', failure: { reason: 'build-failed', message: 'exit code 1', step: '[2/3] RUN make' } },
        worker: { result: 'skipped', failure: { reason: 'dependency-failed', message: 'web failed', dependency: 'web' } },
      },
    });
    // Names in order, and each entry's keys in the documented order.
    expect(Object.keys(doc.images)).toEqual(['api', 'base', 'web', 'worker']);
    expect(Object.keys(doc.images['base']!)).toEqual(['result', 'why', 'imageId', 'tags', 'cacheStored', 'pushed']);
    expect(Object.keys(doc.images['api']!)).toEqual(['result', 'imageId', 'tags', 'cache', 'pushed']);
    // What a CI script reads: jq '.images.base.pushed[0].digest'.
    const parsed = JSON.parse(metadataJson(doc)) as { images: Record<string, { pushed?: { digest: string }[] }> };
    expect(parsed.images['base']?.pushed?.[0]?.digest).toBe(DIGEST(1));
    expect(METADATA_VERSION).toBe(1);
  });

  it('a push failure: the image is failed, keeps its ID and tags and the pushes that succeeded', () => {
    const events: BuildEvent[] = [
      started(['api']),
      { type: 'image-started', image: 'api', why: 'arg VERSION changed' },
      done('api', built(3), ['reg.local/api:1', 'reg.local/api:2', 'reg.local/api:3']),
      { type: 'push-failed', image: 'api', ref: 'reg.local/api:3', message: 'denied: requested access to the resource is denied' },
      { type: 'push-done', image: 'api', ref: 'reg.local/api:1', digest: DIGEST(3), via: 'push' },
      { type: 'push-failed', image: 'api', ref: 'reg.local/api:2', message: 'connection refused' },
    ];
    const expected = {
      result: 'failed',
      why: 'arg VERSION changed',
      imageId: ID(3),
      tags: ['reg.local/api:1', 'reg.local/api:2', 'reg.local/api:3'],
      pushed: [{ ref: 'reg.local/api:1', digest: DIGEST(3), via: 'push' }],
      // The first failed tag in the order of the tags, not of the events.
      failure: { reason: 'push-failed', message: 'connection refused', ref: 'reg.local/api:2' },
    };
    expect(collect(events).document().images['api']).toStrictEqual(expected);
    // The final outcome says so too (or not): the same entry.
    const final = failed({ reason: 'push-failed', ref: 'reg.local/api:2', message: 'connection refused' });
    expect(collect([...events, finished([['api', final]])]).document().images['api']).toStrictEqual(expected);
    expect(collect([...events, finished([['api', built(3)]])]).document().images['api']).toStrictEqual(expected);
  });

  it('a push failure known only from the final outcome', () => {
    const c = collect([
      started(['api']),
      done('api', upToDate(4), ['reg.local/api:1']),
      finished([['api', failed({ reason: 'push-failed', ref: 'reg.local/api:1', message: 'unauthorized' })]]),
    ]);
    expect(c.document().images['api']).toStrictEqual({
      result: 'failed',
      imageId: ID(4),
      tags: ['reg.local/api:1'],
      failure: { reason: 'push-failed', message: 'unauthorized', ref: 'reg.local/api:1' },
    });
  });

  it('an interrupted run: cancelled and not started, without a failure; an image with no outcome yet is not started', () => {
    const c = collect([
      started(['a', 'b', 'c', 'd']),
      { type: 'image-started', image: 'a', why: 'first build' },
      done('a', failed({ reason: 'cancelled' })),
      done('b', failed({ reason: 'not-started' })),
      done('c', failed({ reason: 'engine-error', message: 'the engine went away' })),
    ]);
    expect(c.document().images).toStrictEqual({
      a: { result: 'cancelled', why: 'first build' },
      b: { result: 'not-started' },
      c: { result: 'failed', failure: { reason: 'engine-error', message: 'the engine went away' } },
      d: { result: 'not-started' },
    });
  });

  it('several runs (watch): each image as its last run left it', () => {
    const c = collect([
      started(['a', 'b']),
      { type: 'image-started', image: 'a', why: 'first build' },
      done('a', built(1), ['p-a:latest']),
      { type: 'push-done', image: 'a', ref: 'p-a:latest', digest: DIGEST(1), via: 'push' },
      { type: 'image-started', image: 'b', why: 'first build' },
      done('b', built(2), ['p-b:latest']),
      finished([
        ['a', built(1)],
        ['b', built(2)],
      ]),
    ]);
    const first = c.document();
    collect(
      [
        started(['a']),
        { type: 'image-started', image: 'a', why: 'context changed: a.txt' },
        done('a', failed({ reason: 'build-failed', message: 'exit code 2', logTail: [] })),
        finished([['a', failed({ reason: 'build-failed', message: 'exit code 2', logTail: [] })]]),
      ],
      c,
    );
    expect(c.document().images['b']).toEqual(first.images['b']);
    expect(c.document().images['a']).toEqual({ result: 'failed', why: 'context changed: a.txt', failure: { reason: 'build-failed', message: 'exit code 2' } });
    collect([started(['a']), done('a', upToDate(1), ['p-a:latest']), finished([['a', upToDate(1)]])], c);
    expect(c.document().images['a'], 'no why, no pushes, no failure left from earlier runs').toEqual({
      result: 'up-to-date',
      imageId: ID(1),
      tags: ['p-a:latest'],
    });
  });

  it('an empty collector is an empty document', () => {
    const doc = new MetadataCollector().document();
    expect(doc).toEqual({ version: 1, images: {} });
    expect(metadataJson(doc)).toBe('{\n  "version": 1,\n  "images": {}\n}\n');
  });
});

describe('metadataJson', () => {
  it('is the document as indented JSON, images in text order even for names that look like numbers', () => {
    const c = collect([started(['b', 'a', '10', '2']), ...['b', 'a', '10', '2'].map((n, i) => done(n, built(i + 1), [`p-${n}:latest`]))]);
    const doc = c.document();
    const text = metadataJson(doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect([...text.matchAll(/^ {4}"([^"]+)": \{$/gm)].map((m) => m[1])).toEqual(['10', '2', 'a', 'b']);
    const plain = collect([started(['web', 'api']), done('api', built(1), ['p-api:1']), done('web', upToDate(2), [])]).document();
    expect(metadataJson(plain)).toBe(`${JSON.stringify(plain, null, 2)}\n`);
  });
});
