/**
 * Hostile mount and output sources, made by building an image that holds them, on the real
 * engine with both builders: absolute symlinks, symlinks out of the mount (directly and
 * through another symlink), a fifo, a character device, a hard link out of the mount, a
 * missing path and a missing external image. Each consumer fails with its stated error
 * (and is never built: its context never completes), nothing lands outside, the hard link
 * arrives as a plain copy, and no temporary container is left.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idOf } from '../helpers/engine-docker.js';
import { mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const projects: MountsProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

const consumer = (path: string, from = 'hostile') => `    context: c\n    mounts: [{from: "${from}", path: ${path}, to: m}]\n`;

const TREE = {
  'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  hostile:
    context: hostile
  abs:
${consumer('/h/abs')}  up:
${consumer('/h/up')}  chain:
${consumer('/h/chain')}  fifo:
${consumer('/h/fifo')}  dev:
${consumer('/h/dev')}  missing:
${consumer('/h/nope')}  external:
${consumer('/x', 'mbuild-test-mounts-absent:nope')}  hardout:
${consumer('/h/hard')}  outabs:
    context: o
    outputs: [{path: /h/abs, to: out/abs}]
  outfifo:
    context: o
    outputs: [{path: /h/fifo, to: out/fifo}]
`,
  'hostile/Dockerfile': `FROM busybox
LABEL mbt.project=__NAME__
RUN mkdir -p /h/abs /h/up/sub /h/chain /h/fifo /h/dev /h/hard \\
 && ln -s /etc/passwd /h/abs/passwd \\
 && ln -s ../../../etc/passwd /h/up/sub/passwd \\
 && ln -s . /h/chain/b && ln -s b/.. /h/chain/a \\
 && mkfifo /h/fifo/pipe \\
 && mknod /h/dev/null c 1 3 \\
 && echo secret > /etc/secret && ln /etc/secret /h/hard/x
`,
  'c/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nCOPY m /m\n',
  'o/Dockerfile': 'FROM __NAME__-hostile:latest\nLABEL mbt.project=__NAME__\n',
};

const REFUSED: Record<string, string> = {
  abs: 'mount hostile:/h/abs -> m: refusing symlink /h/abs/passwd -> /etc/passwd: absolute symlink targets are not allowed (only relative targets inside the mount)',
  up: 'mount hostile:/h/up -> m: refusing symlink /h/up/sub/passwd -> ../../../etc/passwd: the target leaves the mount',
  chain: 'mount hostile:/h/chain -> m: refusing symlink /h/chain/a -> b/..: through other symlinks, the target leaves the mount',
  fifo: 'mount hostile:/h/fifo -> m: refusing fifo /h/fifo/pipe: only files, folders and symlinks can be mounted',
  dev: 'mount hostile:/h/dev -> m: refusing character device /h/dev/null: only files, folders and symlinks can be mounted',
};

describe.each(['buildkit', 'classic'] as const)('hostile sources, --builder %s', (builder) => {
  it('refuses each with its error, lets nothing out, and leaves no temporary container', async () => {
    const p = mountsProject(`hostile-${builder.slice(0, 2)}`, TREE);
    projects.push(p);
    const r = await p.run([
      'up',
      '-k',
      '--builder',
      builder,
      '--progress',
      'plain',
      ...Object.keys(REFUSED),
      'missing',
      'external',
      'hardout',
      'outabs',
      'outfifo',
    ]);
    expect(r.code).toBe(1);
    expect(tempContainersOf(process.pid)).toEqual([]);
    const hostileId = idOf(`${p.name}-hostile:latest`)!;
    expect(hostileId).toBeDefined();
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors.sort()).toEqual(
      [
        ...Object.entries(REFUSED).map(([image, message]) => `error: image '${image}' mount failed: ${message}`),
        `error: image 'missing' mount failed: mount hostile:/h/nope -> m: /h/nope does not exist in image hostile (${hostileId.slice(7, 19)})`,
        "error: image 'external' mount failed: mount mbuild-test-mounts-absent:nope:/x -> m: image mbuild-test-mounts-absent:nope does not exist locally (mbuild never pulls a mount source; pull or build it first)",
        "error: image 'outabs' output failed: output /h/abs -> out/abs: refusing symlink /h/abs/passwd -> /etc/passwd: absolute symlink targets are not allowed (only relative targets inside the output)",
        "error: image 'outfifo' output failed: output /h/fifo -> out/fifo: refusing fifo /h/fifo/pipe: only files, folders and symlinks can be copied out",
      ].sort(),
    );
    // A refused mount never completes its context: nothing was built or tagged from it.
    for (const image of [...Object.keys(REFUSED), 'missing', 'external']) expect(idOf(`${p.name}-${image}:latest`), image).toBeUndefined();
    // Refused outputs: nothing at `to`, no temporary next to it.
    expect(existsSync(join(p.dir, 'out/abs'))).toBe(false);
    expect(existsSync(join(p.dir, 'out/fifo'))).toBe(false);
    expect(existsSync(join(p.dir, 'out')) ? readdirSync(join(p.dir, 'out')) : []).toEqual([]);
    // Nothing was written anywhere in the project but the outputs folder and the logs.
    expect(readdirSync(p.dir).sort()).toEqual(['.mbuild', 'c', 'hostile', 'mbuild.yaml', 'o', ...(existsSync(join(p.dir, 'out')) ? ['out'] : [])].sort());

    // The hard link to /etc/secret arrives as a copy of the file, not as a link out of the mount.
    const hard = execFileSync('docker', ['run', '--rm', '--network', 'none', `${p.name}-hardout:latest`, 'sh', '-c', 'stat -c "%F %h" /m/x; cat /m/x'], {
      encoding: 'utf8',
    });
    expect(hard).toBe('regular file 1\nsecret\n');
  });
});
