/**
 * Hostile tests of issue 19 on the real engine, both builders: in-file image names in
 * Dockerfiles (`FROM base`, `COPY --from=base`), `contexts:`, `context: {image, path}` and
 * DiffOp `a..b`, fed odd input (ARG-substituted sides, CRLF, the escape directive, JSON
 * form, heredoc bodies, `FROM --platform`, stages named like images, `a..b..c`, empty sides,
 * cycles, a huge Dockerfile), interrupted at each phase (SIGINT to a real `bin/mbuild.js`:
 * needs `npm run build`), with files changed and swapped for symlinks mid-run, two runs at
 * once, and a huge unread file in an image context.
 *
 * Passing tests are what mbuild holds; `it.fails` tests are defects (each says what is
 * wrong), to unmark once fixed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containersWith, fileInImage, idOf, internalImagesOf, processesWith, runInImage } from '../helpers/engine-docker.js';
import { startEngineProxy } from '../helpers/engine-proxy.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';
import { mountsProject, tempContainersOf, type MountsProject } from './mounts-helpers.js';

const projects: MountsProject[] = [];
afterAll(() => {
  const left = projects.splice(0).flatMap((p) => p.cleanup());
  expect(left, 'images left behind').toEqual([]);
});

/** mbuild's internal images (diff side stages) of the test's projects: other test files build their own meanwhile. */
const internalImages = (): string[] => internalImagesOf(projects.map((p) => p.name));
/** Every path below `dir` (recursively), relative, sorted. */
const allPaths = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).sort();

function project(label: string, tree: Record<string, string>): MountsProject {
  const p = mountsProject(label, tree);
  projects.push(p);
  return p;
}

const UPSTREAM = `  base:
    dockerfile_inline: |
      FROM busybox
      LABEL mbt.project=__NAME__
      RUN echo base-__NAME__ > /base.txt
  tools:
    args: {B: {image: base}}
    dockerfile_inline: |
      ARG B
      FROM $\${B}
      RUN mkdir -p /t && echo tool-__NAME__ > /t/tool.txt
`;
const HEAD = `version: 1
name: __NAME__
defaults:
  network: none
images:
${UPSTREAM}`;

describe('bad input, checked before anything is built', () => {
  it('a..b..c, empty sides, `...` and `..` are each an error at the Dockerfile line and column, all at once, exit 2', async () => {
    const forms = ['base..tools..base', '..tools', 'base..', '...', '..', 'base....tools'];
    const tree: Record<string, string> = {
      'mbuild.yaml': HEAD + forms.map((_, i) => `  d${i}: {context: d${i}}\n`).join(''),
    };
    forms.forEach((f, i) => (tree[`d${i}/Dockerfile`] = `FROM busybox\nCOPY --from=${f} / /x\n`));
    const p = project('badforms', tree);
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    forms.forEach((f, i) => expect(r.stderr).toContain(`d${i}/Dockerfile:2:13: error: COPY --from=${f} `));
    expect(r.stderr).toMatch(/6 errors/);
  });

  it('a cycle through a context image and a diff side is an error naming every edge, exit 2', async () => {
    const p = project('cycle', {
      'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  a: {context: a}
  c:
    context: {image: a, path: /}
    dockerfile: c.Dockerfile
`,
      'a/Dockerfile': 'FROM busybox\nCOPY --from=busybox:latest..c / /x\n',
      'c.Dockerfile': 'FROM busybox\n',
    });
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('a/Dockerfile:2:13: error: dependency cycle: a -> c -> a');
    expect(r.stderr).toMatch(/mbuild\.yaml:8:22: note: 'c' depends on 'a' through context/);
  });

  it('heredoc bodies that look like `FROM base` or `COPY --from=a..b` are not read as references', async () => {
    const p = project('heredoc', {
      'mbuild.yaml': `${HEAD}  h: {context: h}\n`,
      'h/Dockerfile':
        'FROM busybox\nRUN <<EOF\necho FROM base\necho COPY --from=..tools / /\nEOF\nCOPY <<EOF /h.txt\nFROM tools\nCOPY --from=a..b..c / /\nEOF\n',
    });
    const r = await p.run(['validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a huge Dockerfile (5 MiB of comments and continuations around a name and a diff) validates in seconds', async () => {
    const filler = '# filler comment line that is long enough to make the file big quickly, 0123456789\n'.repeat(60_000);
    const p = project('huge', {
      'mbuild.yaml': `${HEAD}  h: {context: h}\n`,
      'h/Dockerfile': `FROM base\n${filler}COPY --from=base..tools \\\n${filler.replaceAll('\n', ' \\\n')} /t /x\n`,
    });
    const started = Date.now();
    const r = await p.run(['validate']);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe.each(['classic', 'buildkit'] as const)('with the %s builder', (builder) => {
  const TREE: Record<string, string> = {
    'mbuild.yaml': `${HEAD}  argdiff: {context: argdiff}
  crlf: {context: crlf}
  esc: {context: esc}
  json: {context: json}
  plat: {context: plat}
  late: {context: late}
  caps: {context: caps}
  pathctx:
    context: pathctx
    contexts:
      src: {image: tools, path: /t}
  mbdf: {context: mbdf}
`,
    // The ARG in the stage holds the whole diff.
    'argdiff/Dockerfile': 'FROM busybox\nARG X=base..tools\nCOPY --from=${X} /t /x\n',
    'crlf/Dockerfile': 'FROM base\r\nCOPY --from=base..tools /t /x\r\nRUN cat /x/tool.txt /base.txt\r\n',
    'esc/Dockerfile': '# escape=`\nFROM base\nCOPY --from=base..tools `\n  /t /x\nRUN cat /x/tool.txt && `\n  cat /base.txt\n',
    'json/Dockerfile': 'FROM busybox\nCOPY --from=base..tools ["/t/tool.txt", "/x"]\nCOPY --from=base ["/base.txt", "/b"]\n',
    'plat/Dockerfile': 'FROM --platform=linux/amd64 base AS b\nFROM --platform=linux/amd64 tools\nCOPY --from=b /base.txt /b2\n',
    // FROM base before a stage `base` exists means the image; COPY --from=base after it, the stage.
    'late/Dockerfile':
      'FROM base AS first\nRUN cp /base.txt /first\nFROM busybox AS base\nRUN echo stage-base > /base.txt\nFROM busybox\nCOPY --from=first /first /first\nCOPY --from=base /base.txt /who\n',
    'caps/Dockerfile': 'FROM busybox AS Base\nRUN echo stage-Base > /who\nFROM busybox\nCOPY --from=BASE /who /who\n',
    'pathctx/Dockerfile': 'FROM busybox\nCOPY --from=src /tool.txt /x\n',
    // A user file named like mbuild's sent Dockerfile, in a context the build copies whole.
    'mbdf/Dockerfile': 'FROM base\nCOPY . /ctx\n',
    'mbdf/.mbuild.Dockerfile': 'mine\n',
  };
  const p = project(`forms-${builder}`, TREE);
  const tag = (image: string): string => `${p.name}-${image}:latest`;
  const onDisk = (): string[] => Object.keys(TREE).map((f) => readFileSync(join(p.dir, f), 'latin1'));
  const before = onDisk();
  const up = (...images: string[]) => p.run(['up', '--builder', builder, '--progress', 'plain', ...images]);

  it('ARG-substituted diffs, CRLF, the escape directive, JSON form and FROM --platform build right; nothing left behind', async () => {
    const internal = internalImages();
    const r = await up('argdiff', 'crlf', 'esc', 'json', 'plat');
    expect(r.code, r.stderr).toBe(0);
    const want = `tool-${p.name}\n`;
    expect(fileInImage(tag('argdiff'), '/x/tool.txt')).toBe(want);
    expect(runInImage(tag('crlf'), 'cat', '/x/tool.txt', '/base.txt')).toBe(`${want}base-${p.name}\n`);
    expect(runInImage(tag('esc'), 'cat', '/x/tool.txt', '/base.txt')).toBe(`${want}base-${p.name}\n`);
    expect(fileInImage(tag('json'), '/x')).toBe(want);
    expect(fileInImage(tag('json'), '/b')).toBe(`base-${p.name}\n`);
    expect(fileInImage(tag('plat'), '/b2')).toBe(`base-${p.name}\n`);
    expect(onDisk()).toEqual(before);
    expect(readdirSync(join(p.dir, 'argdiff'))).toEqual(['Dockerfile']); // no .mbuild-diff, no .mbuild.Dockerfile
    expect(tempContainersOf(process.pid)).toEqual([]);
    expect(internalImages()).toEqual(internal);
  });

  it('a stage named like an in-file image wins only after it is declared; stage names are case-insensitive', async () => {
    const r = await up('late', 'caps');
    expect(r.code, r.stderr).toBe(0);
    expect(fileInImage(tag('late'), '/first')).toBe(`base-${p.name}\n`);
    expect(fileInImage(tag('late'), '/who')).toBe('stage-base\n');
    expect(fileInImage(tag('caps'), '/who')).toBe('stage-Base\n');
  });

  // Was a defect (contexts with a path failed at build time): fixed.
  // (A folder is read as a mount is: the root of busybox, with its absolute symlinks, is refused as a mount source.)
  it('contexts: {src: {image: tools, path: /t}} serves COPY --from=src as documented', async () => {
    const r = await up('pathctx');
    expect(r.code, r.stderr).toBe(0);
    expect(fileInImage(tag('pathctx'), '/x')).toBe(`tool-${p.name}\n`);
  });

  // Was a defect (a user's .mbuild.Dockerfile was replaced by mbuild's): the injected one now takes a free name.
  it("a user's .mbuild.Dockerfile is sent intact, never replaced", async () => {
    const r = await up('mbdf');
    expect(r.code, r.stderr).toBe(0);
    expect(fileInImage(tag('mbdf'), '/ctx/.mbuild.Dockerfile')).toBe('mine\n');
    expect(onDisk()).toEqual(before);
  });

  // Was a defect (validate said nothing, the run built base then failed on a collision): a
  // COPY . beside a diff would copy mbuild's .mbuild-diff/ into the image: exit 2 at its line.
  it('COPY . beside a diff (and a context folder named .mbuild-diff/0) is refused at validate, nothing built', async () => {
    const q = project(`mbdiff-${builder}`, {
      'mbuild.yaml': `${HEAD}  mbdiff: {context: mbdiff}\n`,
      'mbdiff/Dockerfile': 'FROM busybox\nCOPY --from=busybox:latest..base / /d\nCOPY . /ctx\n',
      'mbdiff/.mbuild-diff/0/base.txt': 'user\n',
    });
    for (const command of ['validate', 'up']) {
      const r = await q.run(command === 'up' ? ['up', '--builder', builder] : ['validate']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/mbdiff\/Dockerfile:3:1: error: COPY \. \/ctx: reads the whole context, where mbuild places \.mbuild-diff\//);
    }
    expect(idOf(`${q.name}-base:latest`)).toBeUndefined();
  });
});

/** A project whose `slow` image runs a few seconds (the test acts once its RUN runs), and `app` uses it by name. */
function midRunProject(label: string, appDockerfile: string): MountsProject & { marker: string } {
  const marker = `mbt-h19-${randomBytes(4).toString('hex')}`;
  const p = project(label, {
    'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  slow:
    dockerfile_inline: |
      FROM busybox
      LABEL mbt.project=__NAME__
      RUN sleep 6; echo ${marker} > /slow
  app: {context: app}
`,
    'app/Dockerfile': appDockerfile,
  });
  return Object.assign(p, { marker });
}

describe.each(['classic', 'buildkit'] as const)('files changed mid-run, %s builder', (builder) => {
  /** Runs `up` in-process; once slow's RUN is running, `change()`; then waits for the end. */
  async function changeMidRun(p: MountsProject & { marker: string }, change: () => void) {
    const run = p.run(['up', '--builder', builder, '--progress', 'plain']);
    await expect.poll(() => processesWith(p.marker).length > 0, { timeout: 60_000, interval: 100 }).toBe(true);
    change();
    return run;
  }

  // Was a defect (high): the Dockerfile was re-read at decide through a symlink swapped in after
  // validate, and a file outside the project was sent to the engine and printed. Now refused unread.
  it('a Dockerfile swapped for a symlink to a file outside the project is never followed', async () => {
    const p = midRunProject(`swap-${builder}`, 'FROM slow\nCOPY Dockerfile /df\n');
    const outside = join(tmpdir(), `${p.marker}-outside.txt`);
    writeFileSync(outside, `OUTSIDE-${p.marker} secret line\n`);
    try {
      const r = await changeMidRun(p, () => {
        rmSync(join(p.dir, 'app/Dockerfile'));
        symlinkSync(outside, join(p.dir, 'app/Dockerfile'));
      });
      expect(r.code).toBe(1);
      expect(r.stderr.toUpperCase()).not.toContain(`OUTSIDE-${p.marker}`.toUpperCase());
      // Refused before the build: there may be no log at all.
      const logPath = join(p.dir, '.mbuild/logs/app.log');
      const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
      expect(r.stderr).toContain('leads outside the project root through a symlink');
      expect(log.toUpperCase()).not.toContain(`OUTSIDE-${p.marker}`.toUpperCase());
    } finally {
      rmSync(outside, { force: true });
    }
  });

  // Held: an edit between the key and the build is built as the new text (or fails as changed),
  // and restoring the old text rebuilds it: no image is found "up to date" for a text it was not built from.
  it('a Dockerfile edited mid-run is never taken later as the build of its old text', async () => {
    const old = 'FROM slow\nCOPY Dockerfile /df\n';
    const p = midRunProject(`edit-${builder}`, old);
    {
      const df = join(p.dir, 'app/Dockerfile');
      const r = await changeMidRun(p, () => {
        writeFileSync(`${df}.new`, 'FROM busybox\nCOPY Dockerfile /df\nRUN echo CHANGED > /changed\n');
        renameSync(`${df}.new`, df);
      });
      if (r.code === 0) {
        writeFileSync(`${df}.new`, old);
        renameSync(`${df}.new`, df);
        const again = await p.run(['up', '--builder', builder, '--progress', 'plain', 'app']);
        expect(again.code, again.stderr).toBe(0);
        // The image now tagged for the old text must be built from it: it has /slow, not /changed.
        expect(fileInImage(`${p.name}-app:latest`, '/slow')).toBe(`${p.marker}\n`);
      } else expect(r.stderr).toMatch(/changed/);
    }
  });
});

describe.each(['classic', 'buildkit'] as const)('Ctrl-C, %s builder', (builder) => {
  /** SIGINT to a real mbuild once `ready(pid)`; exit 130 and nothing of mbuild's left. */
  async function interrupt(p: MountsProject, args: string[], ready: (pid: number) => boolean | Promise<boolean>, dockerfiles: string[]) {
    const disk = dockerfiles.map((f) => readFileSync(join(p.dir, f), 'latin1'));
    const internal = internalImages();
    const tmp = mkdtempSync(join(tmpdir(), 'mbt-h19-tmp-'));
    const cli = spawnCli(['up', '--builder', builder, '--progress', 'plain', ...args], { cwd: p.dir, env: { TMPDIR: tmp } });
    const pid = cli.child.pid!;
    let exited = false;
    void cli.done.then(() => (exited = true));
    try {
      await expect.poll(async () => exited || (await ready(pid)), { timeout: 120_000, interval: 100 }).toBe(true);
    } catch (e) {
      // Never ready: the run is stopped as a user would, so a failed test leaves no build running.
      cli.child.kill('SIGINT'); // nothing once it has exited
      await cli.done;
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    expect(exited, cli.output().stderr).toBe(false);
    process.kill(pid, 'SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(tempContainersOf(pid)).toEqual([]);
    expect(internalImages()).toEqual(internal);
    expect(readdirSync(tmp)).toEqual([]);
    rmSync(tmp, { recursive: true });
    expect(allPaths(p.dir).filter((f) => /tmp|\.mbuild-diff|\.mbuild\.Dockerfile/.test(f))).toEqual([]);
    expect(dockerfiles.map((f) => readFileSync(join(p.dir, f), 'latin1'))).toEqual(disk);
    expect(readdirSync(join(p.dir, 'app')).sort()).toEqual(['Dockerfile']);
    return r;
  }

  it('while a diff side stage builds: exit 130, no internal image, no temp container or file, Dockerfile unchanged', async () => {
    const marker = `mbt-h19-side-${randomBytes(4).toString('hex')}`;
    const p = project(`int-side-${builder}`, {
      'mbuild.yaml': `${HEAD}  app: {context: app}\n`,
      'app/Dockerfile': `FROM busybox AS a\nLABEL mbt.project=__NAME__\nFROM a AS b\nRUN sleep 600 && echo ${marker}\nFROM base\nCOPY --from=a..b / /d/\n`,
    });
    // Side stage a is built (an internal image named by this project) while b sleeps: the count
    // of this project's internal images, which interrupt() checks is back where it was, sees it.
    let seen = false;
    const ready = () => {
      seen ||= internalImages().some((l) => l.includes(` ${p.name}/app/a `));
      return seen && processesWith(marker).length > 0;
    };
    await interrupt(p, ['app'], ready, ['app/Dockerfile']);
    await expect.poll(() => processesWith(marker), { timeout: 30_000 }).toEqual([]);
    // The daemon kills the step's container, then removes it: a moment after the shell is gone.
    await expect.poll(() => containersWith(marker), { timeout: 30_000 }).toEqual([]);
  });

  it('while the rewritten Dockerfile builds (FROM base by name): exit 130, nothing left, Dockerfile unchanged', async () => {
    const marker = `mbt-h19-rw-${randomBytes(4).toString('hex')}`;
    const p = project(`int-rw-${builder}`, {
      'mbuild.yaml': `${HEAD}  app: {context: app}\n`,
      'app/Dockerfile': `FROM base\nCOPY --from=base..tools /t /x\nRUN sleep 600 && echo ${marker}\n`,
    });
    await interrupt(p, ['app'], () => processesWith(marker).length > 0, ['app/Dockerfile']);
    await expect.poll(() => processesWith(marker), { timeout: 30_000 }).toEqual([]);
    // The daemon kills the step's container, then removes it: a moment after the shell is gone.
    await expect.poll(() => containersWith(marker), { timeout: 30_000 }).toEqual([]);
  });

  it('while an image context is read: exit 130, the temporary container removed', async () => {
    const p = bigProject(`int-ctx-${builder}`);
    const built = await p.run(['up', 'big', '--builder', builder]);
    expect(built.code, built.stderr).toBe(0);
    await interrupt(p, ['all'], (pid) => tempContainersOf(pid).length > 0, ['all.Dockerfile']);
  });
});

/** `big` holds /src/zeros (512 MiB, sparse when written) and /src/a.txt. */
function bigProject(label: string): MountsProject {
  return project(label, {
    'mbuild.yaml': `version: 1
name: __NAME__
defaults:
  network: none
images:
  big: {context: big}
  one:
    context: {image: big, path: /src}
    dockerfile: one.Dockerfile
  all:
    context: {image: big, path: /src}
    dockerfile: all.Dockerfile
`,
    // No per-project line before RUN: the layer is shared through the build cache.
    'big/Dockerfile':
      'FROM busybox\nRUN mkdir /src && truncate -s 512M /src/zeros && echo small > /src/a.txt # mbuild-test-hostile19-big\nLABEL mbt.project=__NAME__\n',
    'one.Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nCOPY a.txt /a.txt\n',
    'all.Dockerfile': 'FROM busybox\nLABEL mbt.project=__NAME__\nCOPY . /all\n',
    'app/Dockerfile': 'FROM busybox\n',
  });
}

describe('a huge unread file in an image context', () => {
  const p = bigProject('unread');
  let archiveBytes = 0;
  const proxied = async () => {
    const proxy = await startEngineProxy();
    try {
      const r = await runCli(['up', 'one', '--builder', 'buildkit', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env, DOCKER_HOST: proxy.url } });
      const bytes = (route: RegExp): number => proxy.bodies.filter((b) => route.test(b.route)).reduce((n, b) => n + b.bytes, 0);
      return { r, sent: bytes(/^POST \/build$/), read: bytes(/^GET \/containers\/[^/]+\/archive$/) };
    } finally {
      await proxy.close();
    }
  };

  it('is not sent to the engine', async () => {
    const built = await p.run(['up', 'big']);
    expect(built.code, built.stderr).toBe(0);
    const { r, sent, read } = await proxied();
    archiveBytes = read;
    expect(r.code, r.stderr).toBe(0);
    expect(fileInImage(`${p.name}-one:latest`, '/a.txt')).toBe('small\n');
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(1 << 20);
  });

  // DEFECT (medium, performance): to send one 6-byte file, mbuild reads the whole folder out of
  // the image (here 512 MiB of zeros through GET /containers/{id}/archive; 40 s for a 4 GiB
  // file). The docs say an unread file "stays in the image"; the input set is known before the
  // read, so the files it names could be fetched one by one (as the diff mounts do).
  it.fails('is not read out of the image either', () => {
    expect(archiveBytes).toBeGreaterThan(0); // measured by the test above
    expect(archiveBytes).toBeLessThan(1 << 20);
  });
});

describe('two runs at once on one project', () => {
  it.each(['classic', 'buildkit'] as const)('both build the stage diff right (%s); no internal image is left', async (builder) => {
    const p = project(`twice-${builder}`, {
      'mbuild.yaml': `${HEAD}  app: {context: app}\n`,
      'app/Dockerfile':
        'FROM busybox AS a\nLABEL mbt.project=__NAME__\nRUN echo a-__NAME__ > /a\nFROM a AS b\nRUN echo b > /b\nFROM base\nCOPY --from=a..b / /d/\n',
    });
    const internal = internalImages();
    const args = ['up', '--builder', builder, '--progress', 'plain'];
    const [one, two] = await Promise.all([p.run(args), p.run(args)]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(runInImage(`${p.name}-app:latest`, 'ls', '/d')).toBe('b\n');
    expect(internalImages()).toEqual(internal);
    expect(tempContainersOf(process.pid)).toEqual([]);
  });
});
