/**
 * Precise inputs (issue 16), end to end: a context pruned to what the Dockerfile reads builds
 * the same image as the whole context. Corpus: test/fixtures/inputs-corpus/ (its README says
 * what a case holds). For each builder, one generated project holds two images per case that
 * builder can build: `<case>-read` (default inputs: only the paths the reached stages read
 * are sent) and `<case>-whole` (`inputs: whole`), with the same context, Dockerfile, args and
 * target. One `mbuild up` per builder builds them all, both builders at once. Then both
 * images of each pair must hold the same file tree: path, type, mode, owner, content, link
 * target and mtime (see `line`).
 *
 * `-whole` is built after `-read` (depends_on: order only). BuildKit builds without the layer
 * cache, so that `-whole` does not reuse the layers of `-read` and mtimes are compared too (the
 * order matters: BuildKit merges identical steps of builds running at once, even without
 * cache, and its step digests ignore mtimes). The classic builder is several times slower
 * here (a commit per instruction), so it keeps its cache: a step of `-whole` reuses the layer
 * of `-read` only when the sources it reads hash the same (content, mode, owner, link target;
 * not mtime), so a context that lacks or changes what a step reads still shows, but mtimes
 * are only checked by the BuildKit half. Both builders copy the mtimes of the folders below a
 * copied folder from the context into the image.
 *
 * MBT_CORPUS_EXPECTED=1 also builds `<case>-expected` from a copy of the context that holds
 * only the paths of expected.txt (expected.classic.txt for the classic builder, when there is
 * one), and compares it with `-whole` too: a check of the corpus itself (are the expected
 * sets enough to build the image?), for when cases are added or changed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeProjectImages } from '../helpers/engine-docker.js';
import { failureOf, parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { PLACEHOLDER, uniqueName } from '../helpers/engine-project.js';
import { imageTree, type TreeEntry } from '../helpers/image-tree.js';
import { spawnCli, type CliResult } from '../helpers/run-cli.js';

/** The `-whole` image of a pair sends and hashes the whole context, as `docker build` does. */
const WHOLE: Readonly<Record<string, string>> = { inputs: 'whole' };

const CHECK_EXPECTED = process.env['MBT_CORPUS_EXPECTED'] === '1';
const CORPUS = fileURLToPath(new URL('../fixtures/inputs-corpus/', import.meta.url));
const BUILDERS = ['buildkit', 'classic'] as const;
type Builder = (typeof BUILDERS)[number];

interface Case {
  readonly name: string;
  readonly builders: readonly Builder[];
  readonly args?: Readonly<Record<string, string>>;
  readonly target?: string;
  readonly dockerfile?: string;
  readonly base?: string;
  readonly empty_dirs?: readonly string[];
}

const isBuilder = (b: unknown): b is Builder => BUILDERS.some((x) => x === b);

function loadCase(name: string): Case {
  const c = JSON.parse(readFileSync(join(CORPUS, name, 'case.json'), 'utf8')) as Omit<Case, 'builders'> & { builders: unknown };
  if (!Array.isArray(c.builders) || !c.builders.every(isBuilder)) throw new Error(`${name}/case.json: builders must list buildkit and/or classic`);
  return { ...c, builders: c.builders, name };
}

const CASES = readdirSync(CORPUS)
  .filter((n) => /^\d\d-/.test(n))
  .sort()
  .map(loadCase);
const casesOf = (builder: Builder): Case[] => CASES.filter((c) => c.builders.includes(builder));

/** Every entry of a copied context gets this mtime, older than any build: such mtimes are compared exactly. */
const STAMP = new Date('2001-02-03T04:05:06Z');

function stampTree(path: string): void {
  if (lstatSync(path).isDirectory()) for (const e of readdirSync(path)) stampTree(join(path, e));
  lutimesSync(path, STAMP, STAMP);
}

/** Builds a case's base Dockerfile (classic builder, no context) under a tag of the project; returns the tag. */
function buildBase(project: string, c: Case, file: string): string {
  const tag = `${project}/base-${c.name}:latest`;
  const text = readFileSync(join(CORPUS, c.name, file), 'utf8').replaceAll(PLACEHOLDER, project);
  execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: text, env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['pipe', 'ignore', 'pipe'] });
  return tag;
}

/** The paths a case's expected file lists for `builder`, or undefined for `WHOLE <reason>`. */
function expectedPaths(c: Case, builder: Builder): string[] | undefined {
  const classic = join(CORPUS, c.name, 'expected.classic.txt');
  const file = builder === 'classic' && existsSync(classic) ? classic : join(CORPUS, c.name, 'expected.txt');
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  return lines[0]?.startsWith('WHOLE ') ? undefined : lines;
}

/** A copy of the case's context with only `paths`, the Dockerfile, the ignore files and the empty folders. */
function prunedCopy(c: Case, paths: readonly string[], from: string, to: string): void {
  const dockerfile = c.dockerfile ?? 'Dockerfile';
  const keep = [...paths, dockerfile, `${dockerfile}.dockerignore`, '.dockerignore'].filter((p) => present(join(from, p)));
  for (const p of keep) {
    mkdirSync(dirname(join(to, p)), { recursive: true });
    cpSync(join(from, p), join(to, p), { verbatimSymlinks: true });
  }
  for (const d of c.empty_dirs ?? []) mkdirSync(join(to, d), { recursive: true });
}

/** Whether anything (a dangling symlink too) is at `path`. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes the project of one builder into `dir`: every case that builder can build, as a pair (or a triple). */
function writeProject(builder: Builder, project: string, dir: string): void {
  const images: Record<string, object> = {};
  for (const c of casesOf(builder)) {
    const ctx = join(dir, c.name);
    cpSync(join(CORPUS, c.name, 'context'), ctx, { recursive: true, verbatimSymlinks: true });
    for (const d of c.empty_dirs ?? []) mkdirSync(join(ctx, d), { recursive: true });
    const dockerfile = join(ctx, c.dockerfile ?? 'Dockerfile');
    writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replaceAll(PLACEHOLDER, project));
    const args = { ...c.args, ...(c.base === undefined ? {} : { BASE: buildBase(project, c, c.base) }) };
    const image = {
      context: c.name,
      ...(c.dockerfile === undefined ? {} : { dockerfile: c.dockerfile }),
      ...(c.target === undefined ? {} : { target: c.target }),
      ...(Object.keys(args).length === 0 ? {} : { args }),
    };
    images[`${c.name}-read`] = image;
    images[`${c.name}-whole`] = { ...image, ...WHOLE, depends_on: [`${c.name}-read`] };
    const paths = expectedPaths(c, builder);
    if (CHECK_EXPECTED && paths !== undefined) {
      prunedCopy(c, paths, ctx, join(dir, `${c.name}.expected`));
      images[`${c.name}-expected`] = { ...image, context: `${c.name}.expected`, ...WHOLE, depends_on: [`${c.name}-whole`] };
    }
  }
  for (const e of readdirSync(dir)) stampTree(join(dir, e));
  // JSON is YAML, with no quoting to get wrong.
  writeFileSync(
    join(dir, 'mbuild.yaml'),
    JSON.stringify({ version: 1, name: project, defaults: { network: 'none', no_cache: builder === 'buildkit' }, images }, null, 2),
  );
}

interface Run {
  readonly cli: CliResult;
  readonly events: readonly JsonEvent[];
  /** The layers (diff IDs) of each compared image that was built, by image name. */
  readonly layers: ReadonlyMap<string, string>;
  /** The listing of each image that was read, by image name, or why it could not be (not built). */
  readonly trees: ReadonlyMap<string, readonly string[] | string>;
}

/**
 * One line per entry. An mtime from `since` on was made by the build (a RUN's output, a folder
 * COPY wrote into) and differs from build to build: it reads `new`. Older ones (the context's
 * STAMP, the base image's) are kept.
 */
const line = (e: TreeEntry, since: number): string =>
  `/${e.path} ${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.mtime < since ? new Date(e.mtime * 1000).toISOString() : 'new'} ${e.what}`.trimEnd();

function builtImage(events: readonly JsonEvent[], image: string): string | { failed: string } {
  const done = events.find((e) => e.type === 'image-done' && e.image === image);
  if (done?.type === 'image-done' && done.outcome.kind !== 'failed') return done.outcome.imageId;
  const failure = failureOf(events, image);
  return { failed: `${image} was not built: ${failure ? JSON.stringify(failure) : 'no image-done event'}` };
}

/** A function that runs at most `n` of the tasks given to it at once. */
function limiter(n: number): <R>(task: () => Promise<R>) => Promise<R> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** The images of a case compared with its `-whole`, last built last (each depends on the one before). */
const groupOf = (c: Case, builder: Builder): string[] => [
  `${c.name}-read`,
  `${c.name}-whole`,
  ...(CHECK_EXPECTED && expectedPaths(c, builder) !== undefined ? [`${c.name}-expected`] : []),
];

/**
 * Builds a written project and reads what it must compare: a case's images as soon as the
 * last of them is done, while the others build. A child process per builder: two in-process
 * runs would share one event loop.
 */
async function buildCorpus(builder: Builder, dir: string): Promise<Run> {
  const since = Math.floor(Date.now() / 1000) - 1;
  const cli = spawnCli(['up', '-j', '2', '--builder', builder, '--keep-going', '--progress', 'json'], { cwd: dir });
  const docker = new Docker();
  const events: JsonEvent[] = [];
  const layers = new Map<string, string>();
  const trees = new Map<string, readonly string[] | string>();
  const limit = limiter(3);
  const compared = new Map<string, Promise<void>>();
  const compareCase = (c: Case): Promise<void> =>
    limit(async () => {
      const [read, whole, expected] = groupOf(c, builder);
      for (const name of groupOf(c, builder)) {
        const id = builtImage(events, name);
        if (typeof id === 'string') layers.set(name, ((await docker.getImage(id).inspect()).RootFS.Layers ?? []).join(' '));
      }
      // Images with the same layers hold the same tree: no need to read them (the classic
      // builder's -whole reuses the layers of -read when nothing differs). 01 is always read.
      const same = (a: string): boolean => !a.startsWith('01-') && layers.has(a) && layers.get(a) === layers.get(whole!);
      const toRead = [read!, ...(expected === undefined ? [] : [expected])].filter((a) => !same(a));
      for (const name of toRead.length === 0 ? [] : [...toRead, whole!]) {
        const image = builtImage(events, name);
        trees.set(name, typeof image === 'string' ? (await imageTree(image, docker)).map((e) => line(e, since)) : image.failed);
      }
    });
  const lastOf = new Map(casesOf(builder).map((c) => [groupOf(c, builder).at(-1)!, c]));
  let pending = '';
  cli.child.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const e of parseEvents(lines.join('\n'))) {
      events.push(e);
      const c = e.type === 'image-done' ? lastOf.get(e.image) : undefined;
      if (c !== undefined) compared.set(c.name, compareCase(c));
    }
  });
  const result = await cli.done;
  events.push(...parseEvents(pending));
  // Cases whose last image never finished (not started after a failure) are compared now.
  for (const c of casesOf(builder)) if (!compared.has(c.name)) compared.set(c.name, compareCase(c));
  await Promise.all(compared.values());
  return { cli: result, events, layers, trees };
}

/** The lines only one side has, sorted by path; at most `max`. */
function differences(a: readonly string[], b: readonly string[], names: readonly [string, string], max = 16): string[] {
  const inA = new Set(a);
  const inB = new Set(b);
  const only = [...a.filter((l) => !inB.has(l)).map((l) => ({ l, side: names[0] })), ...b.filter((l) => !inA.has(l)).map((l) => ({ l, side: names[1] }))];
  only.sort((x, y) => (x.l < y.l ? -1 : x.l > y.l ? 1 : x.side < y.side ? -1 : 1));
  const lines = only.slice(0, max).map((x) => `${x.side} only: ${x.l}`);
  return only.length > max ? [...lines, `... and ${only.length - max} more`] : lines;
}

const projects = BUILDERS.map((builder) => ({ builder, project: uniqueName(`corpus-${builder.slice(0, 2)}`), dir: '' }));
const runs = new Map<Builder, Promise<Run>>();

beforeAll(() => {
  // All files first: the builds then run at once, each in its own process.
  for (const p of projects) {
    p.dir = mkdtempSync(join(tmpdir(), `mbt-corpus-${p.builder}-`));
    writeProject(p.builder, p.project, p.dir);
  }
  for (const p of projects) {
    const run = buildCorpus(p.builder, p.dir);
    run.catch(() => undefined); // awaited by the describe below
    runs.set(p.builder, run);
  }
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(runs.values());
  const left = projects.flatMap((p) => {
    if (p.dir !== '') rmSync(p.dir, { recursive: true, force: true });
    return removeProjectImages(p.project);
  });
  expect(left, 'images left behind').toEqual([]);
}, 120_000);

describe.each(BUILDERS)('mbuild up --builder %s: a context pruned to the inputs builds the same image', (builder) => {
  let run: Run;
  beforeAll(async () => {
    run = await runs.get(builder)!;
  }, 600_000);

  const tree = (image: string): readonly string[] => {
    const t = run.trees.get(image);
    if (typeof t !== 'object') throw new Error(`${t ?? `${image} was not read`}\n${run.cli.stderr.slice(0, 2000)}`);
    return t;
  };
  /** What only one image of a pair holds; nothing when both have the same layers. */
  const compare = (a: string, b: string, names: readonly [string, string]): string[] =>
    a.startsWith('01-') || !run.layers.has(a) || run.layers.get(a) !== run.layers.get(b) ? differences(tree(a), tree(b), names) : [];

  it('mbuild up builds every image', () => {
    expect(run.cli.stderr.slice(0, 4000)).toBe('');
    expect(run.cli.code).toBe(0);
  });

  it('01-single-file: both images hold the marker file, with the fixture bytes and mtime (an empty pair cannot pass)', () => {
    const file = join(CORPUS, '01-single-file', 'context', 'app.txt');
    const [mode, hash] = [(lstatSync(file).mode & 0o7777).toString(8), createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16)];
    const marker = `/app/app.txt file ${mode} 0:0 ${STAMP.toISOString()} ${hash}`;
    expect(tree('01-single-file-read')).toContain(marker);
    expect(tree('01-single-file-whole')).toContain(marker);
  });

  it.each(casesOf(builder).map((c) => c.name))('%s: the -read image holds the same files as the -whole image', (name) => {
    expect(
      compare(`${name}-read`, `${name}-whole`, ['read', 'whole']),
      `${name}: entries of one image only (path type mode uid:gid mtime content|target)`,
    ).toEqual([]);
  });

  it.runIf(CHECK_EXPECTED).each(
    casesOf(builder)
      .filter((c) => expectedPaths(c, builder) !== undefined)
      .map((c) => c.name),
  )('%s: a context of only the expected paths builds the same image as the whole context', (name) => {
    expect(compare(`${name}-expected`, `${name}-whole`, ['expected', 'whole'])).toEqual([]);
  });
});
