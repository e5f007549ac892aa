/**
 * The image and container methods of createEngine() against the real daemon: tag, inspect,
 * list by label, create (incl. an image with no CMD), archive, export, remove.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';

const RUN = `r${randomUUID().slice(0, 8)}`;
const LABEL = 'mbuild-test-docker-run';
const engine = createEngine();
const TAG = `mbuild-test-docker-img:${RUN}`;
const NOCMD_TAG = `mbuild-test-docker-nocmd:${RUN}`;
const containers: string[] = [];

async function buildImage(dockerfile: string, tag: string): Promise<string> {
  const p = pack();
  p.entry({ name: 'Dockerfile' }, `FROM busybox\nLABEL ${LABEL}=${RUN}\n${dockerfile}\n`);
  p.finalize();
  const outcome = await engine.build(
    {
      context: Readable.from(p),
      dockerfile: 'Dockerfile',
      builder: 'buildkit',
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
  await engine.tagImage(outcome.imageId, tag);
  return outcome.imageId;
}

/** name → content of every file in a tar stream. */
async function untar(stream: Readable): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(Buffer.from(c as Uint8Array)));
      body.on('end', () => {
        files.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  stream.pipe(x);
  await done;
  return files;
}

let imageId = '';
beforeAll(async () => {
  imageId = await buildImage(`RUN echo content-${RUN} > /out.txt`, TAG);
  await buildImage('CMD []', NOCMD_TAG);
});

afterAll(async () => {
  for (const c of containers) await engine.removeContainer(c).catch(() => undefined);
  for (const t of [TAG, NOCMD_TAG]) await engine.removeImage(t, { force: true }).catch(() => undefined);
  expect(await engine.listImages({ labels: [`${LABEL}=${RUN}`] })).toEqual([]);
});

describe('images', () => {
  it('inspects by tag and lists by label', async () => {
    const info = await engine.inspectImage(TAG);
    expect(info).toMatchObject({ id: imageId, repoTags: [TAG], hasCmd: true, labels: { [LABEL]: RUN } });
    expect(info?.layers.length).toBeGreaterThan(0);
    expect(info?.size).toBeGreaterThan(0);
    const listed = await engine.listImages({ labels: [`${LABEL}=${RUN}`] });
    expect(listed.map((i) => i.repoTags.join(',')).sort()).toEqual([TAG, NOCMD_TAG].sort());
    expect(await engine.listImages({ labels: [`${LABEL}=no-such-run`] })).toEqual([]);
  });

  it('returns undefined for an image that does not exist', async () => {
    expect(await engine.inspectImage(`mbuild-test-docker-absent:${RUN}`)).toBeUndefined();
  });

  it('exports the image as a docker save tar', async () => {
    const files = await untar(await engine.exportImage(TAG));
    expect(JSON.parse(files.get('manifest.json') ?? '[]')).toEqual([expect.objectContaining({ RepoTags: [TAG] })]);
  });
});

describe('containers', () => {
  it('creates a labelled container, reads a file from it, and removes it', async () => {
    const id = await engine.createContainer(TAG, { [LABEL]: RUN, 'mbuild.test': 'archive' });
    containers.push(id);
    expect(await engine.listContainers({ labels: [`${LABEL}=${RUN}`, 'mbuild.test=archive'] })).toEqual([
      { id, labels: { [LABEL]: RUN, 'mbuild.test': 'archive' }, imageId: (await engine.inspectImage(TAG))?.id },
    ]);

    const got = await engine.getArchive(id, '/out.txt');
    expect(got?.stat).toMatchObject({ name: 'out.txt', size: `content-${RUN}\n`.length, linkTarget: '' });
    expect(await untar(got!.stream)).toEqual(new Map([['out.txt', `content-${RUN}\n`]]));
    expect(await engine.getArchive(id, '/no/such/path')).toBeUndefined();

    await engine.removeContainer(id);
    expect(await engine.listContainers({ labels: [`${LABEL}=${RUN}`, 'mbuild.test=archive'] })).toEqual([]);
  });

  it('creates a container from an image with neither CMD nor ENTRYPOINT', async () => {
    expect((await engine.inspectImage(NOCMD_TAG))?.hasCmd).toBe(false);
    const id = await engine.createContainer(NOCMD_TAG, { [LABEL]: RUN });
    containers.push(id);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a missing container as an error, not as a missing path', async () => {
    await expect(engine.getArchive(`mbuild-test-docker-${RUN}`, '/out.txt')).rejects.toThrow(/No such container/);
  });
});
