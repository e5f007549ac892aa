/**
 * A build is either taken by a run (found up to date) or removed by the live garbage policy,
 * never both (cache/image-index.ts BuildClaims, cli/gc-live.ts), on fake engines: the race of
 * an image not yet done whose key is that of a build the policy has just selected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeBuilt } from '../../src/cache/gc-record.js';
import { ImageIndex } from '../../src/cache/image-index.js';
import { LiveGc } from '../../src/cli/gc-live.js';
import type { ImageInfo, ImageSummary } from '../../src/docker/engine.js';
import { testdir } from '../helpers/testdir.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});

/** app's builds, newest first: with keep 3, the last is garbage once app is done. */
const IDS = ['sha256:i5', 'sha256:i4', 'sha256:i3', 'sha256:i2'];
const keyOf = (id: string) => `k${id.slice(-1)}`;

/** A checkout whose state records app's history `IDS` and built them all. */
function checkout(): string {
  const t = testdir({ '.mbuild/state/app.json.key': IDS.map((id) => `${keyOf(id)} ${id}\n`).join('') });
  cleanups.push(t.cleanup);
  return t.dir;
}

const summary = (id: string): ImageSummary => ({
  id,
  repoTags: [],
  labels: { 'io.mbuild.project': 'p', 'io.mbuild.image': 'app', 'io.mbuild.key': keyOf(id) },
});

function engine(o: { inspect?: (id: string) => Promise<void> } = {}) {
  const removed: string[] = [];
  const images = IDS.map(summary);
  return {
    removed,
    engine: {
      listImages: async (f: { labels: readonly string[]; reference?: string }) =>
        f.reference === undefined ? images.filter((i) => !removed.includes(i.id)) : [],
      listContainers: async () => [],
      removeImage: async (ref: string) => void removed.push(ref),
      /** Answers from the engine as it is when asked; `o.inspect` may hold the answer. */
      inspectImage: async (ref: string): Promise<ImageInfo | undefined> => {
        const i = images.find((x) => x.id === ref && !removed.includes(ref));
        await o.inspect?.(ref);
        return i && { id: i.id, repoTags: [], labels: i.labels, size: 1, created: '', layers: [], hasCmd: true, onBuild: [], env: [] };
      },
    },
  };
}

async function liveGc(root: string, e: ReturnType<typeof engine>['engine'], index: ImageIndex): Promise<string[]> {
  await writeBuilt(root, IDS);
  const live = new LiveGc(e, root, 'p', 3, new AbortController().signal, index.claims('p'));
  live.onEvent({ type: 'image-done', image: 'app', tags: [], outcome: { kind: 'built', imageId: IDS[0]!, durationMs: 1, size: 1 } });
  return (await live.finish()).images.map((i) => i.imageId);
}

describe('the live garbage policy and the builds a run takes', () => {
  it('removes the superseded build nothing took (the policy as it is)', async () => {
    const root = checkout();
    const e = engine();
    expect(await liveGc(root, e.engine, new ImageIndex(e.engine))).toEqual(['sha256:i2']);
    expect(e.removed).toEqual(['sha256:i2']);
  });

  it('keeps a superseded build an image of the run found up to date (its key is that build’s)', async () => {
    const root = checkout();
    const e = engine();
    const index = new ImageIndex(e.engine);
    // Another image whose key is i2's (one with the same inputs, reverted to them) finds it first.
    expect(await index.run('p', root).find('app', 'k2')).toMatchObject({ imageId: 'sha256:i2' });
    expect(await liveGc(root, e.engine, index)).toEqual([]);
    expect(e.removed).toEqual([]);
  });

  it('does not find a build whose removal has started, even when its inspect answered before the removal', async () => {
    const root = checkout();
    let answer!: () => void;
    const held = new Promise<void>((r) => (answer = r));
    let asked!: () => void;
    const inspected = new Promise<void>((r) => (asked = r));
    const e = engine({
      inspect: async (id) => {
        if (id !== 'sha256:i2') return;
        asked();
        await held;
      },
    });
    const index = new ImageIndex(e.engine);
    const finding = index.run('p', root).find('app', 'k2');
    await inspected;
    // The inspect found i2; before its answer reaches the run, the policy removes i2.
    expect(await liveGc(root, e.engine, index)).toEqual(['sha256:i2']);
    answer();
    expect(await finding).toBeUndefined();
  });
});
