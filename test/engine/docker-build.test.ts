/**
 * createEngine().build() against the real Docker daemon, with both builders: success,
 * failures, and cancellation of a running step. Every image is labelled with this run's
 * ID (classic intermediates included, via LABEL in the Dockerfile) and removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/docker/connect.js';
import { DockerodeTransport } from '../../src/docker/dockerode-engine.js';
import type { BuildOutcome, BuildStreamEvent, BuilderKind, Engine } from '../../src/docker/engine.js';
import { HttpEngine } from '../../src/docker/http-engine.js';

const RUN = `r${randomUUID().slice(0, 8)}`;
const LABEL = 'mbuild-test-docker-run';
const engine = createEngine();

/** An uncompressed tar of `files`, streamed by tar-stream (a streamx stream, hence Readable.from). */
function contextTar(files: Record<string, string>): Readable {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  return Readable.from(p);
}

async function build(
  builder: BuilderKind,
  dockerfileBody: string,
  opts: { signal?: AbortSignal; onEvent?: (e: BuildStreamEvent) => void; buildArgs?: Record<string, string>; engine?: Engine } = {},
) {
  const events: BuildStreamEvent[] = [];
  const outcome: BuildOutcome = await (opts.engine ?? engine).build(
    {
      context: contextTar({ Dockerfile: `FROM busybox\nLABEL ${LABEL}=${RUN}\n${dockerfileBody}\n`, 'hello.txt': 'hi\n' }),
      dockerfile: 'Dockerfile',
      builder,
      buildId: `mbuild-test-${RUN}-${randomUUID()}`,
      buildArgs: opts.buildArgs ?? {},
      labels: { 'mbuild.test.builder': builder },
      network: 'none',
      pull: false,
      noCache: false,
    },
    {
      signal: opts.signal ?? new AbortController().signal,
      onEvent: (e) => {
        events.push(e);
        opts.onEvent?.(e);
      },
    },
  );
  return { events, outcome };
}

const docker = (...args: string[]): string[] =>
  execFileSync('docker', args, { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l !== '');
/**
 * Containers (running, or with `all` any state) whose command contains `marker`. Filtering by
 * the step's own command, not `docker ps -q` being empty, keeps this right while other test
 * files build in parallel on the same daemon.
 */
const containersWith = (marker: string, all = false): string[] =>
  docker('ps', ...(all ? ['-a'] : []), '--no-trunc', '--format', '{{.ID}} {{.Command}}').filter((l) => l.includes(marker));
/** PIDs whose command line contains `marker` (the build step's shell). */
function processesWith(marker: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
}

afterAll(async () => {
  for (const tag of docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `label=${LABEL}=${RUN}`)) {
    if (!tag.includes('<none>')) await engine.removeImage(tag, { force: true }).catch(() => undefined);
  }
  // Classic builds leave labelled intermediates (and failed builds leave dangling ones): remove children first.
  for (let round = 0; round < 5; round++) {
    const ids = [...new Set(docker('image', 'ls', '-a', '-q', '--filter', `label=${LABEL}=${RUN}`))];
    if (ids.length === 0) break;
    for (const id of ids) await engine.removeImage(id, { force: true }).catch(() => undefined);
  }
  expect(docker('image', 'ls', '-a', '-q', '--filter', `label=${LABEL}=${RUN}`)).toEqual([]);
});

describe.each(['classic', 'buildkit'] as const)('%s builder', (builder) => {
  it('builds, streams the step output, and the caller can tag the image', async () => {
    const { events, outcome } = await build(builder, `ARG GREETING\nRUN echo "$GREETING from ${builder}"`, {
      buildArgs: { GREETING: `hello-${RUN}` },
    });
    expect(outcome.kind).toBe('succeeded');
    const imageId = outcome.kind === 'succeeded' ? outcome.imageId : '';
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const run = events.find((e) => e.type === 'step-started' && e.name.includes('RUN echo'));
    expect(run).toBeDefined();
    const stepId = run?.type === 'step-started' ? run.stepId : 'none';
    const logs = events.flatMap((e) => (e.type === 'log' && e.stepId === stepId ? [e.text] : []));
    expect(logs.join('\n')).toContain(`hello-${RUN} from ${builder}`);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-completed', stepId, cached: false }));

    const tag = `mbuild-test-docker-${builder}:${RUN}`;
    await engine.tagImage(imageId, tag);
    const info = await engine.inspectImage(tag);
    expect(info).toMatchObject({ id: imageId, repoTags: [tag], hasCmd: true });
    expect(info?.labels).toMatchObject({ [LABEL]: RUN, 'mbuild.test.builder': builder });
  });

  it('fails on RUN exit 3 and names the failing step', async () => {
    const { outcome } = await build(builder, 'RUN exit 3');
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.message).toBe(
      builder === 'classic' ? "The command '/bin/sh -c exit 3' returned a non-zero code: 3" : 'executor failed running [/bin/sh -c exit 3]: exit code: 3',
    );
    // Classic: FROM, LABEL, RUN, plus a 4th LABEL step the daemon appends for the `labels` parameter.
    // BuildKit: LABEL makes no vertex, so FROM is 1/2 and RUN 2/2.
    expect(outcome.step?.name).toBe(builder === 'classic' ? '[3/4] RUN exit 3' : '[2/2] RUN exit 3');
  });

  it('fails on COPY of a file missing from the context', async () => {
    const { outcome } = await build(builder, 'COPY missing.txt /');
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.message).toContain('missing.txt');
  });

  it('cancels a running RUN sleep 30 quickly and leaves nothing running', async () => {
    const marker = `mbuild-sleep-${RUN}-${builder}`;
    const ac = new AbortController();
    const running = build(builder, `RUN sleep 30 && echo ${marker}`, { signal: ac.signal });
    // The step is really running: its shell is a process on this host.
    await expect.poll(() => processesWith(marker).length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    // The classic builder runs the step in a container; BuildKit runs it without one.
    expect(containersWith(marker).length).toBe(builder === 'classic' ? 1 : 0);
    const t0 = performance.now();
    ac.abort();
    const { outcome } = await running;
    expect(outcome).toEqual({ kind: 'cancelled' });
    expect(performance.now() - t0).toBeLessThan(3000);
    await expect.poll(() => processesWith(marker), { timeout: 10_000, interval: 100 }).toEqual([]);
    // Stopped and removed (forcerm), not just stopped.
    await expect.poll(() => containersWith(marker, true), { timeout: 10_000, interval: 100 }).toEqual([]);
  });
});

describe('the dockerode transport (what ssh:// endpoints use), on the same daemon through its unix socket', () => {
  const endpoint = engine.endpoint;
  const viaDockerode = new HttpEngine(new DockerodeTransport(endpoint, { transport: 'unix', socketPath: endpoint.url.replace(/^unix:\/\//, '') }, process.env));

  it.each(['classic', 'buildkit'] as const)('negotiates, builds with %s, tags and inspects like the default transport', async (builder) => {
    expect((await viaDockerode.info()).apiVersion).toBe((await engine.info()).apiVersion);
    const { events, outcome } = await build(builder, `RUN echo "dockerode ${RUN}"`, { engine: viaDockerode });
    expect(outcome.kind).toBe('succeeded');
    const imageId = outcome.kind === 'succeeded' ? outcome.imageId : '';
    expect(events.some((e) => e.type === 'log' && e.text.includes(`dockerode ${RUN}`))).toBe(true);
    const tag = `mbuild-test-dockerode-${builder}:${RUN}`;
    await viaDockerode.tagImage(imageId, tag);
    expect(await engine.inspectImage(tag)).toMatchObject({ id: imageId, repoTags: [tag] });
    expect(await viaDockerode.inspectImage(`mbuild-test-no-such-image:${RUN}`)).toBeUndefined();
  });
});
