/**
 * diffEntries' temporary containers on the real daemon: removed when the consumer stops
 * early, when the signal aborts (while the consumer holds an entry, or while the plan is
 * being made), never created when aborted before; content left unread is drained.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import type { Engine } from '../../src/docker/engine.js';
import { DiffError, diffEntries, withTuning } from '../../src/mounts/diff.js';
import type { RawEntry } from '../../src/mounts/types.js';

const RUN = `r${randomUUID().slice(0, 8)}`;
const LABEL = 'mbuild-test-diff';
const engine = createEngine();
const tags: string[] = [];

async function build(name: string, from: string, run: string): Promise<string> {
  const p = pack();
  p.entry({ name: 'Dockerfile' }, `FROM ${from}\nLABEL ${LABEL}=${RUN}\nRUN ${run}\n`);
  p.finalize();
  const outcome = await engine.build(
    {
      context: Readable.from(p),
      dockerfile: 'Dockerfile',
      builder: 'classic',
      buildId: `mbuild-test-${randomUUID()}`,
      buildArgs: {},
      labels: {},
      network: 'none',
      pull: false,
      noCache: false,
    },
    { signal: new AbortController().signal, onEvent: () => {} },
  );
  if (outcome.kind !== 'succeeded') throw new Error(`test image did not build: ${JSON.stringify(outcome)}`);
  const tag = `mbuild-test-diff-${name}:${RUN}`;
  await engine.tagImage(outcome.imageId, tag);
  tags.push(tag);
  return tag;
}

let A = '';
let B = '';
beforeAll(async () => {
  A = await build('abort-a', 'busybox', 'mkdir /data && echo a > /data/a && echo gone > /data/gone');
  B = await build('abort-b', A, 'rm /data/gone && for i in 1 2 3 4 5; do head -c 300000 /dev/zero > /data/f$i; done');
});

afterAll(async () => {
  for (const t of tags.reverse()) await engine.removeImage(t, { force: true }).catch(() => undefined);
});

/** A fresh label per call, so each test sees only its own containers. */
function start(opts: { engine?: Engine; ac?: AbortController; fallback?: boolean } = {}) {
  const call = randomUUID();
  const ac = opts.ac ?? new AbortController();
  const base = { engine: opts.engine ?? engine, signal: ac.signal, labels: { [LABEL]: RUN, 'mbuild-test-diff-call': call } };
  const r = diffEntries(A, B, '/data', withTuning(base, { mode: opts.fallback ? 'fallback' : 'auto' }));
  const left = async (): Promise<number> => (await engine.listContainers({ labels: [`mbuild-test-diff-call=${call}`] })).length;
  return { r, ac, left };
}

/** Polls a condition (the daemon removes containers asynchronously to our abort). */
async function waitFor(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('diffEntries temporary containers', () => {
  it('drains content the consumer does not read', async () => {
    const { r, left } = start();
    const names: string[] = [];
    for await (const e of r.entries) names.push(e.name);
    expect(names).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    expect(await r.deletions).toEqual(['gone']);
    expect(await r.fastPath).toBe(true);
    expect(await left()).toBe(0);
  });

  it('removes them as soon as the consumer stops early', async () => {
    for (const fallback of [false, true]) {
      const { r, left } = start({ fallback });
      for await (const e of r.entries) {
        expect(e.name).toBe('f1');
        expect(await left()).toBeGreaterThan(0);
        break;
      }
      expect(await left()).toBe(0);
      expect(await r.deletions).toEqual(['gone']);
    }
  });

  it('removes them when the signal aborts while the consumer holds an entry', async () => {
    const { r, ac, left } = start();
    const it = r.entries[Symbol.asyncIterator]();
    const first = await it.next();
    expect((first.value as RawEntry).name).toBe('f1');
    expect(await left()).toBeGreaterThan(0);
    ac.abort(new Error('stop'));
    await waitFor(async () => (await left()) === 0);
    await expect(it.next()).rejects.toThrow();
  });

  it('removes them when the signal aborts while the plan is made, and fails', async () => {
    const ac = new AbortController();
    const aborting = new Proxy(engine, {
      get(target, key, receiver) {
        if (key !== 'createContainer') return Reflect.get(target, key, receiver) as unknown;
        return async (image: string, labels: Record<string, string>) => {
          const id = await target.createContainer(image, labels);
          ac.abort(new Error('stop'));
          return id;
        };
      },
    });
    const { r, left } = start({ engine: aborting, ac, fallback: true });
    await expect(r.entries[Symbol.asyncIterator]().next()).rejects.toThrow('stop');
    await expect(r.deletions).rejects.toThrow('stop');
    await waitFor(async () => (await left()) === 0);
  });

  it('creates none when aborted before the entries are read, or when an image is missing', async () => {
    const ac = new AbortController();
    ac.abort(new Error('early'));
    const { r, left } = start({ ac });
    await expect(r.entries[Symbol.asyncIterator]().next()).rejects.toThrow('early');
    expect(await left()).toBe(0);
    const missing = diffEntries(A, `mbuild-test-diff-absent:${RUN}`, '/data', { engine, signal: new AbortController().signal, labels: {} });
    await expect(missing.entries[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(DiffError);
    await expect(missing.fastPath).rejects.toBeInstanceOf(DiffError);
  });
});
