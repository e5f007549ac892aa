/**
 * `mbuild schema` prints the shipped schema/mbuild.schema.json byte for byte (`--events`:
 * schema/events.schema.json), in-process and through the bundle (bin/mbuild.js, needs
 * `npm run build`); and the schema annotates every key: a title, a description for people
 * and for editors (markdown), examples, and a default that the key itself accepts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import validate from '../../src/config/schema-validator.generated.js';
import { REPO, runCli, spawnCli } from '../helpers/run-cli.js';

const read = (name: string): string => readFileSync(join(REPO, 'schema', name), 'utf8');

interface Schema {
  readonly title?: string;
  readonly description?: string;
  readonly markdownDescription?: string;
  readonly default?: unknown;
  readonly examples?: unknown[];
  readonly properties?: Record<string, Schema>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly anyOf?: Schema[];
  readonly oneOf?: Schema[];
  readonly $defs?: Record<string, Schema>;
}

/** Every property schema of the file, by its path (`images.*.context`, `cache.to`...). */
function keys(s: Schema, path: string, out: Map<string, Schema>): Map<string, Schema> {
  for (const [k, v] of Object.entries(s.properties ?? {})) keys(v, `${path}${path === '' ? '' : '.'}${k}`, out.set(`${path}${path === '' ? '' : '.'}${k}`, v));
  if (typeof s.additionalProperties === 'object') keys(s.additionalProperties, `${path}.*`, out);
  if (s.items !== undefined) keys(s.items, `${path}[]`, out);
  for (const b of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) keys(b, path, out);
  return out;
}

describe('mbuild schema', () => {
  it('prints the build file schema, and with --events the events schema', async () => {
    const r = await runCli(['schema'], { cwd: REPO });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(read('mbuild.schema.json'));
    const e = await runCli(['schema', '--events'], { cwd: REPO });
    expect({ code: e.code, stdout: e.stdout }).toEqual({ code: 0, stdout: read('events.schema.json') });
  });

  it('prints it through bin/mbuild.js (the bundle)', async () => {
    const r = await spawnCli(['schema'], { cwd: REPO }).done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(read('mbuild.schema.json'));
  });
});

describe('schema/mbuild.schema.json annotations', () => {
  const schema = JSON.parse(read('mbuild.schema.json')) as Schema;
  const all = keys(schema, '', new Map());
  const image = keys(schema.$defs!['image']!, 'images.*', new Map());
  const every = new Map([...all, ...image]);

  it('gives every key a title, a description, a markdown description and examples', () => {
    expect(every.size).toBeGreaterThan(40);
    for (const [path, s] of every) {
      if (path === 'defaults' || path === 'images.*') continue; // a $ref to the image: annotated there
      expect(s.title, path).toMatch(/^[A-Z]/);
      expect(s.description, path).toMatch(/\S{3}/);
      expect(s.markdownDescription, path).toMatch(/\S{3}/);
      expect(s.examples, path).toEqual(expect.any(Array));
    }
  });

  it('has examples and defaults of the top-level and image keys that the validator accepts', () => {
    const values = (s: Schema): unknown[] => [...(s.examples ?? []), ...('default' in s ? [s.default] : [])];
    const rejected: string[] = [];
    const check = (file: unknown, what: string): void => {
      if (!validate(file)) rejected.push(what);
    };
    for (const example of values(schema)) check(example, `the file: ${JSON.stringify(example)}`);
    for (const [key, s] of Object.entries(schema.properties!))
      for (const v of values(s)) check({ version: 1, images: { x: {} }, [key]: v }, `${key}: ${JSON.stringify(v)}`);
    for (const [key, s] of Object.entries(schema.$defs!['image']!.properties!)) {
      for (const v of values(s)) check({ version: 1, images: { x: { [key]: v } } }, `images.x.${key}: ${JSON.stringify(v)}`);
    }
    expect(rejected).toEqual([]);
    // The check can fail: a wrong type is rejected.
    check({ version: 1, images: { x: { pull: 'yes' } } }, 'pull: "yes"');
    expect(rejected).toEqual(['pull: "yes"']);
  });
});
