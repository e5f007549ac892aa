/**
 * The equivalence corpus (test/fixtures/inputs-corpus, see its README) read by the static
 * analysis: for every case and both builders' rules, the input set mbuild computes before a
 * build (cache/inputs.ts collectInputs: the Dockerfile's reads, walked through the real
 * context, links followed) must be exactly `expected.txt` (`expected.classic.txt` for the
 * classic builder where it differs), or the whole context for the reason it names. The
 * engine's answers are faked: busybox's ENV, and ONBUILD triggers for a case's `base`.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectInputs } from '../../src/cache/inputs.js';
import { StatCache } from '../../src/cache/stat-cache.js';
import { loadBuildFile } from '../../src/config/load.js';
import type { ImageInfo } from '../../src/docker/engine.js';

const CORPUS = new URL('../fixtures/inputs-corpus/', import.meta.url).pathname;
const cases = readdirSync(CORPUS)
  .filter((d) => existsSync(join(CORPUS, d, 'case.json')))
  .sort();

interface Case {
  readonly args?: Record<string, string>;
  readonly target?: string;
  readonly dockerfile?: string;
  readonly base?: string;
  readonly empty_dirs?: string[];
}

const BUSYBOX_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const info = (ref: string, onBuild: string[], env: string[]): ImageInfo => ({
  id: `sha256:${ref}`,
  repoTags: [],
  labels: {},
  size: 0,
  created: '',
  layers: [],
  hasCmd: true,
  onBuild,
  env,
});

const work = mkdtempSync(join(tmpdir(), 'mbt-corpus-unit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `WHOLE <kind>` for a whole-context answer, as expected.txt writes it. */
function wholeKind(reason: string): string {
  if (reason.includes('# syntax=')) return 'WHOLE syntax';
  if (reason.includes('ONBUILD')) return 'WHOLE onbuild';
  if (reason.includes('not known before the build')) return 'WHOLE arg';
  return `WHOLE ${reason}`;
}

async function computed(name: string, builder: 'buildkit' | 'classic'): Promise<string> {
  const c = JSON.parse(readFileSync(join(CORPUS, name, 'case.json'), 'utf8')) as Case;
  const dir = join(work, `${name}-${builder}`);
  cpSync(join(CORPUS, name, 'context'), join(dir, 'ctx'), { recursive: true, verbatimSymlinks: true });
  for (const d of c.empty_dirs ?? []) mkdirSync(join(dir, 'ctx', d), { recursive: true });
  const settings = [
    '    context: ctx',
    ...(c.dockerfile !== undefined ? [`    dockerfile: ${JSON.stringify(c.dockerfile)}`] : []),
    ...(c.target !== undefined ? [`    target: ${c.target}`] : []),
    ...(c.args !== undefined ? ['    args:', ...Object.entries(c.args).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)] : []),
  ];
  writeFileSync(join(dir, 'mbuild.yaml'), `version: 1\nname: corpus\nimages:\n  c:\n${settings.join('\n')}\n`);
  const loaded = await loadBuildFile({ cwd: dir, env: {} });
  if (!loaded.ok) throw new Error(loaded.error.diagnostics.map((d) => d.message).join('\n'));
  const { file } = loaded.value;
  const engine = {
    inspectImage: (ref: string) =>
      Promise.resolve(ref.startsWith('busybox') ? info(ref, [], BUSYBOX_ENV) : info(ref, c.base !== undefined ? ['COPY . /x'] : [], [])),
  };
  const { cache } = await StatCache.load(join(dir, '.mbuild', 'stat-cache.json'));
  const r = await collectInputs({ file, image: file.images.get('c')!, builder, upstream: new Map(), engine, statCache: cache });
  if (!r.ok) return `ERROR ${JSON.stringify(r.error)}`;
  if (r.value.whole !== null) return wholeKind(r.value.whole);
  // The Dockerfile and the ignore file in effect (`<Dockerfile>.dockerignore`, else the context's) are always sent.
  const own = `${c.dockerfile ?? 'Dockerfile'}.dockerignore`;
  const always = new Set([r.value.dockerfileInTar, existsSync(join(dir, 'ctx', own)) ? own : '.dockerignore']);
  const files = r.value.files.filter((f) => (f[1] === 'file' || f[1] === 'symlink') && !always.has(f[0])).map((f) => f[0]);
  return files.sort().join('\n');
}

const expected = (name: string, builder: 'buildkit' | 'classic'): string => {
  const classic = join(CORPUS, name, 'expected.classic.txt');
  const file = builder === 'classic' && existsSync(classic) ? classic : join(CORPUS, name, 'expected.txt');
  return readFileSync(file, 'utf8').trim();
};

describe('the input set of every corpus case', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of cases) {
    for (const builder of ['buildkit', 'classic'] as const) {
      it(`${name} (${builder})`, async () => {
        expect(await computed(name, builder)).toBe(expected(name, builder));
      });
    }
  }
});
