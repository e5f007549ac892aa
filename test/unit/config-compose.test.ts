/**
 * Compose files (config/compose.ts): each folder under test/fixtures/compose/good holds a
 * real-shaped compose file and the mbuild.yaml `mbuild config --format mbuild` converts it
 * to (expected.mbuild.yaml); each folder under bad/ a compose file and the exact output
 * `mbuild validate` prints for it (expected.txt), every problem at compose.yaml:line:col.
 * UPDATE_GOLDEN=1 rewrites the expected files (review the diff!). No case may write anything.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { composeModel } from '../../src/config/compose.js';
import { createLocator } from '../../src/config/locate.js';
import { loadBuildFile } from '../../src/config/load.js';
import { resolvedBuildFile } from '../../src/config/print.js';
import { parseSource } from '../../src/config/source.js';
import { runCli } from '../helpers/run-cli.js';
import { snapshot } from '../helpers/tree.js';

const ROOT = new URL('../fixtures/compose/', import.meta.url).pathname;
const GOOD = join(ROOT, 'good');
const BAD = join(ROOT, 'bad');
const ENV = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const folders = (dir: string): string[] => readdirSync(dir).sort();
const golden = (file: string, actual: string): void => {
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
};

describe('compose files converted', () => {
  it('has at least 6 real-shaped compose files', () => {
    expect(folders(GOOD).length).toBeGreaterThanOrEqual(6);
  });

  for (const name of folders(GOOD)) {
    it(name, async () => {
      const dir = join(GOOD, name);
      const before = snapshot(dir);
      const r = await runCli(['config', '--format', 'mbuild'], { cwd: dir, env: ENV });
      expect(r.code, r.stderr).toBe(0);
      golden(join(dir, 'expected.mbuild.yaml'), r.stdout);
      golden(join(dir, 'expected.stderr.txt'), r.stderr.split(dir).join('<root>'));
      expect(snapshot(dir)).toEqual(before);
      // Saved as mbuild.yaml beside the compose file, the conversion is the same build file.
      // (in a folder of the same name: a file without `name:` is named after its folder)
      const copy = join(scratch({}), name);
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, 'mbuild.yaml'), r.stdout);
      const [fromCompose, fromMbuild] = await Promise.all(
        [readdirSync(dir).find((f) => /compose\.ya?ml$/.test(f))!, 'mbuild.yaml'].map((file) => loadBuildFile({ cwd: copy, file, env: {} })),
      );
      if (!fromCompose?.ok || !fromMbuild?.ok) throw new Error('both load');
      expect(fromMbuild.value.compose).toBeUndefined();
      expect(resolvedBuildFile(fromMbuild.value.file)).toEqual(resolvedBuildFile(fromCompose.value.file));
    });
  }
});

describe('bad compose files', () => {
  for (const name of folders(BAD)) {
    it(name, async () => {
      const dir = join(BAD, name);
      const before = snapshot(dir);
      const r = await runCli(['validate'], { cwd: dir, env: ENV });
      golden(join(dir, 'expected.txt'), r.stderr.split(dir).join('<root>') + r.stdout);
      expect(r.code).toBe(2);
      expect(snapshot(dir)).toEqual(before);
    });
  }
});

describe('additional_contexts', () => {
  const text = readFileSync(join(GOOD, 'named-contexts', 'compose.yaml'), 'utf8');
  const path = join(GOOD, 'named-contexts', 'compose.yaml');
  const parsed = parseSource({ path, text });
  if (!parsed.ok) throw new Error('the fixture parses');
  const source = parsed.value.file;
  const model = composeModel(parsed.value.value as Record<string, unknown>, () => undefined, source, createLocator(source, parsed.value.document));
  const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;

  it('service:NAME of a built service is {image: NAME}; of an image-only service its image; docker-image://REF is REF', () => {
    expect(model.written.images['app']).toMatchObject({ contexts: { base: { image: 'base' }, alpine: 'alpine:3.19' } });
    expect(model.written.images['tools']).toMatchObject({ contexts: { runtime: 'nginx:1.27' } });
  });

  it('a folder context is left out with a warning at its line', () => {
    const warnings = model.diagnostics.filter((d) => d.code === 'compose-context-unsupported');
    expect(warnings.map((w) => lineOf(w.location!.range.offset))).toEqual([12]);
    expect(Object.keys((model.written.images['app'] as { contexts: object }).contexts)).toEqual(['base', 'alpine']);
  });

  it('a converted context is located at its compose entry', () => {
    expect(lineOf(model.locate.key(['images', 'app', 'contexts', 'base']).range.offset)).toBe(10);
    expect(lineOf(model.locate.value(['images', 'tools', 'contexts', 'runtime']).range.offset)).toBe(19);
  });
});

describe('locations of converted settings', () => {
  it('image: is the first tag and build.tags follow, each at its own node', async () => {
    const dir = scratch({
      'compose.yaml': ['services:', '  api:', '    image: "Example/API"', '    build:', '      context: .', '      tags: [example/api:ok, "Bad Tag"]', ''].join(
        '\n',
      ),
      Dockerfile: 'FROM busybox\n',
    });
    const r = await runCli(['validate'], { cwd: dir, env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^compose\.yaml:3:12: error: invalid tag 'Example\/API'/m);
    expect(r.stderr).toMatch(/^compose\.yaml:6:30: error: invalid tag 'Bad Tag'/m);
  });
});

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-compose-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('auto-discovery', () => {
  const dockerfile = 'FROM busybox\n';
  const compose = (image: string): string => `services:\n  ${image}:\n    build: .\n`;
  const images = async (cwd: string, file?: string): Promise<string[]> => {
    const r = await loadBuildFile({ cwd, env: {}, ...(file !== undefined && { file }) });
    if (!r.ok) throw new Error(JSON.stringify(r.error.diagnostics.map((d) => d.message)));
    return [...r.value.file.images.keys()];
  };

  it('reads compose.yaml when the folder has no mbuild.yaml', async () => {
    const dir = scratch({ 'compose.yaml': compose('fromcompose'), Dockerfile: dockerfile });
    expect(await images(dir)).toEqual(['fromcompose']);
    const r = await runCli(['validate'], { cwd: dir, env: ENV });
    expect(r.stdout).toBe('compose.yaml is valid: 1 image\n');
  });

  it('prefers mbuild.yaml to a compose file in the same folder', async () => {
    const dir = scratch({
      'compose.yaml': compose('fromcompose'),
      'mbuild.yaml': 'version: 1\nimages:\n  own:\n    context: .\n',
      Dockerfile: dockerfile,
    });
    expect(await images(dir)).toEqual(['own']);
  });

  it("looks for compose's names in compose's order: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml", async () => {
    const names = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
    for (let i = 0; i < names.length; i++) {
      const files: Record<string, string> = { Dockerfile: dockerfile };
      for (const [j, n] of names.slice(i).entries()) files[n] = compose(`image${i + j}`);
      expect(await images(scratch(files))).toEqual([`image${i}`]);
    }
  });

  it('finds docker-compose.yml in a parent folder, and in a folder given with -f', async () => {
    const dir = scratch({ 'docker-compose.yml': compose('parent'), Dockerfile: dockerfile, 'sub/deeper/.keep': '' });
    expect(await images(join(dir, 'sub', 'deeper'))).toEqual(['parent']);
    expect(await images(tmpdir(), dir)).toEqual(['parent']);
  });

  it('-f names a compose file of any name', async () => {
    const dir = scratch({ 'deploy/prod.yaml': 'services:\n  app:\n    build: .\n', 'deploy/Dockerfile': dockerfile });
    expect(await images(dir, 'deploy/prod.yaml')).toEqual(['app']);
  });

  it('with no file at all, says a compose file was looked for too', async () => {
    const dir = scratch({ 'x/.keep': '' });
    const r = await runCli(['validate'], { cwd: join(dir, 'x'), env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no compose file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml) either');
  });
});

describe("compose's interpolation", () => {
  const convert = (text: string, env: Record<string, string> = {}) => {
    const parsed = parseSource({ path: '/nowhere/compose.yaml', text });
    if (!parsed.ok) throw new Error('parses');
    const source = parsed.value.file;
    return composeModel(parsed.value.value as Record<string, unknown>, (n) => env[n], source, createLocator(source, parsed.value.document));
  };

  it('$$ is a literal $, defaults apply, an unset variable is empty with one warning however often it is used', () => {
    const model = convert(
      [
        'services:',
        '  api:',
        '    build:',
        '      context: .',
        '      args:',
        '        A: $${HOME}',
        '        B: ${MISSING-fallback}',
        '        C: ${EMPTY:-colon}',
        '        D: x${UNSET}y',
        '        E: ${UNSET}',
        '        F: ${SET}',
        '',
      ].join('\n'),
      { EMPTY: '', SET: 'set' },
    );
    expect(model.written.images['api']?.args).toEqual({ A: '${HOME}', B: 'fallback', C: 'colon', D: 'xy', E: '', F: 'set' });
    expect(model.diagnostics.map((d) => [d.severity, d.code, d.message.split(':')[0]])).toEqual([
      ['warning', 'compose-unset-variable', "variable 'UNSET' is not set"],
    ]);
  });

  it('${VAR:?message} with VAR unset is an error at the expression', () => {
    const text = 'services:\n  api:\n    build: ${CTX:?set CTX to the folder}\n';
    const model = convert(text);
    expect(model.diagnostics.map((d) => [d.severity, d.message, d.location?.range])).toEqual([
      ['error', "variable 'CTX' is required: set CTX to the folder", { offset: text.indexOf('${CTX'), length: '${CTX:?set CTX to the folder}'.length }],
    ]);
  });
});
