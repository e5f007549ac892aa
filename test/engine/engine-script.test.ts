/**
 * The foundation check: the project's own engine script leaves a working engine with a
 * local busybox, run twice it reuses what is there, and a one-line Dockerfile builds on it
 * through the Engine module (dockerode).
 */
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import { REPO } from '../helpers/run-cli.js';

const engine = createEngine();
const tag = `mbuild-test-engine-script:${process.pid}`;

afterAll(async () => {
  await engine.removeImage(tag, { force: true }).catch(() => undefined);
});

function oneLineContext(): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile', uid: 0, gid: 0, mode: 0o644 }, 'FROM busybox\n');
  pack.finalize();
  return Readable.from(pack);
}

describe('scripts/engine.sh', () => {
  it('is idempotent: a second run reuses the running engine and the seeded busybox', () => {
    const out = execFileSync('bash', ['scripts/engine.sh'], { cwd: REPO, encoding: 'utf8' });
    expect(out).toContain('engine: using the engine at');
    expect(out).toContain('engine: busybox:latest present');
    expect(out).not.toContain('starting dockerd');
  });

  it('leaves an engine on which a one-line Dockerfile builds', async () => {
    const info = await engine.info();
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    const busybox = await engine.inspectImage('busybox:latest');
    expect(busybox?.hasCmd).toBe(true);
    const outcome = await engine.build(
      {
        context: oneLineContext(),
        dockerfile: 'Dockerfile',
        builder: 'classic',
        buildId: `t-${process.pid}`,
        buildArgs: {},
        labels: { 'io.mbuild.test': 'engine-script' },
        network: 'none',
        pull: false,
        noCache: false,
      },
      { signal: new AbortController().signal, onEvent: () => undefined },
    );
    expect(outcome.kind).toBe('succeeded');
    if (outcome.kind !== 'succeeded') return;
    await engine.tagImage(outcome.imageId, tag);
    const built = await engine.inspectImage(tag);
    expect(built?.id).toBe(outcome.imageId);
    expect(built?.layers).toEqual(busybox?.layers);
  });
});
