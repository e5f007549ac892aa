/**
 * Property test of `mbuild watch` on the real engine (fixture test/fixtures/watch/prop:
 * a, b built from a, c; `*.ign` ignored in a). One watch process takes SEQUENCES random
 * edit sequences (write, append, delete, rename within and across images, folder rename,
 * chmod, touch, symlink, folder removal; ignored files included), with random gaps so that
 * some edits land while debouncing or in the middle of a build. After each sequence watch
 * settles (probe hook), then every image's /srv tree (paths, types, modes, content, link
 * targets) must equal that of a fresh `mbuild up --no-cache` of the same final files in a
 * mirror project under another name: no change is lost, nothing stale survives.
 *
 * Trade-offs, to stay under 3 minutes on 2 cores (an idle engine): the check of sequence N
 * (fresh build, trees) runs while sequence N+1 is edited and built, from a snapshot of N's
 * files and the image IDs watch had tagged when N settled; fresh builds are memoised by a
 * digest of each image's final files (plus its upstream's), so a state seen before is not
 * built again; trees are read from a created (never started) container's archive through
 * the Engine API (no docker CLI processes), memoised by image ID; BuildKit, tiny images.
 * The per-test timeout leaves room for a loaded machine. Reproduce with MBT_WATCH_SEED=<seed>.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
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
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { extract } from 'tar-stream';
import { afterAll, expect, it } from 'vitest';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession } from '../fixtures/watch/watch-session.js';

const SEQUENCES = 50;
const IMAGES = ['a', 'b', 'c'] as const;
const SEED = Number(process.env['MBT_WATCH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Entry = readonly [path: string, type: string, mode: number, data: string];
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex').slice(0, 16);

/** The project's editable entries of one context (never its Dockerfile or .dockerignore). */
function walk(dir: string, rel = ''): Entry[] {
  const out: Entry[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = lstatSync(join(dir, r));
    if (st.isSymbolicLink()) out.push([r, 'symlink', 0, readlinkSync(join(dir, r))]);
    else if (st.isDirectory()) out.push([r, 'dir', st.mode & 0o7777, ''], ...walk(dir, r));
    else out.push([r, 'file', st.mode & 0o7777, sha(readFileSync(join(dir, r)))]);
  }
  return out;
}

const engine = new Docker();

/** The /srv tree of an image, read through the Engine API without running it. */
async function treeOf(ref: string): Promise<Entry[]> {
  const container = await engine.createContainer({ Image: ref, Cmd: ['true'], NetworkDisabled: true });
  try {
    const tar = await container.getArchive({ path: '/srv' });
    const entries: Entry[] = [];
    const x = extract();
    x.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        const type = h.type === 'directory' ? 'dir' : h.type === 'symlink' ? 'symlink' : 'file';
        entries.push([
          h.name.replace(/\/$/, ''),
          type,
          type === 'symlink' ? 0 : h.mode & 0o7777,
          type === 'symlink' ? h.linkname : type === 'dir' ? '' : sha(Buffer.concat(chunks)),
        ]);
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      x.on('finish', resolve).on('error', reject);
      tar.on('error', reject);
      tar.pipe(x);
    });
    return entries.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
  } finally {
    await container.remove({ force: true });
  }
}

/** One random edit of the project, described for failure messages. */
function edit(dir: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const entries = IMAGES.flatMap((i) => walk(join(dir, i)).map(([r, t]) => [`${i}/${r}`, t] as const));
  const files = entries.filter(([r, t]) => t !== 'dir' && !/(^|\/)(Dockerfile|\.dockerignore)$/.test(r)).map(([r]) => r);
  const dirs = entries.filter(([, t]) => t === 'dir').map(([r]) => r);
  const fresh = () => `${pick([...IMAGES, ...dirs])}/${pick(['f1.txt', 'f2.txt', 'n.txt', 'x.ign', 'y.ign', 'new/g.txt'])}`;
  const content = () =>
    `${rnd()
      .toString(36)
      .repeat(1 + Math.floor(rnd() * 6))}\n`;
  const op = pick(['write', 'write', 'write', 'append', 'delete', 'rename', 'renameDir', 'chmod', 'touch', 'symlink', 'rmdir']);
  const at = (r: string) => join(dir, r);
  const present = (r: string) => lstatSync(at(r), { throwIfNoEntry: false });
  const existing = files.length > 0 ? pick(files) : undefined;
  switch (op) {
    case 'append':
    case 'chmod':
    case 'touch':
    case 'delete':
    case 'rename': {
      if (existing === undefined || (lstatSync(at(existing)).isSymbolicLink() && op !== 'delete' && op !== 'rename')) break;
      if (op === 'append') appendFileSync(at(existing), content());
      else if (op === 'chmod') chmodSync(at(existing), (lstatSync(at(existing)).mode & 0o111) !== 0 ? 0o644 : 0o755);
      else if (op === 'touch') utimesSync(at(existing), new Date(), new Date());
      else if (op === 'delete') rmSync(at(existing));
      else {
        const to = fresh();
        if (present(to)?.isDirectory()) break;
        mkdirSync(dirname(at(to)), { recursive: true });
        renameSync(at(existing), at(to));
        return `rename ${existing} ${to}`;
      }
      return `${op} ${existing}`;
    }
    case 'renameDir': {
      const from = dirs.filter((d) => d.includes('/'));
      if (from.length === 0) break;
      const src = pick(from);
      const to = `${pick(IMAGES)}/${pick(['sub', 'moved', 'new'])}`;
      if (present(to) || to.startsWith(`${src}/`) || to === src) break;
      renameSync(at(src), at(to));
      return `renameDir ${src} ${to}`;
    }
    case 'symlink': {
      const to = fresh();
      if (present(to) || !present(dirname(to))?.isDirectory()) break;
      symlinkSync(pick(['f1.txt', '../c/f1.txt', 'missing']), at(to));
      return `symlink ${to}`;
    }
    case 'rmdir': {
      const sub = dirs.filter((d) => d.includes('/'));
      if (sub.length === 0) break;
      const d = pick(sub);
      rmSync(at(d), { recursive: true });
      return `rmdir ${d}`;
    }
  }
  const to = op === 'write' && existing !== undefined && rnd() < 0.5 ? existing : fresh();
  const st = present(to);
  if (st?.isDirectory()) return 'noop';
  if (st?.isSymbolicLink()) rmSync(at(to)); // replaced by a file (writing would follow the link)
  mkdirSync(dirname(at(to)), { recursive: true });
  writeFileSync(at(to), content());
  return `write ${to}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let watched: TestProject;
let mirror: TestProject;
let w: WatchSession;
let snapshots: string;

afterAll(() => {
  // The test may have stopped before it set any of these.
  const [session, made, watchedCopy, mirrorCopy] = [w, snapshots, watched, mirror] as [WatchSession?, string?, TestProject?, TestProject?];
  session?.kill();
  if (made) rmSync(made, { recursive: true, force: true });
  expect([...(watchedCopy?.cleanup() ?? []), ...(mirrorCopy?.cleanup() ?? [])], 'images left behind').toEqual([]);
});

/** What one settled sequence left: its final files (a snapshot) and the image IDs watch tagged. */
interface Settled {
  readonly seq: number;
  readonly log: readonly string[];
  readonly snapshot: string;
  readonly digests: Readonly<Record<string, string>>;
  readonly ids: Readonly<Record<string, string>>;
  readonly events: string;
}

it(
  `${SEQUENCES} random edit sequences: after each settles, every image equals a fresh --no-cache build of the final files (seed ${SEED})`,
  { timeout: 360_000 },
  async () => {
    const rnd = prng(SEED);
    watched = copyFixture('../watch/prop', 'wprop');
    mirror = copyFixture('../watch/prop', 'wpropf');
    snapshots = mkdtempSync(join(tmpdir(), 'mbt-wprop-snap-'));
    w = new WatchSession(watched);
    await w.ready();
    const expected = new Map<string, Entry[]>(); // digest of final files -> fresh tree
    const seenTrees = new Map<string, Entry[]>(); // watch image ID -> tree
    let freshBuilds = 0;

    // The checker runs behind the edits: sequence N is compared while N+1 is edited and built.
    const check = async (s: Settled): Promise<void> => {
      const t0 = performance.now();
      const missing = IMAGES.filter((i) => !expected.has(s.digests[i]!));
      if (missing.length > 0) {
        for (const i of IMAGES) {
          rmSync(join(mirror.dir, i), { recursive: true, force: true });
          cpSync(join(s.snapshot, i), join(mirror.dir, i), { recursive: true, verbatimSymlinks: true });
          expect(walk(join(mirror.dir, i)), 'the mirror holds the same files').toEqual(walk(join(s.snapshot, i)));
        }
        const r = await mirror.up(['--no-cache', '--progress', 'json', ...missing]);
        expect(r.code, `fresh build of ${missing.join(', ')}\n${r.stdout.slice(-2000)}\n${r.stderr}`).toBe(0);
        freshBuilds += missing.length;
        const trees = await Promise.all(missing.map((i) => treeOf(`${mirror.name}/${i}:t`)));
        missing.forEach((i, n) => expected.set(s.digests[i]!, trees[n]!));
      }
      const actual = await Promise.all(
        IMAGES.map(async (i) => {
          const id = s.ids[i]!;
          if (!seenTrees.has(id)) seenTrees.set(id, await treeOf(id));
          return seenTrees.get(id)!;
        }),
      );
      rmSync(s.snapshot, { recursive: true, force: true });
      if (process.env['MBT_WATCH_TRACE'])
        console.error(`seq ${s.seq}: check ${Math.round(performance.now() - t0)} ms, fresh ${missing.join('') || '-'}: ${s.log.join('; ')}`);
      IMAGES.forEach((i, n) => {
        expect(actual[n], `seed ${SEED}, sequence ${s.seq} (${s.log.join('; ')}): image ${i}\n${s.events}`).toEqual(expected.get(s.digests[i]!));
      });
    };
    let checking: Promise<void> = Promise.resolve();

    for (let seq = 1; seq <= SEQUENCES; seq++) {
      const log: string[] = [];
      const ops = 1 + Math.floor(rnd() * 6);
      for (let i = 0; i < ops; i++) {
        log.push(edit(watched.dir, rnd));
        // The gaps are part of the generated input: some edits land while debouncing or during a build.
        const r = rnd();
        if (r > 0.85) await sleep(150 + Math.floor(rnd() * 350));
        else if (r > 0.6) await sleep(Math.floor(rnd() * 80));
      }
      const t0 = performance.now();
      await w.settle();
      if (process.env['MBT_WATCH_TRACE']) console.error(`seq ${seq}: settled in ${Math.round(performance.now() - t0)} ms`);

      // Before the next edit: the final files, and which images watch's tags name now.
      const digests: Record<string, string> = {};
      // b's digest takes in a's, done first (IMAGES is in that order).
      for (const i of IMAGES) digests[i] = sha(JSON.stringify(walk(join(watched.dir, i))) + (i === 'b' ? digests['a']! : ''));
      const snapshot = join(snapshots, String(seq));
      for (const i of IMAGES) cpSync(join(watched.dir, i), join(snapshot, i), { recursive: true, verbatimSymlinks: true });
      const ids = Object.fromEntries(await Promise.all(IMAGES.map(async (i) => [i, (await engine.getImage(`${watched.name}/${i}:t`).inspect()).Id] as const)));
      const settled: Settled = { seq, log, snapshot, digests, ids, events: w.describe() };
      checking = checking.then(() => check(settled));
      checking.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      // Keep at most one sequence in flight behind the edits (and fail fast).
      if (seq % 2 === 0) await checking;
    }
    await checking;
    expect(w.events.filter((e) => e.type === 'watch-not-json')).toEqual([]);
    expect(w.exited, 'watch is still running').toBeUndefined();
    console.log(
      `watch property test: seed ${SEED}, ${SEQUENCES} sequences, ${freshBuilds} fresh image builds, ${w.since(0, 'image-started').length} watch builds`,
    );
    expect((await w.stop('SIGINT')).code).toBe(130);
  },
);
