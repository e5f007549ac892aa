/**
 * The harness of the cache soundness property (issue 5), shared by test/engine/cache-soundness.test.ts
 * and its shared-cache variant test/engine/cache-soundness-remote.test.ts: random mutation
 * sequences over a small monorepo; after each step `mbuild up` runs, and every image's /srv
 * tree must equal the tree of a reference built with `--no-cache` from the same inputs. Zero
 * stale skips. The other way round: an image whose inputs are the same as at some earlier step
 * (a touch, an ignored file, a change reverted) must not be built at all.
 *
 * Fixture test/fixtures/up/soundness:
 *   <P>-src:1 ──FROM──> base ──FROM (tag)──> lib ──mount /srv/lib──> web <──COPY --from── <P>-src:2
 *                        └──{image: base} arg──> app (ARG VERSION from vars, one RUN)
 *   lib/.dockerignore: `*.log`, `!keep.log`, `scratch`, `!scratch/keep.txt`; symlinks in
 *   lib/src and web/site; every image COPYs its whole context to /srv/<image>/.
 *
 * How it stays fast:
 *  - each sequence starts from the fixture's state again (1-3 steps from it), and every
 *    mutation draws from a small domain, so states repeat;
 *  - references are memoised per image by a digest of the inputs of the image and of
 *    everything upstream of it, computed by this test from the files on disk (not by
 *    mbuild), the VERSION var and the IDs behind the two re-tagged base tags; a step builds
 *    references (`up --no-cache` in a second copy of the project, under another name) only
 *    for the images whose digest has no reference yet, and only them and their upstreams;
 *  - trees are read once per image ID, through the archive API of a created container.
 *
 * MBUILD_SOUNDNESS_SEED=<n> replays a run (the seed is printed with every failure and in the
 * summary); MBUILD_SOUNDNESS_SEQUENCES=<n> changes the count (each test file has its default).
 * A variant adds arguments to the main copy's `up` (`mainArgs`) and checks of its own after
 * every step (`afterStep`), comparing more images with the same references (`compare`).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { expect } from 'vitest';
import { docker, idOf } from '../helpers/engine-docker.js';
import { imageIdOf, parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { copyFixture, PLACEHOLDER, type TestProject } from '../helpers/engine-project.js';
import { digestOf, treeReader, type TreeReader } from '../helpers/tree-digest.js';

export const IMAGES = ['base', 'lib', 'app', 'web'] as const;
export type Image = (typeof IMAGES)[number];
/** Upstream images, as the test knows the graph (the FROM tag, the {image:} arg, the mount). */
const UPSTREAM: Record<Image, readonly Image[]> = { base: [], lib: ['base'], app: ['base'], web: ['lib'] };
/**
 * Context entries lib/.dockerignore excludes: their content, mode or existence is no input.
 * `lib/scratch` is excluded but holds the re-included scratch/keep.txt: the folder is walked,
 * never sent itself (docker's semantics), so its own mode is no input either.
 */
const IGNORED = new Set(['lib/debug.log', 'lib/trace.log', 'lib/scratch', 'lib/scratch/junk.txt']);

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What is not a file of the contexts: the VERSION var and which prepared image each src tag names. */
export interface Knobs {
  readonly version: string;
  readonly src1: 'x' | 'y';
  readonly src2: 'x' | 'y';
}
export const BASELINE: Knobs = { version: '1', src1: 'x', src2: 'x' };

/** The tag `<project>-src:<n>` the fixture's Dockerfiles read (base's FROM, web's COPY --from). */
export const srcTag = (project: string, n: 1 | 2): string => `${project}-src:${n}`;

const sha = (x: string | Buffer): string => createHash('sha256').update(x).digest('hex').slice(0, 16);

function lstatSafe(abs: string): Stats | undefined {
  try {
    return lstatSync(abs);
  } catch {
    return undefined;
  }
}

const kindOf = (st: Stats): string => (st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file');

export function diff(expected: readonly string[], actual: readonly string[]): string {
  const e = new Set(expected);
  const a = new Set(actual);
  return [...expected.filter((l) => !a.has(l)).map((l) => `- ${l}`), ...actual.filter((l) => !e.has(l)).map((l) => `+ ${l}`)].join('\n');
}

/** The shared cache entry (`REPO:<key>`) an image of a run came from, if it did. */
export function sharedCacheRef(events: readonly JsonEvent[], image: string): string | undefined {
  const done = events.find((e) => e.type === 'image-done' && e.image === image);
  return done?.type === 'image-done' && done.outcome.kind === 'up-to-date' ? done.outcome.cache : undefined;
}

/** A step of the main copy, done and checked, as a variant's `afterStep` sees it. */
export interface StepDone {
  readonly events: readonly JsonEvent[];
  /** The test's input digest of every image (the key of its reference). */
  readonly digests: Record<Image, string>;
  readonly knobs: Knobs;
  /** Seed, step and mutations since the reset: for every failure message. */
  readonly why: string;
}

export interface SoundnessOptions {
  /** The count when MBUILD_SOUNDNESS_SEQUENCES is not set. */
  readonly defaultSequences: number;
  /** The first words of the summary line. */
  readonly title: string;
  /** More arguments of every `up` in the main copy (asked after `setup`). */
  readonly mainArgs?: () => readonly string[];
  /** Runs after each step's own checks; may compare more images with the step's references. */
  readonly afterStep?: (done: StepDone) => Promise<void>;
  /** Appended to the summary line. */
  readonly summary?: () => string;
}

export interface Soundness {
  readonly seed: number;
  readonly sequences: number;
  /** The copy every mutation changes (valid after `setup`). */
  readonly main: TestProject;
  /** The IDs of the two prepared images the src tags are moved between (valid after `setup`). */
  readonly prepared: Readonly<Record<'x' | 'y', string>>;
  /** Filters file contents so that copies of the project under other names compare equal. */
  readonly normalize: (content: Buffer) => Buffer;
  setup(): void;
  /** Removes what `setup` and the steps made; returns the images left behind (expected: none). */
  teardown(): string[];
  /** `mbuild up --progress json --builder buildkit --var VERSION=<version> EXTRA` in `project`, which must succeed. */
  up(project: TestProject, version: string, extra: readonly string[], why: string, env?: Record<string, string>): Promise<JsonEvent[]>;
  /** Compares, in the background, a listing of /srv with the reference of `digest`; a difference fails the run. */
  compare(image: Image, digest: string, actual: Promise<readonly string[]>, what: string, why: string): void;
  /** The sequences, then every comparison; throws the first failure; prints the summary. */
  run(): Promise<void>;
}

export function createSoundness(o: SoundnessOptions): Soundness {
  const sequences = Number(process.env['MBUILD_SOUNDNESS_SEQUENCES'] ?? o.defaultSequences);
  const seed = process.env['MBUILD_SOUNDNESS_SEED'] !== undefined ? Number(process.env['MBUILD_SOUNDNESS_SEED']) : randomInt(2 ** 31);
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

  let main: TestProject;
  let ref: TestProject;
  let pristine: string;
  let reader: TreeReader;
  /** The two prepared images the `-src:1` and `-src:2` tags are moved between. */
  let prepared: Record<'x' | 'y', string>;
  let knobs: Knobs = { ...BASELINE };
  /** What the reference copy's src tags name now. */
  let refTags: Knobs = { ...BASELINE };

  const at = (path: string) => join(main.dir, path);
  /** Project names become the placeholder, so that the two copies' contents compare equal. */
  const normalize = (content: Buffer): Buffer => {
    const text = content.toString('latin1');
    return text.includes('mbt-') ? Buffer.from(text.replaceAll(ref.name, PLACEHOLDER).replaceAll(main.name, PLACEHOLDER), 'latin1') : content;
  };

  // ---- the test's own view of the inputs -------------------------------------------------

  /** Entries of a context folder (path, type, mode, content hash or link target), minus IGNORED. */
  function contextEntries(image: Image): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(at(rel)).sort()) {
        const path = `${rel}/${name}`;
        const st = lstatSync(at(path));
        const mode = (st.mode & 0o7777).toString(8);
        if (st.isDirectory()) {
          if (!IGNORED.has(path)) out.push(`${path} dir ${mode}`);
          walk(path);
        } else if (IGNORED.has(path)) continue;
        else if (st.isSymbolicLink()) out.push(`${path} link -> ${readlinkSync(at(path))}`);
        else out.push(`${path} file ${mode} ${sha(normalize(readFileSync(at(path))))}`);
      }
    };
    walk(image);
    return out;
  }

  /** Per image, a digest of its own inputs and of everything upstream of it. */
  function inputDigests(): Record<Image, string> {
    const own: Record<Image, string[]> = {
      base: [`src:1 ${prepared[knobs.src1]}`],
      lib: [],
      app: [`VERSION=${knobs.version}`],
      web: [`src:2 ${prepared[knobs.src2]}`],
    };
    const out = {} as Record<Image, string>;
    for (const image of IMAGES) {
      out[image] = sha([...own[image], ...contextEntries(image), ...UPSTREAM[image].map((u) => `upstream ${u} ${out[u]}`)].join('\n'));
    }
    return out;
  }

  // ---- mutations ---------------------------------------------------------------------------

  const FILES = ['base/data/a.txt', 'lib/src/x.txt', 'lib/keep.log', 'lib/scratch/keep.txt', 'app/conf/c.txt', 'app/run.sh', 'web/site/index.txt'];
  const RENAMES: readonly (readonly [string, string])[] = [
    ['base/data/b.txt', 'base/data/b2.txt'],
    ['lib/src/x.txt', 'lib/src/y.txt'],
    ['web/site/index.txt', 'web/site/index2.txt'],
  ];
  const LINKS: Record<string, readonly string[]> = {
    'lib/src/link': ['x.txt', 'y.txt', 'nowhere'],
    'web/site/link': ['index.txt', 'index2.txt', '../Dockerfile'],
  };
  const RUN_LINES = ['RUN echo "v$VERSION" > /srv/app/version', 'RUN echo "w$VERSION" > /srv/app/version', 'RUN echo "v$VERSION"  >  /srv/app/version'];
  const exists = (path: string): boolean => lstatSafe(at(path)) !== undefined;
  /** Two contents per file, the fixture's and another one: states repeat, changes get reverted. */
  const contentFor = (path: string): string => `${basename(path).replace(/\..*$/, '')}${1 + int(2)}\n`;
  function write(path: string, content: string): void {
    mkdirSync(dirname(at(path)), { recursive: true });
    writeFileSync(at(path), content);
  }
  /** Regular files of the contexts, ignored ones included. */
  function allFiles(): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(at(rel))) {
        const st = lstatSync(at(`${rel}/${name}`));
        if (st.isDirectory()) walk(`${rel}/${name}`);
        else if (st.isFile()) out.push(`${rel}/${name}`);
      }
    };
    for (const image of IMAGES) walk(image);
    return out.sort();
  }
  function replaceLine(path: string, test: (line: string) => boolean, line: string): void {
    const lines = readFileSync(at(path), 'utf8').split('\n');
    const i = lines.findIndex(test);
    lines[i] = line;
    writeFileSync(at(path), lines.join('\n'));
  }

  /** Each mutation changes the main copy (or a knob) and says what it did. */
  const MUTATIONS: Record<string, () => string> = {
    write: () => {
      const path = pick(FILES);
      const content = contentFor(path);
      // Half of the time the old mtime is put back (rsync -t, cp -p): both contents have the
      // same size, so only the ctime tells the stat cache that the file changed.
      const before = lstatSafe(at(path));
      write(path, content);
      if (before !== undefined && int(2) === 0) {
        utimesSync(at(path), before.atime, before.mtime);
        return `write ${path} = ${JSON.stringify(content)}, keeping its mtime`;
      }
      return `write ${path} = ${JSON.stringify(content)}`;
    },
    'delete or re-create': () => {
      const path = pick(FILES);
      if (exists(path)) {
        rmSync(at(path));
        return `delete ${path}`;
      }
      const content = contentFor(path);
      write(path, content);
      return `re-create ${path} = ${JSON.stringify(content)}`;
    },
    chmod: () => {
      const path = pick(FILES.filter(exists));
      const mode = lstatSync(at(path)).mode & 0o7777;
      const next = mode & 0o111 ? mode & ~0o111 : mode | 0o111;
      chmodSync(at(path), next);
      return `chmod ${next.toString(8)} ${path}`;
    },
    symlink: () => {
      const path = pick(Object.keys(LINKS));
      const target = pick(LINKS[path]!);
      rmSync(at(path), { force: true });
      symlinkSync(target, at(path));
      return `ln -sfn ${target} ${path}`;
    },
    touch: () => {
      const path = pick(allFiles());
      const when = new Date(Date.now() + (int(3) - 1) * 60_000 + int(1000));
      utimesSync(at(path), when, when);
      return `touch ${path}`;
    },
    'ignored file': () => {
      switch (int(4)) {
        case 0: {
          const path = pick(['lib/debug.log', 'lib/scratch/junk.txt']);
          const content = contentFor(path);
          write(path, content);
          return `write ignored ${path} = ${JSON.stringify(content)}`;
        }
        case 1: {
          const path = pick(['lib/debug.log', 'lib/scratch/junk.txt']);
          if (!exists(path)) return `(${path} is gone already)`;
          chmodSync(at(path), lstatSync(at(path)).mode & 0o111 ? 0o644 : 0o755);
          return `chmod ignored ${path}`;
        }
        case 2:
          if (exists('lib/trace.log')) {
            rmSync(at('lib/trace.log'));
            return 'delete ignored lib/trace.log';
          }
          write('lib/trace.log', 'trace\n');
          return 'create ignored lib/trace.log';
        default: {
          const mode = (lstatSync(at('lib/scratch')).mode & 0o777) === 0o755 ? 0o700 : 0o755;
          chmodSync(at('lib/scratch'), mode);
          return `chmod ${mode.toString(8)} lib/scratch (excluded folder holding a re-included file)`;
        }
      }
    },
    'Dockerfile comment': () => {
      const image = pick(IMAGES);
      const line = pick([`# ${image}`, `# ${image} (edited)`]);
      replaceLine(`${image}/Dockerfile`, (l) => l.startsWith('#'), line);
      return `${image}/Dockerfile comment: ${line}`;
    },
    'RUN line': () => {
      const line = pick(RUN_LINES);
      replaceLine('app/Dockerfile', (l) => l.startsWith('RUN '), line);
      return `app/Dockerfile: ${line}`;
    },
    var: () => {
      knobs = { ...knobs, version: pick(['1', '2']) };
      return `--var VERSION=${knobs.version}`;
    },
    retag: () => {
      const n = pick([1, 2] as const);
      const to = pick(['x', 'y'] as const);
      knobs = n === 1 ? { ...knobs, src1: to } : { ...knobs, src2: to };
      docker('tag', prepared[to], srcTag(main.name, n));
      return `docker tag prepared-${to} ${srcTag(main.name, n)}`;
    },
    rename: () => {
      const [a, b] = pick(RENAMES);
      const [from, to] = exists(a) ? [a, b] : exists(b) ? [b, a] : [undefined, a];
      if (from === undefined) {
        write(a, contentFor(a));
        return `(nothing to rename) re-create ${a}`;
      }
      renameSync(at(from), at(to));
      return `mv ${from} ${to}`;
    },
    'empty folder': () => {
      const path = `${pick(IMAGES)}/empty`;
      if (exists(path)) {
        rmSync(at(path), { recursive: true });
        return `rmdir ${path}`;
      }
      mkdirSync(at(path));
      return `mkdir ${path}`;
    },
  };

  /**
   * Makes `rel` in the main copy what it is in the pristine copy, touching only what differs
   * (a reverted file is rewritten in place, an unchanged one is left alone): files that stay
   * unchanged for a while get rows in mbuild's stat cache, which later mutations must defeat.
   */
  function restore(rel: string): void {
    const want = join(pristine, rel);
    const ws = lstatSync(want);
    let ms = lstatSafe(at(rel));
    if (ms !== undefined && kindOf(ms) !== kindOf(ws)) {
      rmSync(at(rel), { recursive: true, force: true });
      ms = undefined;
    }
    if (ms === undefined) {
      cpSync(want, at(rel), { recursive: true, verbatimSymlinks: true });
      return;
    }
    if (ws.isSymbolicLink()) {
      if (readlinkSync(at(rel)) !== readlinkSync(want)) {
        rmSync(at(rel));
        symlinkSync(readlinkSync(want), at(rel));
      }
      return;
    }
    if (ws.isFile() && !readFileSync(at(rel)).equals(readFileSync(want))) writeFileSync(at(rel), readFileSync(want));
    if (ws.isDirectory()) {
      const names = new Set(readdirSync(want));
      for (const name of readdirSync(at(rel))) if (!names.has(name)) rmSync(at(`${rel}/${name}`), { recursive: true, force: true });
      for (const name of [...names].sort()) restore(`${rel}/${name}`);
    }
    if ((ms.mode & 0o7777) !== (ws.mode & 0o7777)) chmodSync(at(rel), ws.mode & 0o7777);
  }

  /** Back to the fixture's state: files (only those that differ), var, tags. */
  function reset(): void {
    for (const image of IMAGES) restore(image);
    if (knobs.src1 !== BASELINE.src1) docker('tag', prepared[BASELINE.src1], srcTag(main.name, 1));
    if (knobs.src2 !== BASELINE.src2) docker('tag', prepared[BASELINE.src2], srcTag(main.name, 2));
    knobs = { ...BASELINE };
  }

  // ---- runs, references and checks ----------------------------------------------------------

  const stats = { steps: 0, mainBuilds: 0, refRuns: 0, refBuilds: 0, upMs: 0, refMs: 0 };
  /**
   * Reference listings by input digest. References are built in the background, one
   * `up --no-cache` at a time, while the main copy goes on: a step compares its trees once
   * the references it needs exist.
   */
  const references = new Map<string, Promise<readonly string[]>>();
  /** Input digests of every image as built or reused in the main copy so far. */
  const seen = new Set<string>();
  let history: string[] = [];
  let where = '';
  /** The first failure of a background job or comparison. */
  let failure: Error | undefined;
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;
  /** Every comparison of an image with its reference; none rejects (they set `failure`). */
  const comparisons: Promise<void>[] = [];
  const MAX_QUEUED = 3;

  const context = (): string => `seed ${seed} (replay: MBUILD_SOUNDNESS_SEED=${seed}), ${where}, since the reset: ${history.join(' | ')}`;

  async function up(project: TestProject, version: string, extra: readonly string[], why: string, env?: Record<string, string>): Promise<JsonEvent[]> {
    const r = await project.up(['--progress', 'json', '--builder', 'buildkit', '--var', `VERSION=${version}`, ...extra], env);
    if (r.code !== 0) throw new Error(`mbuild up in ${project.name} exited with ${r.code}: ${r.stderr}\n${why}`);
    return parseEvents(r.stdout);
  }

  /** The contexts of the main copy as they are now, under the reference copy's name. */
  function snapshot(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mbt-snd-snapshot-'));
    for (const image of IMAGES) cpSync(at(image), join(dir, image), { recursive: true, verbatimSymlinks: true });
    const rename = (abs: string) => {
      for (const name of readdirSync(abs)) {
        const p = join(abs, name);
        const st = lstatSync(p);
        if (st.isDirectory()) rename(p);
        else if (st.isFile()) {
          const text = readFileSync(p, 'latin1');
          if (text.includes(main.name)) writeFileSync(p, text.replaceAll(main.name, ref.name), 'latin1');
        }
      }
    };
    rename(dir);
    return dir;
  }

  interface Job {
    readonly dir: string;
    readonly knobs: Knobs;
    readonly images: readonly Image[];
    readonly digests: Record<Image, string>;
    readonly why: string;
  }

  /** Builds the references of a job's images (and, on the way, of their upstreams) with --no-cache. */
  async function referenceJob(job: Job, settle: Map<Image, (listing: readonly string[]) => void>): Promise<void> {
    const t = performance.now();
    for (const image of IMAGES) {
      rmSync(join(ref.dir, image), { recursive: true, force: true });
      renameSync(join(job.dir, image), join(ref.dir, image));
    }
    if (refTags.src1 !== job.knobs.src1) docker('tag', prepared[job.knobs.src1], srcTag(ref.name, 1));
    if (refTags.src2 !== job.knobs.src2) docker('tag', prepared[job.knobs.src2], srcTag(ref.name, 2));
    refTags = { ...job.knobs };
    const events = await up(ref, job.knobs.version, ['--no-cache', ...job.images], job.why);
    stats.refRuns++;
    for (const e of events) {
      if (e.type !== 'image-done') continue;
      if (e.outcome.kind !== 'built') throw new Error(`reference ${e.image}: ${e.outcome.kind} under --no-cache; ${job.why}`);
      stats.refBuilds++;
      const image = e.image as Image;
      // An upstream built on the way is a reference too, for its own digest, if none exists yet.
      const resolve = settle.get(image);
      if (resolve !== undefined) resolve(await reader.listing(e.outcome.imageId, '/srv'));
      else if (!references.has(job.digests[image])) references.set(job.digests[image], reader.listing(e.outcome.imageId, '/srv'));
    }
    stats.refMs += performance.now() - t;
  }

  function enqueueReferences(images: readonly Image[], digests: Record<Image, string>): void {
    const settle = new Map<Image, (listing: readonly string[]) => void>();
    const rejects: ((e: Error) => void)[] = [];
    for (const image of images) {
      const p = new Promise<readonly string[]>((resolve, reject) => {
        settle.set(image, resolve);
        rejects.push(reject);
      });
      p.catch(() => {});
      references.set(digests[image], p);
    }
    const job: Job = { dir: snapshot(), knobs: { ...knobs }, images, digests, why: context() };
    queued++;
    queue = queue
      .then(() => referenceJob(job, settle))
      .catch((e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        failure ??= error;
        for (const reject of rejects) reject(error);
      })
      .finally(() => {
        queued--;
        rmSync(job.dir, { recursive: true, force: true });
      });
  }

  function compare(image: Image, digest: string, actual: Promise<readonly string[]>, what: string, why: string): void {
    const reference = references.get(digest);
    if (reference === undefined) throw new Error(`no reference for ${image} (input digest ${digest}); ${why}`);
    comparisons.push(
      Promise.all([reference, actual])
        .then(([expected, listing]) => {
          if (digestOf(expected) !== digestOf(listing)) {
            throw new Error(`stale ${image} (${what}): its /srv differs from a --no-cache build of the same inputs:\n${diff(expected, listing)}\n${why}`);
          }
        })
        .catch((e: unknown) => {
          failure ??= e instanceof Error ? e : new Error(String(e));
        }),
    );
  }

  /** One step: `up`, the precision check at once, the soundness check when its references exist. */
  async function step(): Promise<void> {
    if (failure) throw failure;
    stats.steps++;
    const digests = inputDigests();
    const t = performance.now();
    const events = await up(main, knobs.version, o.mainArgs?.() ?? [], context());
    stats.upMs += performance.now() - t;
    const started = new Map(events.flatMap((e) => (e.type === 'image-started' ? [[e.image, e.why] as const] : [])));
    stats.mainBuilds += started.size;
    // Precision: inputs seen before (nothing changed, only ignored files or times, or a change reverted) build nothing.
    for (const image of IMAGES) {
      const built = started.get(image);
      if (seen.has(digests[image]) && built !== undefined) {
        expect.fail(`${image} was built although its inputs are those of an earlier step (why: ${built}); ${context()}`);
      }
    }
    for (const image of IMAGES) seen.add(digests[image]);
    const missing = IMAGES.filter((i) => !references.has(digests[i]));
    if (missing.length > 0) enqueueReferences(missing, digests);
    // Soundness: every image, built or skipped, holds what a --no-cache build of these inputs holds.
    const why = context();
    for (const image of IMAGES) {
      const id = imageIdOf(events, image);
      const built = started.get(image);
      const cache = sharedCacheRef(events, image);
      const how = built !== undefined ? `built (${built})` : cache !== undefined ? `SKIPPED, from the shared cache ${cache}` : 'SKIPPED as up to date';
      compare(image, digests[image], reader.listing(id, '/srv'), `${how}, ${id}`, why);
    }
    await o.afterStep?.({ events, digests, knobs, why });
    if (queued >= MAX_QUEUED) await queue;
  }

  function setup(): void {
    main = copyFixture('soundness', 'snd');
    ref = copyFixture('soundness', 'sndref');
    pristine = mkdtempSync(join(tmpdir(), 'mbt-snd-pristine-'));
    cpSync(main.dir, pristine, { recursive: true, verbatimSymlinks: true });
    reader = treeReader(() => normalize);
    const prepare = (what: 'x' | 'y'): string => {
      const tag = `${main.name}-prepared:${what}`;
      execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, '-'], {
        input: `FROM busybox\nLABEL mbt.project=${main.name}\nRUN mkdir -p /srv/origin && echo ${what} > /srv/origin/id && chmod 600 /srv/origin/id\n`,
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      return idOf(tag)!;
    };
    prepared = { x: prepare('x'), y: prepare('y') };
    for (const p of [main, ref]) for (const n of [1, 2] as const) docker('tag', prepared[BASELINE[`src${n}`]], srcTag(p.name, n));
  }

  /** Removes a project's mbuild images in one `docker rmi` (hundreds of them: one call each is slow). */
  function removeBuilt(project: TestProject | undefined): void {
    if (project === undefined) return;
    const ids = docker('image', 'ls', '-a', '-q', '--no-trunc', '--filter', `label=io.mbuild.project=${project.name}`);
    try {
      if (ids.length > 0) docker('rmi', '-f', ...new Set(ids));
    } catch {
      /* what is left, cleanup() removes and reports */
    }
  }

  function teardown(): string[] {
    // setup may have stopped before it set any of these.
    const [made, refCopy, mainCopy] = [pristine, ref, main] as [string?, TestProject?, TestProject?];
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
    removeBuilt(refCopy);
    removeBuilt(mainCopy);
    // The reference copy first: its src tags name the prepared images of the main copy.
    return [...(refCopy?.cleanup() ?? []), ...(mainCopy?.cleanup() ?? [])];
  }

  async function run(): Promise<void> {
    const started = performance.now();
    const names = Object.keys(MUTATIONS);
    const drawn: Record<string, number> = {};
    try {
      reset();
      where = 'initial build';
      history = [];
      await step();
      for (let s = 0; s < sequences; s++) {
        reset();
        history = [];
        const steps = 1 + int(3);
        for (let k = 0; k < steps; k++) {
          const name = pick(names);
          drawn[name] = (drawn[name] ?? 0) + 1;
          history.push(MUTATIONS[name]!());
          where = `sequence ${s + 1}/${sequences}, step ${k + 1}/${steps}`;
          await step();
        }
      }
      await queue;
      await Promise.all(comparisons);
      if (failure) throw failure;
    } finally {
      // On a failure too: no reference build or tree read may still run when the images are removed.
      await queue;
      await Promise.all(comparisons);
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `${o.title}: seed ${seed}, ${sequences} sequences, ${stats.steps} steps in ${secs}s; ` +
          `main builds ${stats.mainBuilds}, reference runs ${stats.refRuns} (${stats.refBuilds} images), ${references.size} distinct input states, ` +
          `trees read ${reader.reads}; time in main up ${(stats.upMs / 1000).toFixed(1)}s, in references ${(stats.refMs / 1000).toFixed(1)}s (in the background); ` +
          `mutations ${JSON.stringify(drawn)}${o.summary?.() ?? ''}`,
      );
    }
  }

  return {
    seed,
    sequences,
    get main() {
      return main;
    },
    get prepared() {
      return prepared;
    },
    normalize,
    setup,
    teardown,
    up,
    compare,
    run,
  };
}
