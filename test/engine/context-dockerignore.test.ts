/**
 * Tricky .dockerignore files against the real engine: the tar from packContext is built by
 * the classic builder (POST /build over the socket), `find` in the image lists what COPY saw,
 * and that is compared with the walker's own list and with what `docker build` (classic,
 * DOCKER_BUILDKIT=0, which applies .dockerignore client-side) sends for the same directory.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packContext, type SentEntry } from '../../src/context/tar.js';

const run = promisify(execFile);
const RUN = randomUUID().slice(0, 8);
const SOCKET = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : '/var/run/docker.sock';
const DOCKERFILE = 'FROM busybox\nCOPY . /ctx\nRUN cd /ctx && find . | sort > /list\n';
const tags: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  if (tags.length) await run('docker', ['rmi', '-f', ...tags]).catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Tree = Record<string, string | { symlink: string }>;
function writeTree(root: string, tree: Tree): void {
  for (const [rel, content] of Object.entries(tree)) {
    const full = join(root, rel);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof content === 'string') writeFileSync(full, content);
    else symlinkSync(content.symlink, full);
  }
}

/** POST /build with the tar; resolves with the image ID or rejects with the builder's error. */
function postBuild(body: NodeJS.ReadableStream, dockerfile: string, tag: string): Promise<string> {
  const q = new URLSearchParams({ t: tag, dockerfile, networkmode: 'none', rm: '1', forcerm: '1' });
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: SOCKET, method: 'POST', path: `/v1.41/build?${q}`, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const msgs = text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { error?: string; aux?: { ID?: string } });
        const error = msgs.find((m) => m.error)?.error ?? (res.statusCode !== 200 ? text : undefined);
        const id = msgs.find((m) => m.aux?.ID)?.aux?.ID;
        if (error || !id)
          reject(new Error(`build failed (${res.statusCode!}): ${error ?? text}`)); // a client's response has a status
        else resolve(id);
      });
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

const byteSort = (xs: string[]): string[] => xs.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

async function listImage(tag: string): Promise<string[]> {
  const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', tag, 'cat', '/list']);
  return stdout.split('\n').filter(Boolean);
}

/** What `find . | sort` shows for a set of tar paths: the paths, their implied parents, and '.'. */
function findList(paths: string[]): string[] {
  const all = new Set(['.']);
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) all.add('./' + parts.slice(0, i).join('/'));
  }
  return byteSort([...all]);
}

interface Case {
  name: string;
  tree: Tree;
  /** Dockerfile path relative to the case dir; default `ctx/Dockerfile`. */
  dockerfile?: string;
  /** Expected `find` output in the image built from our tar. */
  expected: string[];
  /** Tar paths the classic builder deletes itself (Dockerfile / .dockerignore matched by .dockerignore). */
  removedByBuilder?: string[];
  /** Make the `docker build` baseline from a copy whose .dockerignore has this file's text (relative to ctx). */
  cliIgnoreFrom?: string;
  /** Paths `docker build` does not send although we do (documented divergence). */
  cliLacks?: string[];
  /** A symlink whose target is checked inside our image. */
  readlink?: { path: string; target: string };
}

const cases: Case[] = [
  {
    name: 'anchoring',
    tree: {
      'ctx/.dockerignore': 'foo\n*/bar\n',
      'ctx/foo': '',
      'ctx/sub/foo': '',
      'ctx/sub/bar': '',
      'ctx/a/b/foo': '',
      'ctx/a/bar/x': '',
      'ctx/l': { symlink: 'sub/foo' },
    },
    expected: ['.', './.dockerignore', './Dockerfile', './a', './a/b', './a/b/foo', './l', './sub', './sub/foo'],
  },
  {
    name: 'doublestar',
    tree: {
      'ctx/.dockerignore': '**/*.log\n**/tmp\nd/**/deep\n',
      'ctx/x.log': '',
      'ctx/d/y.log': '',
      'ctx/d/e/z.log': '',
      'ctx/tmp/t': '',
      'ctx/d/tmp/t': '',
      'ctx/d/keep.txt': '',
      'ctx/d/deep': '',
      'ctx/d/1/2/deep/f': '',
    },
    expected: ['.', './.dockerignore', './Dockerfile', './d', './d/1', './d/1/2', './d/e', './d/keep.txt'],
  },
  {
    name: 'exceptions-after-dir-exclusion',
    tree: {
      'ctx/.dockerignore': 'build\n!build/keep.txt\n!build/sub/*.md\n',
      'ctx/build/out.o': '',
      'ctx/build/keep.txt': '',
      'ctx/build/sub/a.md': '',
      'ctx/build/sub/b.txt': '',
      'ctx/src/x': '',
    },
    expected: ['.', './.dockerignore', './Dockerfile', './build', './build/keep.txt', './build/sub', './build/sub/a.md', './src', './src/x'],
  },
  {
    name: 'leading-and-trailing-slash',
    tree: {
      'ctx/.dockerignore': '/docs/\n/tmp\nsrc/gen/\n./cache//\n',
      'ctx/docs/a': '',
      'ctx/tmp': '',
      'ctx/src/gen/x': '',
      'ctx/src/main': '',
      'ctx/other/docs/a': '',
      'ctx/cache/c': '',
    },
    expected: ['.', './.dockerignore', './Dockerfile', './other', './other/docs', './other/docs/a', './src', './src/main'],
  },
  {
    name: 'dockerfile-and-dockerignore-listed',
    tree: { 'ctx/.dockerignore': 'Dockerfile\n.dockerignore\n*.md\n', 'ctx/README.md': '', 'ctx/app': '' },
    expected: ['.', './app'],
    removedByBuilder: ['.dockerignore', 'Dockerfile'],
  },
  {
    name: 'classes-and-question-mark',
    tree: {
      'ctx/.dockerignore': 'file[0-9].txt\n?.md\n[^a]*.bin\n',
      'ctx/file1.txt': '',
      'ctx/filex.txt': '',
      'ctx/a.md': '',
      'ctx/ab.md': '',
      'ctx/a1.bin': '',
      'ctx/b1.bin': '',
    },
    expected: ['.', './.dockerignore', './Dockerfile', './a1.bin', './ab.md', './filex.txt'],
  },
  {
    name: 'dockerfile-specific-ignore-file-wins',
    tree: {
      'ctx/docker/app.Dockerfile': DOCKERFILE,
      'ctx/docker/app.Dockerfile.dockerignore': 'secret\n',
      'ctx/.dockerignore': 'public\n',
      'ctx/public': '',
      'ctx/secret': '',
    },
    dockerfile: 'ctx/docker/app.Dockerfile',
    expected: ['.', './.dockerignore', './docker', './docker/app.Dockerfile', './docker/app.Dockerfile.dockerignore', './public'],
    cliIgnoreFrom: 'docker/app.Dockerfile.dockerignore',
  },
  {
    name: 'dockerfile-outside-context',
    tree: { 'ctx/.dockerignore': '*.tmp\n', 'ctx/a.tmp': '', 'ctx/app': '', 'elsewhere/Build.Dockerfile': DOCKERFILE },
    dockerfile: 'elsewhere/Build.Dockerfile',
    expected: ['.', './.dockerignore', './app'],
    removedByBuilder: ['.mbuild.Dockerfile'],
  },
  {
    // "!a" was not evaluated for "a" (nothing excluded yet), so "a/b" does not inherit it:
    // the walker's parent-result semantics, not MatchesOrParentMatches'.
    name: 'exception-order-uses-parent-results',
    tree: { 'ctx/.dockerignore': 'a/b\n!a\n', 'ctx/a/b': '', 'ctx/a/c': '' },
    expected: ['.', './.dockerignore', './Dockerfile', './a', './a/c'],
  },
  {
    name: 'long-names-use-pax',
    tree: { 'ctx/.dockerignore': 'none\n', [`ctx/${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(60)}.txt`]: 'x', 'ctx/ln': { symlink: 't'.repeat(150) } },
    readlink: { path: '/ctx/ln', target: 't'.repeat(150) },
    expected: [
      '.',
      './.dockerignore',
      './Dockerfile',
      `./${'d'.repeat(90)}`,
      `./${'d'.repeat(90)}/${'e'.repeat(90)}`,
      `./${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(60)}.txt`,
      './ln',
    ],
  },
  {
    // moby's walker prunes "foo" because no exception *starts with* "foo/"; we keep foo/keep,
    // which the patterns re-include (and which BuildKit sends too).
    name: 'wildcard-exception-below-excluded-dir',
    tree: { 'ctx/.dockerignore': 'foo\n!*/keep\n', 'ctx/foo/keep': '', 'ctx/foo/other': '' },
    expected: ['.', './.dockerignore', './Dockerfile', './foo', './foo/keep'],
    cliLacks: ['./foo', './foo/keep'],
  },
];

describe('packContext on the real engine (classic builder)', () => {
  it.each(cases)('$name', async (c) => {
    const root = mkdtempSync(join(tmpdir(), `mbuild-ctx-${c.name}-`));
    dirs.push(root);
    writeTree(root, c.dockerfile ? c.tree : { 'ctx/Dockerfile': DOCKERFILE, ...c.tree });
    const ctx = join(root, 'ctx');
    const dockerfile = join(root, c.dockerfile ?? 'ctx/Dockerfile');

    const sent: SentEntry[] = [];
    const packed = await packContext({ contextDir: ctx, dockerfile: { path: dockerfile }, onEntry: (e) => sent.push(e) });
    if (!packed.ok) throw new Error(JSON.stringify(packed.error));
    const ours = `mbuild-ctxtest-${c.name}:${RUN}`;
    tags.push(ours);
    await postBuild(packed.value.stream, packed.value.dockerfileInTar, ours);
    await packed.value.done;

    const fromEngine = await listImage(ours);
    expect(fromEngine).toEqual(c.expected);
    if (c.readlink) {
      const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', ours, 'readlink', c.readlink.path]);
      expect(stdout.trim()).toBe(c.readlink.target);
    }
    // The walker's list: what COPY saw plus what the classic builder itself deleted.
    const removed = c.removedByBuilder ?? [];
    expect(findList(sent.map((e) => e.path))).toEqual(findList([...fromEngine.slice(1).map((p) => p.slice(2)), ...removed]));

    // The real docker CLI, classic builder, on the same directory.
    const cliCtx = c.cliIgnoreFrom ? join(root, 'cli-ctx') : ctx;
    if (c.cliIgnoreFrom) {
      cpSync(ctx, cliCtx, { recursive: true, verbatimSymlinks: true });
      cpSync(join(ctx, c.cliIgnoreFrom), join(cliCtx, '.dockerignore'));
    }
    const cliDockerfile = c.cliIgnoreFrom ? join(cliCtx, c.dockerfile!.replace(/^ctx\//, '')) : dockerfile;
    const cli = `mbuild-ctxtest-cli-${c.name}:${RUN}`;
    tags.push(cli);
    await run('docker', ['build', '--network', 'none', '-q', '-t', cli, '-f', cliDockerfile, cliCtx], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    const lacks = new Set(c.cliLacks ?? []);
    expect(await listImage(cli)).toEqual(c.expected.filter((p) => !lacks.has(p)));
  });
});
