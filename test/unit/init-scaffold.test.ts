/** `mbuild init`'s scaffold logic (src/init/): names, edges, groups, the text, the walk. */
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { seeEdges, repositoryName } from '../../src/init/edges.js';
import { findDockerfiles, isDockerfileName } from '../../src/init/find.js';
import { imageNames, sanitizeName, variantOf } from '../../src/init/names.js';
import { scaffold } from '../../src/init/scaffold.js';
import { schemaPathFor } from '../../src/init/schema-path.js';
import { yamlScalar } from '../../src/init/yaml-text.js';
import { testdir } from '../helpers/testdir.js';
import { existsSync, readFileSync } from 'node:fs';
import { REPO } from '../helpers/run-cli.js';
import { join } from 'node:path';

describe('names', () => {
  it('knows the three Dockerfile name forms', () => {
    expect(['Dockerfile', 'api.Dockerfile', 'Dockerfile.dev'].map(isDockerfileName)).toEqual([true, true, true]);
    expect(['dockerfile', '.Dockerfile', 'Dockerfile.', 'Dockerfiles', 'README.md'].map(isDockerfileName)).toEqual([false, false, false, false, false]);
  });

  it('names an image after its folder and variant, the root after the project', () => {
    expect(variantOf('Dockerfile.dev')).toBe('dev');
    expect(variantOf('prod.Dockerfile')).toBe('prod');
    const names = imageNames(['Dockerfile', 'api/Dockerfile', 'api/Dockerfile.dev', 'web/prod.Dockerfile'], 'shop');
    expect([...names.values()]).toEqual(['shop', 'api', 'api-dev', 'web-prod']);
  });

  it('gives colliding names their whole path, then a number', () => {
    const names = imageNames(['a/api/Dockerfile', 'b/api/Dockerfile', 'api/Dockerfile', 'x/API/Dockerfile', 'x/api/Dockerfile'], 'p');
    expect([...names.values()]).toEqual(['a-api', 'b-api', 'api', 'x-api', 'x-api-2']);
    for (const n of names.values()) expect(n).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
  });

  it('sanitizes to the schema pattern', () => {
    expect(sanitizeName('My App_1!')).toBe('my-app_1');
    expect(sanitizeName('__x__')).toBe('x');
    expect(sanitizeName('ÄÖ')).toBe('');
  });
});

describe('edges', () => {
  const lookup = (names: string[]) => (ref: string) => (names.includes(repositoryName(ref)) ? repositoryName(ref) : undefined);

  it('reads the repository name of a reference', () => {
    expect(repositoryName('localhost:5000/shop/base:dev@sha256:abc')).toBe('base');
    expect(repositoryName('base')).toBe('base');
  });

  it('writes FROM ${X} naming another image as an {image:} arg, anything else as a note', () => {
    const seen = seeEdges('ARG BASE=shop/base:dev\nFROM ${BASE}\nCOPY --from=web /a /a\nFROM node:20\n', 'api', lookup(['base', 'web', 'api']));
    expect(seen).toEqual({
      ok: true,
      args: [{ arg: 'BASE', image: 'base', line: 2, written: 'FROM ${BASE}' }],
      notes: [{ image: 'web', line: 3, written: 'COPY --from=web' }],
    });
  });

  it('sees no edge to itself, to a stage or to an unknown image', () => {
    const seen = seeEdges('FROM api AS api\nFROM busybox\nCOPY --from=api /a /a\n', 'api', lookup(['api']));
    expect(seen).toEqual({ ok: true, args: [], notes: [] });
  });

  it('says the errors of a broken Dockerfile', () => {
    const seen = seeEdges('FROM busybox\nFROOM x\n', 'a', lookup([]));
    expect(seen.ok).toBe(false);
    expect(!seen.ok && seen.problems.join()).toMatch(/line 2: unknown instruction/);
  });
});

describe('scaffold', () => {
  const dockerfiles = [
    { path: 'base/Dockerfile', text: 'FROM busybox\n' },
    { path: 'services/api/Dockerfile', text: 'ARG BASE=base\nFROM $BASE\n' },
    { path: 'services/worker/Dockerfile', text: 'FROM busybox\nCOPY --from=shop-web:latest /x /x\n' },
    { path: 'services/bad/Dockerfile', text: 'RUN true\n' },
    { path: 'web/Dockerfile', text: 'FROM busybox\n' },
  ];

  it('writes one image per good Dockerfile, the edges, groups and the modeline', () => {
    const s = scaffold({ folder: 'Shop', schema: './node_modules/mbuild/schema/mbuild.schema.json', dockerfiles });
    expect(s.text.split('\n')[0]).toBe('# yaml-language-server: $schema=./node_modules/mbuild/schema/mbuild.schema.json');
    expect(s.skipped.map((k) => k.path)).toEqual(['services/bad/Dockerfile']);
    expect(s.text).toContain('# Skipped services/bad/Dockerfile: line 1:');
    expect(parse(s.text)).toEqual({
      version: 1,
      images: {
        base: { context: 'base' },
        api: { context: 'services/api', args: { BASE: { image: 'base' } } },
        worker: { context: 'services/worker' },
        web: { context: 'web' },
      },
      groups: { services: ['api', 'worker'] },
    });
    // The project-prefixed default tag names web: said, as a comment.
    expect(s.text).toMatch(/# COPY --from=shop-web:latest \(line 2\) reads image web/);
  });

  it('makes no groups when everything is in one top folder, and names no skipped image', () => {
    const s = scaffold({
      folder: 'p',
      dockerfiles: [
        { path: 'a/Dockerfile', text: 'ARG B=b\nFROM ${B}\n' },
        { path: 'b/Dockerfile', text: 'FROOM x\n' },
      ],
    });
    expect(s.groups.size).toBe(0);
    expect(parse(s.text)).toEqual({ version: 1, images: { a: { context: 'a' } } });
    expect(s.text).not.toContain('yaml-language-server');
  });

  it('is the same text for the same Dockerfiles', () => {
    expect(scaffold({ folder: 'x', dockerfiles }).text).toBe(scaffold({ folder: 'x', dockerfiles }).text);
  });

  it('quotes what YAML would read as another type', () => {
    expect(['yes', '1.0', 'null', 'a b', 'api', 'x/y.z', '-x'].map(yamlScalar)).toEqual(['"yes"', '"1.0"', '"null"', '"a b"', 'api', 'x/y.z', '"-x"']);
  });
});

describe('the walk and the schema path', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('skips node_modules and dot folders, and follows no symlink', async () => {
    const t = testdir({
      Dockerfile: 'FROM a\n',
      'a/b/x.Dockerfile': 'FROM a\n',
      'node_modules/m/Dockerfile': 'FROM a\n',
      '.git/Dockerfile': 'FROM a\n',
      '.mbuild/Dockerfile': 'FROM a\n',
      'c/Dockerfile.dev': 'FROM a\n',
      'link/': '',
      'link/Dockerfile': { symlink: '../Dockerfile' },
      out: { symlink: '/' },
    });
    cleanup = t.cleanup;
    expect((await findDockerfiles(t.dir)).paths).toEqual(['Dockerfile', 'a/b/x.Dockerfile', 'c/Dockerfile.dev']);
  });

  it("points at this mbuild's schema, or the project's node_modules copy, by a path that exists", () => {
    const name = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string }).name;
    const t = testdir({ [`node_modules/${name}/schema/mbuild.schema.json`]: '{}', 'sub/': '' });
    cleanup = t.cleanup;
    expect(schemaPathFor(t.dir)).toBe(`./node_modules/${name}/schema/mbuild.schema.json`);
    const own = schemaPathFor(join(t.dir, 'sub'))!;
    expect(existsSync(join(t.dir, 'sub', own))).toBe(true);
    expect(own).toMatch(/schema\/mbuild\.schema\.json$/);
  });
});
