/**
 * Temporary containers under Ctrl-C and kill -9, with `mbuild up` as a real child process
 * (needs the compiled CLI: `npx tsc -p .`). The source is an image holding a 4 GiB sparse
 * file, so that reading it takes long enough to interrupt:
 *  - SIGINT while a mount is read: exit 130, the container is gone when the process is;
 *  - SIGINT while an output is copied: the previous output is intact, no temporary sibling;
 *  - SIGKILL: the container stays, and the next `mbuild up` removes it (its process is dead).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { docker } from '../helpers/engine-docker.js';
import { spawnCli } from '../helpers/run-cli.js';
import { mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const projects: MountsProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

const TREE = {
  'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  big:
    context: big
  reader:
    context: c
    mounts: [{from: big, path: /big, to: m}]
  copier:
    context: o
    outputs: [{path: /big, to: out/big, replace: true}] # its previous output is put there by the test
  small:
    context: c2
`,
  // No per-project line before RUN: the (slow to commit) layer is shared by every run through the build cache.
  'big/Dockerfile': 'FROM busybox\nRUN mkdir /big && truncate -s 4G /big/zeros # mbuild-test-mounts-interrupt\n',
  'c/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nCOPY m /m\n',
  'o/Dockerfile': 'FROM __NAME__-big:latest\nLABEL mbt.project=__NAME__\n',
  'c2/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\n',
};

async function project(label: string): Promise<MountsProject> {
  const p = mountsProject(label, TREE);
  projects.push(p);
  const built = await p.run(['up', 'big', '--progress', 'plain']);
  expect(built.code, built.stderr).toBe(0);
  return p;
}

/** Starts `mbuild up IMAGE` and resolves once it has a temporary container. */
async function upUntilTempContainer(p: MountsProject, image: string) {
  const cli = spawnCli(['up', image, '--progress', 'plain'], { cwd: p.dir });
  const pid = cli.child.pid!;
  await expect.poll(() => tempContainersOf(pid).length, { timeout: 60_000, interval: 50 }).toBe(1);
  return { cli, pid };
}

describe('temporary containers', () => {
  it('are removed when Ctrl-C interrupts a mount', async () => {
    const p = await project('int-mount');
    const { cli, pid } = await upUntilTempContainer(p, 'reader');
    process.kill(pid, 'SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(tempContainersOf(pid)).toEqual([]);
  });

  it('are removed when Ctrl-C interrupts an output, and the previous output stays as it was', async () => {
    const p = await project('int-output');
    mkdirSync(join(p.dir, 'out/big'), { recursive: true });
    writeFileSync(join(p.dir, 'out/big/previous.txt'), 'previous');
    const { cli, pid } = await upUntilTempContainer(p, 'copier');
    process.kill(pid, 'SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(tempContainersOf(pid)).toEqual([]);
    expect(readdirSync(join(p.dir, 'out'))).toEqual(['big']);
    expect(readdirSync(join(p.dir, 'out/big'))).toEqual(['previous.txt']);
    expect(readFileSync(join(p.dir, 'out/big/previous.txt'), 'utf8')).toBe('previous');
  });

  it('left by a killed mbuild are removed by the next `mbuild up`', async () => {
    const p = await project('kill');
    const { cli, pid } = await upUntilTempContainer(p, 'reader');
    process.kill(-pid, 'SIGKILL');
    await cli.done;
    const left = tempContainersOf(pid);
    expect(left).toHaveLength(1);
    expect(docker('inspect', '--format', '{{index .Config.Labels "io.mbuild.pid"}} {{index .Config.Labels "io.mbuild.temp"}}', left[0]!)).toEqual([`${pid} 1`]);
    const next = await p.run(['up', 'small', '--progress', 'plain']);
    expect(next.code, next.stderr).toBe(0);
    expect(tempContainersOf(pid)).toEqual([]);
  });
});
