/**
 * Precise inputs (issue 16) on the real engine: an image's key, the context tar and what
 * its build reads are only what its Dockerfile reads (COPY/ADD sources, bind-mount
 * sources of the reached stages), plus the Dockerfile and .dockerignore.
 *  - a build file and unread files of a shared context (the project root) change nothing;
 *    the copied file does, and the reason names it;
 *  - `mbuild up > up.log` in the project root: the log is no input, both runs pass;
 *  - an output written into the project, and a README in a base's folder, rebuild nothing;
 *  - a 20 MB file no instruction reads is not sent (bytes of POST /build counted by a
 *    proxy), with either builder; with `inputs: whole` it is;
 *  - symlinks a read matches or walks through are followed inside the context;
 *  - a base with ONBUILD triggers (external, built here) reads the whole context;
 *  - a literal COPY source that is missing or excluded fails `up` with exit 2 at its
 *    `Dockerfile:line:col`, before anything is built;
 *  - `mbuild context IMAGE` rows and `--why PATH` phrases, and every fallback reason.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ContextReport } from '../../src/context/inspect.js';
import { docker, fileInImage, idOf, projectTags, runInImage } from '../helpers/engine-docker.js';
import { imageIdOf, outcomes, parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { spliceUpgrades, startEngineProxy } from '../helpers/engine-proxy.js';
import { BIN, runCli } from '../helpers/run-cli.js';
import type { Tree } from '../helpers/testdir.js';
import { mountsProject, type MountsProject } from './mounts-helpers.js';

// Each test's projects are removed after it (one hook each: removing many images takes a while).
const projects: MountsProject[] = [];
afterEach(() => {
  expect(
    projects.splice(0).flatMap((p) => p.cleanup()),
    'images left behind',
  ).toEqual([]);
});

function project(label: string, tree: Tree): MountsProject {
  const p = mountsProject(label, tree);
  projects.push(p);
  return p;
}

const yaml = (images: string): string => `version: 1\nname: __NAME__\ndefaults:\n  network: none\nimages:\n${images}`;
/** A Dockerfile FROM busybox with the fixtures' label (so that cleanup finds every image), then `lines`. */
const dockerfile = (...lines: string[]): string => ['FROM busybox', 'LABEL mbt.project=__NAME__', ...lines, ''].join('\n');

interface Up {
  readonly code: number;
  readonly stderr: string;
  readonly events: JsonEvent[];
}

async function up(p: MountsProject, args: readonly string[] = [], env: Record<string, string> = {}): Promise<Up> {
  const r = await runCli(['up', '--progress', 'json', ...args], { cwd: p.dir, env: { ...process.env, ...env } });
  return { code: r.code, stderr: r.stderr, events: r.code === 2 ? [] : parseEvents(r.stdout) };
}

/** `up` that must succeed: its events. */
async function upOk(p: MountsProject, args: readonly string[] = [], env: Record<string, string> = {}): Promise<JsonEvent[]> {
  const r = await up(p, args, env);
  const failures = r.events.flatMap((e) =>
    e.type === 'image-done' && e.outcome.kind === 'failed' ? [`${e.image}: ${JSON.stringify(e.outcome.failure)}`] : [],
  );
  expect(r.code, [r.stderr, ...failures].join('\n')).toBe(0);
  return r.events;
}

/** Why each image that started was built (`image-started.why`). */
const reasons = (events: readonly JsonEvent[]): Record<string, string> =>
  Object.fromEntries(events.flatMap((e) => (e.type === 'image-started' ? [[e.image, e.why]] : [])));

const edit = (p: MountsProject, path: string, text: string): void => {
  mkdirSync(join(p.dir, path, '..'), { recursive: true });
  writeFileSync(join(p.dir, path), text);
};

describe('an inline Dockerfile with the project root as its context', () => {
  it('only the file it copies is an input: other files, new files and the build file elsewhere change nothing', async () => {
    const p = project('inline', {
      'mbuild.yaml': yaml(
        [
          '  app:',
          '    context: .',
          '    dockerfile_inline: |',
          '      FROM busybox',
          '      LABEL mbt.project=__NAME__',
          '      COPY src/app.js /app.js',
          '  other:',
          '    context: other',
          '',
        ].join('\n'),
      ),
      'other/Dockerfile': dockerfile('COPY o.txt /o'),
      'other/o.txt': 'other v1\n',
      'src/app.js': 'app v1\n',
      'src/lib.js': 'lib v1\n',
      'README.md': 'readme v1\n',
    });
    const first = await upOk(p);
    expect(outcomes(first)).toEqual({ app: 'built', other: 'built' });
    const app = imageIdOf(first, 'app');

    edit(p, 'README.md', 'readme v2\n');
    edit(p, 'src/lib.js', 'lib v2\n');
    edit(p, 'other/o.txt', 'other v2\n');
    edit(p, 'new.txt', 'new\n');
    edit(p, 'src/new.js', 'new\n');
    edit(p, 'docs/guide.md', 'new folder\n');
    const file = join(p.dir, 'mbuild.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    context: other\n', '    context: other\n    labels: {x: y}\n'));

    const why = await runCli(['why', 'app'], { cwd: p.dir, env: { ...process.env } });
    expect(why.stdout).toMatch(/^app is up to date: image [0-9a-f]{12}, built /);
    const second = await upOk(p);
    expect(outcomes(second), 'other reads o.txt and has a new label; app reads none of it').toEqual({ app: 'up-to-date', other: 'built' });
    expect(reasons(second)).toEqual({ other: 'context changed: o.txt; label x changed' });
    expect(imageIdOf(second, 'app')).toBe(app);
    expect(idOf(`${p.name}-app:latest`)).toBe(app);

    edit(p, 'src/app.js', 'app v2\n');
    const stale = await runCli(['why', 'app'], { cwd: p.dir, env: { ...process.env } });
    expect(stale.stdout).toBe('app would be built:\n  - context changed: src/app.js\n');
    const third = await upOk(p);
    expect(outcomes(third)).toEqual({ app: 'built', other: 'up-to-date' });
    expect(reasons(third)).toEqual({ app: 'context changed: src/app.js' });
    expect(imageIdOf(third, 'app')).not.toBe(app);
    expect(fileInImage(imageIdOf(third, 'app'), '/app.js')).toBe('app v2\n');
  });

  it('`mbuild up > up.log` in the project root: the growing log is no input, and two runs in a row pass', async () => {
    const p = project('uplog', {
      'mbuild.yaml': yaml(
        [
          '  app:',
          '    context: .',
          '    dockerfile_inline: |',
          '      FROM busybox',
          '      LABEL mbt.project=__NAME__',
          '      COPY src/app.js /app.js',
          '',
        ].join('\n'),
      ),
      'src/app.js': 'app v1\n',
    });
    const proxy = await startEngineProxy();
    try {
      const log = join(p.dir, 'up.log');
      for (const version of ['v1', 'v2']) {
        edit(p, 'src/app.js', `app ${version}\n`);
        // The engine's answer to the build is held: up.log has been written to by then, and is written to again after.
        const held = proxy.hold((route) => route === 'POST /build');
        const fd = openSync(log, 'w');
        const child = spawn(process.execPath, [BIN, 'up'], {
          cwd: p.dir,
          env: { ...process.env, CI: '1', DOCKER_HOST: proxy.url },
          stdio: ['ignore', fd, 'pipe'],
          detached: true,
        });
        closeSync(fd);
        let stderr = '';
        child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
        const code = new Promise<number | null>((resolve) => child.on('close', resolve));
        await Promise.race([
          held.reached,
          code.then((c) => {
            throw new Error(`up exited with ${String(c)} before the engine answered its build\n${stderr}`);
          }),
        ]);
        const during = statSync(log).size;
        held.release();
        expect(await code, stderr).toBe(0);
        expect(during, 'up.log was written to before the build ran').toBeGreaterThan(0);
        const text = readFileSync(log, 'utf8');
        expect(Buffer.byteLength(text), 'and grew after').toBeGreaterThan(during);
        expect(text).toMatch(/^\[app\] built in /m);
        expect(text).toMatch(/^done in [\d.]+s: 1 built$/m);
        expect(stderr).toBe('');
      }
      expect(fileInImage(`${p.name}-app:latest`, '/app.js')).toBe('app v2\n');
    } finally {
      await proxy.close();
    }
  });
});

describe('files an image does not read change nothing', () => {
  it('an output written into the project is no input of an image of the project root that does not read it', async () => {
    const p = project('outputs', {
      'mbuild.yaml': yaml(
        [
          '  a:',
          '    context: a',
          '    outputs:',
          '      - {path: /x, to: out/app}',
          '  b:',
          '    context: .',
          '    dockerfile_inline: |',
          '      FROM busybox',
          '      LABEL mbt.project=__NAME__',
          '      COPY b.txt /b',
          '',
        ].join('\n'),
      ),
      'a/Dockerfile': dockerfile('RUN echo __NAME__ > /x'),
      'b.txt': 'b\n',
    });
    const first = await up(p);
    expect(first.stderr, 'no warning: b does not read out/').toBe('');
    expect(first.code).toBe(0);
    expect(outcomes(first.events)).toEqual({ a: 'built', b: 'built' });
    expect(readFileSync(join(p.dir, 'out/app'), 'utf8')).toBe(`${p.name}\n`);

    const second = await upOk(p);
    expect(outcomes(second)).toEqual({ a: 'up-to-date', b: 'up-to-date' });
    expect(imageIdOf(second, 'a')).toBe(imageIdOf(first.events, 'a'));
    expect(imageIdOf(second, 'b')).toBe(imageIdOf(first.events, 'b'));
  });

  it("a README added to a base's folder rebuilds neither the base nor the images built FROM it", async () => {
    const dependent = (name: string) => ['ARG BASE', 'FROM ${BASE}', `COPY ${name}.txt /${name}.txt`, ''].join('\n');
    const p = project('base', {
      'mbuild.yaml': yaml(
        [
          '  base:',
          '    context: base',
          '  one:',
          '    context: one',
          '    args: {BASE: {image: base}}',
          '  two:',
          '    context: two',
          '    args: {BASE: {image: base}}',
          '',
        ].join('\n'),
      ),
      'base/Dockerfile': dockerfile('COPY base.txt /base.txt'),
      'base/base.txt': 'base v1\n',
      'one/Dockerfile': dependent('one'),
      'one/one.txt': 'one\n',
      'two/Dockerfile': dependent('two'),
      'two/two.txt': 'two\n',
    });
    const first = await upOk(p);
    expect(outcomes(first)).toEqual({ base: 'built', one: 'built', two: 'built' });
    const ids = Object.fromEntries(['base', 'one', 'two'].map((n) => [n, imageIdOf(first, n)]));

    edit(p, 'base/README.md', '# base\n');
    const second = await upOk(p);
    expect(outcomes(second)).toEqual({ base: 'up-to-date', one: 'up-to-date', two: 'up-to-date' });
    for (const n of ['base', 'one', 'two']) expect(imageIdOf(second, n), n).toBe(ids[n]);

    // The other way round: what base reads rebuilds all three.
    edit(p, 'base/base.txt', 'base v2\n');
    const third = await upOk(p);
    expect(outcomes(third)).toEqual({ base: 'built', one: 'built', two: 'built' });
    expect(reasons(third)).toEqual({ base: 'context changed: base.txt', one: 'upstream base rebuilt', two: 'upstream base rebuilt' });
    expect(fileInImage(imageIdOf(third, 'two'), '/base.txt')).toBe('base v2\n');
  });
});

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const endToEnd = (h: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP_BY_HOP.has(k)));

/** A pass-through proxy in front of the engine that counts the bytes of each POST /build body (the context tar). */
async function buildBodyCounter(): Promise<{ url: string; bodies: number[]; close: () => Promise<void> }> {
  const engine = process.env['DOCKER_HOST']?.startsWith('unix://') ? process.env['DOCKER_HOST'].slice('unix://'.length) : '/var/run/docker.sock';
  const dir = mkdtempSync(join(tmpdir(), 'mbuild-body-counter-'));
  const socketPath = join(dir, 'docker.sock');
  const bodies: number[] = [];
  const server = createServer((req, res) => {
    const isBuild = req.method === 'POST' && /^(\/v[\d.]+)?\/build(\?|$)/.test(req.url ?? '');
    let bytes = 0;
    if (isBuild) req.on('data', (c: Buffer) => (bytes += c.length));
    if (isBuild) req.on('end', () => bodies.push(bytes));
    const upstream = request({ socketPath: engine, method: req.method, path: req.url, headers: endToEnd(req.headers) }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, endToEnd(ures.headers));
      ures.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  const upgrades = spliceUpgrades(server, engine);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    url: `unix://${socketPath}`,
    bodies,
    close: async () => {
      server.closeAllConnections();
      upgrades.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the context sent is what the Dockerfile reads', () => {
  const BIG = 20 * 1024 * 1024;
  it.each(['buildkit', 'classic'] as const)('--builder %s: a 20 MB file no instruction reads is not sent; with inputs: whole it is', async (builder) => {
    const p = project(`pruned-${builder.slice(0, 2)}`, {
      'mbuild.yaml': yaml(['  pruned:', '    context: ctx', '  whole:', '    context: ctx', '    inputs: whole', ''].join('\n')),
      'ctx/Dockerfile': dockerfile('COPY small.txt /small.txt'),
      'ctx/small.txt': 'small\n',
    });
    writeFileSync(join(p.dir, 'ctx/big.bin'), randomBytes(BIG)); // incompressible, should a tar ever be
    const counter = await buildBodyCounter();
    try {
      const env = { DOCKER_HOST: counter.url };
      const pruned = await upOk(p, ['pruned', '--builder', builder], env);
      expect(outcomes(pruned)).toEqual({ pruned: 'built' });
      expect(counter.bodies).toHaveLength(1);
      expect(counter.bodies[0], 'the tar holds the Dockerfile and small.txt').toBeLessThan(64 * 1024);
      expect(counter.bodies[0]).toBeGreaterThan(0);

      const whole = await upOk(p, ['whole', '--builder', builder], env);
      expect(outcomes(whole)).toEqual({ whole: 'built' });
      expect(counter.bodies).toHaveLength(2);
      expect(counter.bodies[1], 'the tar holds big.bin').toBeGreaterThan(BIG);
      expect(fileInImage(imageIdOf(pruned, 'pruned'), '/small.txt')).toBe('small\n');
    } finally {
      await counter.close();
    }
  });
});

describe('symlinks a read matches or walks through are followed inside the context', () => {
  const linkProject = (label: string, copy: string): MountsProject => {
    const p = project(label, {
      'mbuild.yaml': yaml('  ln:\n    context: ctx\n'),
      'ctx/Dockerfile': dockerfile(`COPY ${copy} /f`),
      'ctx/real/file.txt': 'file v1\n',
      'ctx/real/other.txt': 'other v1\n',
    });
    symlinkSync('real', join(p.dir, 'ctx/linkdir'));
    symlinkSync('real/file.txt', join(p.dir, 'ctx/link.txt'));
    return p;
  };

  /** Builds, then: a change to real/other.txt rebuilds nothing, a change to real/file.txt rebuilds `ln` with it. */
  async function followsTheLink(p: MountsProject): Promise<void> {
    const first = await up(p);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(outcomes(first.events)).toEqual({ ln: 'built' });
    expect(fileInImage(imageIdOf(first.events, 'ln'), '/f')).toBe('file v1\n');

    edit(p, 'ctx/real/other.txt', 'other v2\n');
    const second = await upOk(p);
    expect(outcomes(second)).toEqual({ ln: 'up-to-date' });

    edit(p, 'ctx/real/file.txt', 'file v2\n');
    const third = await upOk(p);
    expect(outcomes(third)).toEqual({ ln: 'built' });
    expect(reasons(third)).toEqual({ ln: 'context changed: real/file.txt' });
    expect(fileInImage(imageIdOf(third, 'ln'), '/f')).toBe('file v2\n');
  }

  it('COPY link.txt, a symlink to real/file.txt', async () => {
    await followsTheLink(linkProject('lnfile', 'link.txt'));
  });

  it('COPY linkdir/file.txt, through linkdir, a symlink to the folder real/', async () => {
    await followsTheLink(linkProject('lndir', 'linkdir/file.txt'));
  });
});

describe('a base with ONBUILD triggers reads the whole context', () => {
  it('an external base with ONBUILD COPY . /app: context names the reason, and any change of the context rebuilds', async () => {
    const p = project('onbuild', {
      'mbuild.yaml': yaml('  kid:\n    context: ctx\n'),
      'ctx/Dockerfile': 'FROM __NAME__/onbuild:1\nCOPY a.txt /a\n',
      'ctx/a.txt': 'a\n',
      'ctx/sub/x.txt': 'x v1\n',
    });
    const base = `${p.name}/onbuild:1`; // removed with the project's tags
    execFileSync('docker', ['build', '--network', 'none', '-q', '-t', base, '-'], {
      input: `FROM busybox\nLABEL mbt.project=${p.name}\nONBUILD COPY . /app\n`,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    expect(docker('image', 'inspect', '--format', '{{json .Config.OnBuild}}', base)).toEqual(['["COPY . /app"]']);

    const ctx = await runCli(['context', 'kid'], { cwd: p.dir, env: { ...process.env } });
    expect(ctx.code, ctx.stderr).toBe(0);
    expect(ctx.stdout).toContain(`\nread: the whole context (base image ${base} has ONBUILD triggers)\n`);
    expect(ctx.stdout).not.toContain('not read by any instruction');
    const why = await runCli(['context', 'kid', '--why', 'sub/x.txt'], { cwd: p.dir, env: { ...process.env } });
    expect(why.stdout).toBe(`sub/x.txt: sent: no .dockerignore applies to this context; the whole context is read (base image ${base} has ONBUILD triggers)\n`);

    const first = await upOk(p);
    expect(outcomes(first)).toEqual({ kid: 'built' });
    expect(fileInImage(imageIdOf(first, 'kid'), '/app/sub/x.txt')).toBe('x v1\n');

    // Neither is read by an instruction of the Dockerfile itself: the trigger reads them.
    edit(p, 'ctx/sub/x.txt', 'x v2\n');
    edit(p, 'ctx/new.txt', 'new\n');
    const second = await upOk(p);
    expect(outcomes(second)).toEqual({ kid: 'built' });
    expect(reasons(second)).toEqual({ kid: 'context changed: new.txt (+1 more)' });
    expect(runInImage(imageIdOf(second, 'kid'), 'cat', '/app/sub/x.txt', '/app/new.txt')).toBe('x v2\nnew\n');
  });
});

describe('a COPY source that is not in the context', () => {
  it('up exits 2 at Dockerfile:line:col for a missing and an excluded source, before anything is built', async () => {
    const p = project('missing', {
      'mbuild.yaml': yaml('  ok:\n    context: ok\n  app:\n    context: app\n'),
      'ok/Dockerfile': dockerfile('RUN true'),
      'app/Dockerfile': dockerfile('COPY here.txt /here', 'COPY  gone.txt /g', 'COPY secret.key /k'),
      'app/here.txt': 'here\n',
      'app/secret.key': 'secret\n',
      'app/.dockerignore': '*.key\n',
    });
    const expected = [
      "app/Dockerfile:4:7: error: gone.txt: not in the context of image 'app' (app); the build would fail here",
      ' 4 | COPY  gone.txt /g',
      '   |       ^~~~~~~~',
      'app/Dockerfile:5:6: error: secret.key: excluded by .dockerignore line 1; the build would fail here',
      ' 5 | COPY secret.key /k',
      '   |      ^~~~~~~~~~',
    ];
    const r = await runCli(['up', '--progress', 'json'], { cwd: p.dir, env: { ...process.env } });
    expect(r.code).toBe(2);
    // Only the error as an event (--progress json): no run started.
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
      'no run started',
    ).toEqual(['error']);
    expect(r.stderr.split('\n').slice(0, expected.length)).toEqual(expected);
    expect(projectTags(p.name), 'nothing built, not even ok').toEqual([]);
    expect(docker('image', 'ls', '-q', '--filter', `label=mbt.project=${p.name}`)).toEqual([]);

    const validate = await runCli(['validate'], { cwd: p.dir, env: { ...process.env } });
    expect(validate.code).toBe(2);
    expect(validate.stderr.split('\n').slice(0, expected.length)).toEqual(expected);
  });
});

describe('mbuild context: what each line reads, and what no instruction reads', () => {
  const DOCKERFILE = dockerfile('COPY src/ /srv/src/', 'COPY config.json *.conf /srv/', 'RUN --mount=type=bind,source=tools,target=/t true');
  const TREE: Tree = {
    'mbuild.yaml': yaml(
      [
        '  app:',
        '    context: app',
        '  whole:',
        '    context: app',
        '    inputs: whole',
        '  syntax:',
        '    context: app',
        '    dockerfile_inline: |',
        '      # syntax=example.com/frontend:1',
        '      FROM busybox',
        '      COPY config.json /c',
        '  unknown:',
        '    context: app',
        '    dockerfile_inline: |',
        // A base the engine does not have: its ENV (which may set SRC) is not known.
        '      FROM mbt-absent-base:1',
        '      COPY $$SRC /c',
        '',
      ].join('\n'),
    ),
    'app/Dockerfile': DOCKERFILE,
    'app/.dockerignore': '*.log\n',
    'app/src/a.js': 'a'.repeat(10),
    'app/src/b.js': 'b'.repeat(20),
    'app/config.json': '{}',
    'app/x.conf': 'conf',
    'app/tools/t.sh': 'echo t\n',
    'app/docs/readme.md': 'r'.repeat(100),
    'app/notes.txt': 'nnn',
    'app/debug.log': 'excluded',
  };
  // One project for the describe: `context` builds nothing.
  let p: MountsProject | undefined;
  const proj = (): MountsProject => (p ??= mountsProject('ctxrows', TREE));
  afterAll(() => {
    expect(p?.cleanup() ?? [], 'images left behind').toEqual([]);
  });
  const run = (...args: string[]) => runCli(['context', ...args], { cwd: proj().dir, env: { ...process.env } });

  it('lists each read with its files, bytes and line, then what no instruction reads', async () => {
    const r = await run('app');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dockerfileBytes = Buffer.byteLength(DOCKERFILE.replaceAll('__NAME__', proj().name));
    const sent = dockerfileBytes + 6 + 10 + 20 + 2 + 4 + 7;
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      "context of image 'app': app",
      '  Dockerfile in the tar: Dockerfile',
      '  ignore file: app/.dockerignore',
      `  from the context folder: 7 files, ${sent} B, 2 folders, 0 symlinks`,
      `  total sent: 7 files, ${sent} B`,
    ]);
    const at = lines.indexOf('read by the Dockerfile (only this is sent and hashed, with the Dockerfile and .dockerignore):');
    expect(at, r.stdout).toBe(6);
    expect(lines.slice(at + 1, at + 6)).toEqual([
      '  src          2 files, 30 B  line 3: COPY src/ /srv/src/',
      '  config.json  1 file, 2 B    line 4: COPY config.json *.conf /srv/',
      '  *.conf       1 file, 4 B    line 4: COPY config.json *.conf /srv/',
      '  tools        1 file, 7 B    line 5: RUN --mount=type=bind,source=tools,target=/t true',
      'not read by any instruction (neither sent nor hashed): 2 files, 103 B',
    ]);

    const json = await run('app', '--format', 'json');
    const report = JSON.parse(json.stdout) as ContextReport;
    expect(report.inputs).toEqual({
      whole: null,
      reads: [
        { path: 'src', line: 3, text: 'COPY src/ /srv/src/', files: 2, bytes: 30 },
        { path: 'config.json', line: 4, text: 'COPY config.json *.conf /srv/', files: 1, bytes: 2 },
        { path: '*.conf', line: 4, text: 'COPY config.json *.conf /srv/', files: 1, bytes: 4 },
        { path: 'tools', line: 5, text: 'RUN --mount=type=bind,source=tools,target=/t true', files: 1, bytes: 7 },
      ],
      notRead: { files: 2, bytes: 103 },
    });
  });

  it('--why says which line reads a path, or that no instruction does', async () => {
    const why = async (image: string, path: string): Promise<string> => {
      const r = await run(image, '--why', path);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(await why('app', 'docs/readme.md')).toBe(
      'docs/readme.md: not read by any instruction of the Dockerfile: neither sent nor hashed (.dockerignore alone would send it)\n',
    );
    expect(await why('app', 'notes.txt')).toBe(
      'notes.txt: not read by any instruction of the Dockerfile: neither sent nor hashed (.dockerignore alone would send it)\n',
    );
    expect(await why('app', 'src/a.js')).toBe('src/a.js: sent: no line of .dockerignore matches it; read by line 3: COPY src/ /srv/src/\n');
    expect(await why('app', 'x.conf')).toBe('x.conf: sent: no line of .dockerignore matches it; read by line 4: COPY config.json *.conf /srv/\n');
    expect(await why('app', 'tools/t.sh')).toBe(
      'tools/t.sh: sent: no line of .dockerignore matches it; read by line 5: RUN --mount=type=bind,source=tools,target=/t true\n',
    );
    expect(await why('app', 'src/new.js')).toBe(
      'src/new.js: sent: no line of .dockerignore matches it; read by line 3: COPY src/ /srv/src/ (there is no such path in the context folder now)\n',
    );
    // .dockerignore still decides first; the Dockerfile is always sent.
    expect(await why('app', 'debug.log')).toBe('debug.log: excluded by .dockerignore line 1: *.log\n');
    expect(await why('app', 'Dockerfile')).toBe('Dockerfile: always sent: the builder needs it, whatever .dockerignore says\n');
    expect(await why('whole', 'docs/readme.md')).toBe('docs/readme.md: sent: no line of .dockerignore matches it; the whole context is read (inputs: whole)\n');
  });

  it.each([
    ['whole', 'inputs: whole'],
    ['syntax', "# syntax=example.com/frontend:1 is not Docker's own frontend"],
    ['unknown', '$SRC in a source path is not known before the build'],
  ])('falls back to the whole context for %s, and says why', async (image, reason) => {
    const r = await run(image);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(`read: the whole context (${reason})`);
    expect(lines.filter((l) => l.startsWith('read by the Dockerfile') || l.startsWith('not read by'))).toEqual([]);
    const json = JSON.parse((await run(image, '--format', 'json')).stdout) as ContextReport;
    expect(json.inputs).toEqual({ whole: reason, reads: [], notRead: { files: 0, bytes: 0 } });
    expect(json.context.files, 'everything the .dockerignore keeps').toBeGreaterThanOrEqual(9);
  });
});
