/**
 * Precise inputs (issue 16) in `mbuild watch`, one watch process for the file: `app` and
 * `web` both have the project root as context and read one file / one folder of it; `ln`
 * reads `link.txt`, a symlink to `real/file.txt`.
 *  - writes to files no instruction reads (in the shared root, in a read folder's sibling,
 *    new files, the target folder of a link but not its target) trigger nothing at all;
 *  - a write to a read file rebuilds exactly the image that reads it, and says so;
 *  - a write to the target of a link a read follows rebuilds the image that reads the link.
 * Settling uses watch's probe (no sleeps). Needs the compiled CLI.
 */
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileInImage, idOf } from '../helpers/engine-docker.js';
import type { TestProject } from '../helpers/engine-project.js';
import { WatchSession, type WEvent } from '../fixtures/watch/watch-session.js';
import { mountsProject } from './mounts-helpers.js';

const IMAGES = ['app', 'web', 'ln'];
const of = (e: WEvent): string | undefined => (e as { image?: string }).image;

const YAML = `version: 1
name: __NAME__
defaults:
  network: none
images:
  app:
    context: .
    tags: ["__NAME__/app:t"]
    dockerfile_inline: |
      FROM busybox
      LABEL mbt.project=__NAME__
      COPY src/app.js /app.js
  web:
    context: .
    tags: ["__NAME__/web:t"]
    dockerfile_inline: |
      FROM busybox
      LABEL mbt.project=__NAME__
      COPY web/ /srv/web/
  ln:
    context: ctx
    tags: ["__NAME__/ln:t"]
`;

let p: TestProject;
let w: WatchSession;
const write = (path: string, text: string): void => writeFileSync(join(p.dir, path), text);
const ids = (): Record<string, string | undefined> => Object.fromEntries(IMAGES.map((n) => [n, idOf(`${p.name}/${n}:t`)]));

beforeAll(async () => {
  const m = mountsProject('iwatch', {
    'mbuild.yaml': YAML,
    'README.md': 'readme v1\n',
    'src/app.js': 'app v1\n',
    'src/lib.js': 'lib v1\n',
    'web/index.html': 'index v1\n',
    'ctx/Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nCOPY link.txt /f\n',
    'ctx/real/file.txt': 'file v1\n',
    'ctx/real/other.txt': 'other v1\n',
  });
  symlinkSync('real/file.txt', join(m.dir, 'ctx/link.txt'));
  p = { name: m.name, dir: m.dir, up: (args) => m.run(['up', ...args]), cleanup: () => m.cleanup() };
  w = new WatchSession(p);
  await w.ready();
});

afterAll(async () => {
  try {
    const r = await w.stop('SIGINT');
    expect(r.code, r.stderr).toBe(130);
    expect(w.events.filter((e) => e.type === 'watch-not-json')).toEqual([]);
  } finally {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  }
});

describe('mbuild watch: precise inputs', () => {
  it('the first run built every image', () => {
    for (const n of IMAGES) expect(idOf(`${p.name}/${n}:t`), n).toMatch(/^sha256:/);
  });

  it('writes to files no instruction reads trigger nothing, not even a change line', async () => {
    const before = ids();
    const m = w.mark();
    write('README.md', 'readme v2\n');
    write('src/lib.js', 'lib v2\n');
    write('new.txt', 'new\n');
    write('src/new.js', 'new\n');
    write('ctx/real/other.txt', 'other v2\n');
    write('ctx/unread.txt', 'unread\n');
    await w.settle();
    expect(
      w.since(m).filter((e) => e.type !== 'watch-probe'),
      w.describe(),
    ).toEqual([]);
    expect(ids()).toEqual(before);
  });

  it('a write to a read file rebuilds exactly the image that reads it', async () => {
    const before = ids();
    const m = w.mark();
    write('src/app.js', 'app v2\n');
    await w.settle();
    expect(w.starts(m, 'app'), w.describe()).toBe(1);
    expect(w.since(m, 'image-started').map(of), 'nothing else starts').toEqual(['app']);
    const changes = w.since(m, 'watch-change');
    expect(new Set(changes.flatMap((e) => e['paths'] as string[]))).toEqual(new Set(['src/app.js']));
    expect(new Set(changes.flatMap((e) => e['images'] as string[]))).toEqual(new Set(['app']));
    const rebuilt = w.since(m, 'watch-rebuilt');
    expect(rebuilt.map(of)).toEqual(['app']);
    const id = idOf(`${p.name}/app:t`);
    expect(rebuilt[0]?.['imageId']).toBe(id);
    expect(id).not.toBe(before['app']);
    expect(ids()).toEqual({ ...before, app: id });
    expect(fileInImage(`${p.name}/app:t`, '/app.js')).toBe('app v2\n');

    // A new file in a folder web reads: web, and only web.
    const n = w.mark();
    write('web/new.html', 'new\n');
    await w.settle();
    expect(w.since(n, 'image-started').map(of), w.describe()).toEqual(['web']);
    expect(w.since(n, 'watch-rebuilt').map(of)).toEqual(['web']);
  });

  it('a write to the target of a symlink a read follows rebuilds the image that reads the link', async () => {
    const before = ids();
    const m = w.mark();
    write('ctx/real/file.txt', 'file v2\n');
    await w.settle();
    expect(w.since(m, 'image-started').map(of), w.describe()).toEqual(['ln']);
    expect(w.since(m, 'image-started')[0]?.['why']).toBe('context changed: real/file.txt');
    expect(w.since(m, 'watch-rebuilt').map(of)).toEqual(['ln']);
    expect(idOf(`${p.name}/ln:t`)).not.toBe(before['ln']);
    expect(fileInImage(`${p.name}/ln:t`, '/f')).toBe('file v2\n');
  });

  it('a Dockerfile that starts reading a file: the file becomes an input; one that stops: it is no longer one', async () => {
    let m = w.mark();
    write('ctx/unread.txt', 'unread v2\n');
    await w.settle();
    expect(w.since(m, 'image-started'), 'not read yet').toEqual([]);

    m = w.mark();
    write('ctx/Dockerfile', 'FROM busybox\nLABEL mbt.project=' + p.name + '\nCOPY link.txt /f\nCOPY unread.txt /u\n');
    await w.settle();
    expect(w.since(m, 'image-started').map(of), w.describe()).toEqual(['ln']);

    m = w.mark();
    write('ctx/unread.txt', 'unread v3\n');
    await w.settle();
    expect(w.since(m, 'image-started').map(of), w.describe()).toEqual(['ln']);
    expect(w.since(m, 'image-started')[0]?.['why']).toBe('context changed: unread.txt');
    expect(fileInImage(`${p.name}/ln:t`, '/u')).toBe('unread v3\n');

    // The inline Dockerfile of app, in the build file: it now reads README.md too.
    m = w.mark();
    const file = join(p.dir, 'mbuild.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('      COPY src/app.js /app.js\n', '      COPY src/app.js /app.js\n      COPY README.md /r\n'));
    await w.settle();
    expect(w.since(m, 'image-started').map(of), w.describe()).toEqual(['app']);
    m = w.mark();
    write('README.md', 'readme v3\n');
    await w.settle();
    expect(w.since(m, 'image-started').map(of), w.describe()).toEqual(['app']);
    expect(w.since(m, 'image-started')[0]?.['why']).toBe('context changed: README.md');

    // And back: ln no longer reads unread.txt.
    write('ctx/Dockerfile', 'FROM busybox\nLABEL mbt.project=' + p.name + '\nCOPY link.txt /f\n');
    await w.settle();
    m = w.mark();
    write('ctx/unread.txt', 'unread v4\n');
    await w.settle();
    expect(
      w.since(m).filter((e) => e.type !== 'watch-probe'),
      w.describe(),
    ).toEqual([]);
  });
});
