/**
 * The package as a user gets it: `npm pack` (of what `npm run build` made), then `npm install
 * <tarball>` offline into a folder outside the repo with its own package.json. The package
 * comes from the tarball alone; its runtime dependencies are linked from the repo's
 * node_modules (tests talk to loopback only, and the npm cache need not hold them). Then, in
 * that folder:
 *  - a script imports the API by the package's name, loads a bad build file (diagnostics as a
 *    value), loads and plans a good one, and builds one busybox image with `network: none`
 *    when an engine answers, with events and an AbortSignal; its only output is its own;
 *  - tsc checks a TypeScript file against the package's types (`exports` → `types`), each
 *    of which is shipped;
 *  - the installed `mbuild --version` prints the version.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeProjectImages } from '../helpers/engine-docker.js';
import { uniqueName } from '../helpers/engine-project.js';
import { REPO } from '../helpers/run-cli.js';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };
const project = uniqueName('pack');
const dir = mkdtempSync(join(tmpdir(), 'mbt-pack-'));
const app = join(dir, 'app');
const engine = spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0;

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, { cwd: app, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

beforeAll(() => {
  expect(existsSync(join(REPO, 'dist', 'bundle', 'index.js')), 'run `npm run build` first').toBe(true);
  // What `npm run build` made, packed as `npm publish` would (prepack would build again).
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8' })) as {
    filename: string;
  }[];
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  for (const name of Object.keys(pkg.dependencies)) {
    mkdirSync(dirname(join(app, 'node_modules', name)), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), join(app, 'node_modules', name));
  }
  const tarball = join(dir, packed[0]!.filename);
  const installed = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball]);
  expect(installed.status, installed.stderr).toBe(0);
  // For the TypeScript user below, as a Node project has it (after the install, which removes what no package.json asks for).
  mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'));
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  expect(existsSync(dir)).toBe(false);
  if (engine) expect(removeProjectImages(project)).toEqual([]);
});

it('ships the CLI bundle, the library entry, its types and the schemas, and nothing else', () => {
  const root = join(app, 'node_modules', pkg.name);
  for (const f of [
    'bin/mbuild.js',
    'dist/bundle/main.cjs',
    'dist/bundle/index.js',
    'dist/bundle/index.d.ts',
    'dist/types/api/index.d.ts',
    'schema/mbuild.schema.json',
  ])
    expect(existsSync(join(root, f)), f).toBe(true);
  expect(existsSync(join(root, 'src')), 'no sources').toBe(false);
  expect(existsSync(join(root, 'dist', 'cli')), 'no unbundled modules').toBe(false);
  expect(existsSync(join(root, 'dist', 'bundle', 'main.cjs.map')), 'no source map').toBe(false);
  // Every declaration file the types import is shipped (the user's tsc below skips checking them).
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    expect(existsSync(file), file).toBe(true);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\()\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) walk(join(dirname(file), `${m[1]!}.d.ts`));
  };
  walk(join(root, 'dist', 'bundle', 'index.d.ts'));
  expect(seen.size).toBeGreaterThan(5);
});

it('runs the installed `mbuild --version`', () => {
  const r = run(join(app, 'node_modules', '.bin', 'mbuild'), ['--version'], { XDG_CACHE_HOME: join(dir, 'cache') });
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe(pkg.version);
});

const SCRIPT = `
import { build, formatDiagnostics, load, plan } from '${pkg.name}';

const out = {};
const bad = await load({ file: 'bad.yaml' });
out.bad = bad.ok ? 'loaded' : { reason: bad.error.reason, text: formatDiagnostics(bad.error.diagnostics) };
const loaded = await load();
if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
out.project = { name: loaded.value.name, images: loaded.value.images, plan: loaded.value.plan.images.map((i) => i.name) };
const planned = await plan(loaded.value);
out.plan = planned.ok ? { predictions: planned.value.predictions, note: planned.value.note } : planned.error;
if (process.env.BUILD === '1') {
  const events = [];
  const built = await build(loaded.value, { signal: AbortSignal.timeout(50_000), onEvent: (e) => events.push(e.type) });
  out.build = built.ok ? { ok: built.value.ok, outcomes: built.value.results.map((r) => r.outcome.kind), events } : built.error;
  const again = await build(loaded.value, { onEvent: () => {} });
  out.again = again.ok ? again.value.results.map((r) => r.outcome.kind) : again.error;
}
process.stdout.write(JSON.stringify(out));
`;

const BUILD_FILE = `version: 1
name: ${project}
images:
  hello:
    network: none
    dockerfile_inline: |
      FROM busybox
      RUN echo hello > /hello
`;

it('imports the API by name: load (a bad file: diagnostics as a value), plan, and build one image, printing nothing', () => {
  writeFileSync(join(app, 'mbuild.yaml'), BUILD_FILE);
  writeFileSync(join(app, 'bad.yaml'), 'version: 1\nimages:\n  hello:\n    netwrk: none\n');
  writeFileSync(join(app, 'use.mjs'), SCRIPT);
  const r = run(process.execPath, ['use.mjs'], { BUILD: engine ? '1' : '0' });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(out['bad']).toEqual({ reason: 'invalid-build-file', text: expect.stringMatching(/^bad\.yaml:4:5: error: .*netwrk/) as unknown });
  expect(out['project']).toEqual({ name: project, images: ['hello'], plan: ['hello'] });
  if (!engine) return;
  expect(out['plan']).toEqual({ predictions: [{ image: 'hello', fresh: false, reasons: [expect.any(String)] }] });
  expect(out['build']).toEqual({
    ok: true,
    outcomes: ['built'],
    events: expect.arrayContaining(['run-started', 'image-started', 'image-done', 'run-finished']) as unknown,
  });
  expect(out['again']).toEqual(['up-to-date']);
}, 60_000);

it("type-checks a TypeScript user of the package against its types (exports' `types`)", () => {
  writeFileSync(
    join(app, 'check.ts'),
    `import { build, load, plan, type BuildEvent, type BuildPlan, type LoadResult } from '${pkg.name}';
const r: LoadResult = await load({ file: 'mbuild.yaml', vars: { TAG: 'x' } });
if (r.ok) {
  const p: BuildPlan = r.value.plan;
  const planned = await plan(r.value, { builder: 'buildkit' });
  const seen = (e: BuildEvent): string => (e.type === 'image-done' ? e.outcome.kind : e.type);
  const b = await build(r.value, { jobs: 2, onEvent: (e) => seen(e) });
  if (b.ok) console.log(p.images.length, b.value.results.length, planned.ok);
  // @ts-expect-error jobs is a number
  await build(r.value, { jobs: 'two' });
} else {
  // @ts-expect-error diagnostics only on invalid-build-file
  console.log(r.error.diagnostics);
}
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['check.ts'],
    }),
  );
  const tsc = run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 60_000);
