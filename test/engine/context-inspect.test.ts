/**
 * `mbuild context IMAGE` on the real engine: counts and bytes of what would be sent, the
 * largest folders, every mounted entry with its source (an in-file image read from its
 * current tag, or "not built yet"), collisions the build would hit, `--why PATH` naming the
 * .dockerignore line that decides, and `--format json`. Builds nothing; leaves no container.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ContextReport, WhyReport } from '../../src/context/inspect.js';
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
  web:
    context: web
  app:
    context: app
    mounts:
      - {from: web, path: /app/dist, to: public}
`,
  'web/Dockerfile':
    'FROM busybox\nLABEL mbt.project=__NAME__\nRUN mkdir -p /app/dist/js && printf "0123456789" > /app/dist/index.html && printf "abc" > /app/dist/js/app.js && ln -s app.js /app/dist/js/main.js\n',
  'app/Dockerfile': 'FROM busybox\nCOPY . /srv/\n',
  'app/.dockerignore': '# build output\n*.log\nbuild\n!build/keep.txt\n',
  'app/src/main.sh': 'x'.repeat(1000),
  'app/src/lib/util.sh': 'y'.repeat(300),
  'app/docs/readme.txt': 'z'.repeat(50),
  'app/debug.log': 'excluded',
  'app/build/out.o': 'excluded',
  'app/build/keep.txt': 'kept',
};

async function json<T>(p: MountsProject, args: string[]): Promise<T> {
  const r = await p.run(['context', ...args, '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

describe('mbuild context', () => {
  it('lists what would be sent, mounts not built yet, then mounted entries with their source', async () => {
    const p = mountsProject('inspect', TREE);
    projects.push(p);

    const before = await json<ContextReport>(p, ['app']);
    expect(before.context).toEqual({ files: 6, folders: 3, symlinks: 0, bytes: 43 + 26 + 1000 + 300 + 50 + 4 });
    expect(before.largestFolders).toEqual([
      { path: 'src', files: 2, bytes: 1300 },
      { path: 'src/lib', files: 1, bytes: 300 },
      { path: 'docs', files: 1, bytes: 50 },
      { path: 'build', files: 1, bytes: 4 },
    ]);
    expect(before.mounts).toEqual([
      {
        source: 'web:/app/dist',
        to: 'public',
        status: 'not-built',
        note: `not built yet: no local image is tagged ${p.name}-web:latest`,
        entries: [],
        files: 0,
        bytes: 0,
      },
    ]);

    const built = await p.run(['up', 'web', '--progress', 'plain']);
    expect(built.code, built.stderr).toBe(0);
    const after = await json<ContextReport>(p, ['app']);
    expect(after.mounts[0]).toMatchObject({ status: 'listed', files: 2, bytes: 13 });
    expect(after.mounts[0]?.note).toMatch(
      new RegExp(
        `^read from ${p.name}-web:latest \\([0-9a-f]{12}, built \\d+ (seconds|minutes|hours|days) ago\\), the current tag of 'web' \\(mbuild up may rebuild it\\)$`,
      ),
    );
    expect(after.mounts[0]?.entries).toEqual([
      { path: 'public', type: 'dir', size: 0 },
      { path: 'public/index.html', type: 'file', size: 10 },
      { path: 'public/js', type: 'dir', size: 0 },
      { path: 'public/js/app.js', type: 'file', size: 3 },
      { path: 'public/js/main.js', type: 'symlink', size: 0, linkTarget: 'app.js' },
    ]);
    expect(after.total).toEqual({ files: 8, bytes: before.context.bytes + 13 });
    expect(after.collisions).toEqual([]);

    const text = await p.run(['context', 'app']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      "context of image 'app': app",
      '  Dockerfile in the tar: Dockerfile',
      '  ignore file: app/.dockerignore',
      '  from the context folder: 6 files, 1.4 kB, 3 folders, 0 symlinks',
      '  from 1 mount: 2 files, 13 B',
      '  total sent: 8 files, 1.4 kB',
      '',
    ]);
    expect(lines).toContain('mounted entries:');
    expect(lines.filter((l) => l.startsWith('    public'))).toEqual([
      '    public/            folder     from web:/app/dist',
      '    public/index.html  10 B       from web:/app/dist',
      '    public/js/         folder     from web:/app/dist',
      '    public/js/app.js   3 B        from web:/app/dist',
      '    public/js/main.js  -> app.js  from web:/app/dist',
    ]);
    expect(tempContainersOf(process.pid)).toEqual([]);
  });

  it('says which line of .dockerignore decides about a path (--why)', async () => {
    const p = mountsProject('why', TREE);
    projects.push(p);
    const why = async (path: string): Promise<string> => (await p.run(['context', 'app', '--why', path])).stdout;
    expect(await why('debug.log')).toBe('debug.log: excluded by .dockerignore line 2: *.log\n');
    expect(await why('build/out.o')).toBe('build/out.o: excluded by .dockerignore line 3: build\n');
    expect(await why('build/keep.txt')).toBe('build/keep.txt: included by .dockerignore line 4: !build/keep.txt; read by line 2: COPY . /srv/\n');
    expect(await why('src/main.sh')).toBe('src/main.sh: sent: no line of .dockerignore matches it; read by line 2: COPY . /srv/\n');
    expect(await why('Dockerfile')).toBe('Dockerfile: always sent: the builder needs it, whatever .dockerignore says\n');
    expect(await why('public/index.html')).toBe('public/index.html: comes from mount web:/app/dist -> public, not from the context folder\n');
    expect(await why('here.log')).toBe('here.log: excluded by .dockerignore line 2: *.log (there is no such path in the context folder now)\n');
    // As in docker, `*.log` matches at the root only.
    expect(await why('src/here.log')).toBe(
      'src/here.log: sent: no line of .dockerignore matches it; read by line 2: COPY . /srv/ (there is no such path in the context folder now)\n',
    );
    // Paths written from here (./, ../, /) are taken from the working folder.
    expect(await why('./app/debug.log')).toBe('debug.log: excluded by .dockerignore line 2: *.log\n');
    const outside = await p.run(['context', 'app', '--why', './mbuild.yaml']);
    expect(outside).toMatchObject({ code: 2, stdout: '', stderr: "error: ./mbuild.yaml is not inside the context of image 'app' (app)\n" });
    expect(await json<WhyReport>(p, ['app', '--why', 'build/keep.txt'])).toEqual({
      path: 'build/keep.txt',
      existsInContext: true,
      sent: true,
      reason: 'ignore-line',
      detail: 'included by .dockerignore line 4: !build/keep.txt; read by line 2: COPY . /srv/',
      line: 4,
      pattern: '!build/keep.txt',
    });
  });

  it('names an unknown image with a suggestion', async () => {
    const p = mountsProject('unknown', TREE);
    projects.push(p);
    const r = await p.run(['context', 'ap']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: no image named 'ap'; did you mean 'app'?\n");
  });
});
