/**
 * Mounts and outputs end to end on the real engine, both builders: an image of this file
 * (`src`) and an external one (busybox:latest) mounted into `app`'s context, then `app`'s
 * files copied to the host. Golden trees (paths, modes, types, sizes, link targets) of
 * what `app` saw in its context and of what landed on the host; no temporary container
 * left; `--no-outputs`; a second run replaces the outputs whole.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostTree, imageTree, mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const projects: MountsProject[] = [];
afterEach(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

const LONG = `${'d'.repeat(60)}/${'e'.repeat(60)}`;

const TREE = {
  'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  src:
    context: src
  app:
    context: app
    mounts:
      - {from: src, path: /app/dist, to: public/static}
      - {from: src, path: /app/dist/bin/tool, to: tool}
      - {from: "busybox:latest", path: /bin/busybox, to: bb/busybox}
    outputs:
      - {path: /srv/static, to: out/static}
      - {path: /srv/tool, to: out/tool}
`,
  'src/Dockerfile': `FROM busybox
LABEL mbt.project=__NAME__
RUN mkdir -p /app/dist/js /app/dist/bin /app/dist/empty /app/dist/ro /app/dist/${LONG} \\
 && printf '<h1>hi</h1>' > /app/dist/index.html && chmod 640 /app/dist/index.html \\
 && printf 'app()' > /app/dist/js/app.js \\
 && ln -s app.js /app/dist/js/current && ln -s ../index.html /app/dist/js/home \\
 && ln /app/dist/js/app.js /app/dist/js/copy.js \\
 && printf '#!/bin/sh\\necho tool\\n' > /app/dist/bin/tool && chmod 755 /app/dist/bin/tool \\
 && printf 'x' > /app/dist/ro/file && chmod 444 /app/dist/ro/file && chmod 555 /app/dist/ro \\
 && printf 'outside' > /etc/outside && ln /etc/outside /app/dist/linked-from-etc \\
 && printf 'long' > /app/dist/${LONG}/file \\
 && printf 'u' > '/app/dist/\u00e9t\u00e9 \u2603.txt'
`,
  'app/Dockerfile': `FROM busybox
LABEL mbt.project=__NAME__
COPY public/static/ /srv/static/
COPY tool /srv/tool
COPY bb/busybox /srv/bb
COPY own.txt /srv/own.txt
`,
  'app/own.txt': "the context's own file",
};

/** What app's context held under public/static, as COPY put it in /srv/static. */
const STATIC = [
  '. 755 dir',
  './bin 755 dir',
  './bin/tool 755 file 20',
  `./${'d'.repeat(60)} 755 dir`,
  `./${LONG} 755 dir`,
  `./${LONG}/file 644 file 4`,
  './empty 755 dir',
  './index.html 640 file 11',
  './js 755 dir',
  './js/app.js 644 file 5',
  './js/copy.js 644 file 5',
  './js/current 777 symlink 6 -> app.js',
  './js/home 777 symlink 13 -> ../index.html',
  './linked-from-etc 644 file 7',
  './ro 555 dir',
  './ro/file 444 file 1',
  './été ☃.txt 644 file 1',
];

describe.each(['buildkit', 'classic'] as const)('mounts and outputs, --builder %s', (builder) => {
  it('mounts folders, single files and external images; copies outputs to the host', async () => {
    const p = mountsProject(`golden-${builder.slice(0, 2)}`, TREE);
    projects.push(p);
    const r = await p.run(['up', 'app', '--builder', builder, '--progress', 'plain']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[app] output /srv/static -> out/static\n');
    expect(r.stdout).toContain('[app] output /srv/tool -> out/tool\n');
    expect(tempContainersOf(process.pid)).toEqual([]);

    const image = `${p.name}-app:latest`;
    expect(imageTree(image, '/srv/static')).toEqual(STATIC);
    expect(imageTree(image, '/srv').filter((l) => !l.startsWith('./static'))).toEqual([
      '. 755 dir',
      `./bb 755 file ${busyboxSize()}`,
      './own.txt 644 file 22',
      './tool 755 file 20',
    ]);

    // On the host: the same tree (modes, symlinks), and nothing else next to the outputs.
    expect(hostTree(join(p.dir, 'out/static'))).toEqual(STATIC);
    expect(hostTree(join(p.dir, 'out/tool'))).toEqual(['. 755 file 20']);
    expect(readdirSync(join(p.dir, 'out')).sort()).toEqual(['static', 'tool']);
    // A hard link inside the output stays one; the one from outside the mount is a plain file.
    expect(statSync(join(p.dir, 'out/static/js/copy.js')).ino).toBe(statSync(join(p.dir, 'out/static/js/app.js')).ino);
    expect(statSync(join(p.dir, 'out/static/linked-from-etc')).nlink).toBe(1);
    expect(readFileSync(join(p.dir, 'out/static/linked-from-etc'), 'utf8')).toBe('outside');

    // A second build replaces each output whole (a new folder in its place); --no-outputs leaves them alone.
    const first = statSync(join(p.dir, 'out/static')).ino;
    const again = await p.run(['up', 'app', '--builder', builder, '--progress', 'plain', '--no-cache']);
    expect(again.code, again.stderr).toBe(0);
    expect(statSync(join(p.dir, 'out/static')).ino).not.toBe(first);
    expect(hostTree(join(p.dir, 'out/static'))).toEqual(STATIC);
    expect(readdirSync(join(p.dir, 'out')).sort()).toEqual(['static', 'tool']);
    writeFileSync(join(p.dir, 'out/static/mine.txt'), 'mine');
    const none = await p.run(['up', 'app', '--builder', builder, '--progress', 'plain', '--no-outputs', '--no-cache']);
    expect(none.code).toBe(0);
    expect(none.stdout).not.toContain('output ');
    expect(readFileSync(join(p.dir, 'out/static/mine.txt'), 'utf8')).toBe('mine');
    expect(tempContainersOf(process.pid)).toEqual([]);
  });
});

/** The size of the external mount's source, /bin/busybox in busybox:latest. */
const busyboxSize = (): string =>
  execFileSync('docker', ['run', '--rm', '--network', 'none', 'busybox:latest', 'stat', '-c', '%s', '/bin/busybox'], { encoding: 'utf8' }).trim();
