import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSource } from '../../src/config/source.js';
import { plainYamlValue } from '../../src/config/yaml-plain.js';

/**
 * The plain-style reader may only answer what the full parser answers: for every text, it
 * gives up (undefined), or the full parser accepts the text and gives the same value, keys in
 * the same order. Checked on the repository's build files, on tricky texts, and on many
 * mutations of them (a character inserted, removed, replaced; lines swapped).
 */
function full(text: string): { value: unknown } | undefined {
  const parsed = parseSource({ path: 'mbuild.yaml', text });
  return parsed.ok ? { value: parsed.value.value } : undefined;
}

function agrees(text: string): boolean {
  const plain = plainYamlValue(text);
  if (plain === undefined) return true;
  const reference = full(text);
  if (reference === undefined) throw new Error(`the plain reader accepted text the parser refuses:\n${text}`);
  expect(plain.value, text).toStrictEqual(reference.value);
  expect(JSON.stringify(plain.value), text).toBe(JSON.stringify(reference.value));
  return true;
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  // Symlinks are not followed (fixtures hold loops).
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) yamlFiles(p, out);
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(p);
  }
  return out;
}

const CORPUS = [...yamlFiles('test'), ...yamlFiles('examples')].map((p) => readFileSync(p, 'utf8'));

const TYPICAL = `version: 1
name: shop
# a comment
defaults:
  network: none
images:
  base:
    context: base
    tags: ["shop/base:dev", 'shop/base:1', shop/base:latest]
  api:
    context: ./api
    dockerfile: Dockerfile.api
    args:
      BASE: {image: base}
      MODE: "release mode"
      EMPTY: ''
    mounts:
      - from: base
        path: /srv/base
        to: vendor
      - {from: base, path: /etc, to: etc}
    depends_on:
    - base
    outputs: []
    labels: {}
    push: true
    pull: false
  web:
    context: web
groups:
  all: [base, api, web]
gc:
  keep: 3
`;

/** Texts where the subset's edges are (each either given up on or read right). */
const TRICKY = [
  TYPICAL,
  'a: 1\n',
  'a:\n',
  'a:\nb: c\n',
  'a: b\n  c\n',
  'a:\n  b\n',
  'a: b\na: c\n',
  'a: b # c\n',
  'a: "b # c"\n',
  'a: b:\n',
  'a: b:c\n',
  'a:b\n',
  'a : b\n',
  '  a: b\n',
  '- a\n',
  'a:\n- b\n- c\nd: e\n',
  'a:\n  - b\n  -   c: d\n      e: f\n',
  'a:\n  - b: c\n   d: e\n',
  'a:\n  - b: c\n    d: e\n  - f\n',
  'a:\n  - b:\n    - c\n',
  'a:\n  - - b\n',
  'a:\n  -\n    b: c\n',
  'a: [b, c]\n',
  'a: [b,c]\n',
  'a: [ b , c ]\n',
  'a: [b, ]\n',
  'a: [b:c]\n',
  'a: [b: c]\n',
  'a: [[b]]\n',
  'a: [b] c\n',
  'a: ["b", \'c\', d]\n',
  'a: ["b"c]\n',
  'a: {b: c, d: e}\n',
  'a: {b: c, b: e}\n',
  'a: {b:c}\n',
  'a: {b: }\n',
  'a: {"b": c}\n',
  'a: {b: c d}\n',
  'a: {}\nb: []\n',
  'a: [\n  b]\n',
  'a: true\nb: false\nc: True\nd: null\ne: ~\nf: 0\ng: 007\nh: 1.5\ni: -1\nj: .5\nk: 0x10\nl: 1e3\nm: .inf\n',
  'true: a\n',
  'null: a\n',
  '__proto__: a\n',
  'a: {__proto__: b}\n',
  '<<: {a: b}\n',
  'a: &x b\nc: *x\n',
  'a: !!str b\n',
  'a: |\n  b\n',
  'a: >\n  b\n',
  '---\na: b\n',
  'a: b\n---\nc: d\n',
  'a: b\n...\n',
  '%YAML 1.2\n---\na: b\n',
  'a: "b\\"c"\n',
  "a: 'b''c'\n",
  'a: "b\n  c"\n',
  'a:\tb\n',
  'a: b\r\n',
  'a: é\n',
  '\uFEFFa: b\n',
  'a: b\n  # comment\nc: d\n',
  'a:\n  # comment\n  b: c\n',
  'a: @b\n',
  'a: `b\n',
  'a: b=c+d@e\n',
  'a: /b/c\n',
  'a: 123456789012345\nb: 1234567890123456\n',
  '',
  '# only a comment\n',
  'a:\n    b: c\n  d: e\n',
  'a:\n  b:\n    c: d\n  e: f\ng: h\n',
  'a.b/c-d_e: f\n',
  'a: -b\n',
  'a: ?b\n',
  'a: b-\n',
  'a: ./b\n',
  'a: b..c\n',
  'constructor: a\ntoString: b\n',
];

/** A small deterministic generator (the test fails the same way each run). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

const ALPHABET = [' ', '  ', '\n', ':', '-', '- ', '#', '"', "'", '[', ']', '{', '}', ',', 'a', '1', '.', '/', '&', '*', '!', '|', '>', '~', '\t', 'é'];

const pick = (rand: () => number): string => ALPHABET[Math.floor(rand() * ALPHABET.length)]!;

function mutations(text: string, count: number, rand: () => number): string[] {
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    let t = text;
    for (let edits = 1 + Math.floor(rand() * 3); edits > 0; edits--) {
      const at = Math.floor(rand() * (t.length + 1));
      const what = rand();
      if (what < 0.4) t = t.slice(0, at) + pick(rand) + t.slice(at);
      else if (what < 0.7) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rand() * 3));
      else if (what < 0.9) t = t.slice(0, at) + pick(rand) + t.slice(at + 1);
      else {
        const lines = t.split('\n');
        const i = Math.floor(rand() * lines.length);
        const j = Math.floor(rand() * lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        t = lines.join('\n');
      }
    }
    out.push(t);
  }
  return out;
}

describe('plainYamlValue', () => {
  it('reads the usual style of a build file as the full parser does', () => {
    const plain = plainYamlValue(TYPICAL);
    expect(plain).toBeDefined();
    expect(plain!.value).toStrictEqual(full(TYPICAL)!.value);
  });

  it('gives up on what it cannot be sure of, and reads the rest as the full parser does', () => {
    let read = 0;
    for (const text of TRICKY) {
      agrees(text);
      if (plainYamlValue(text) !== undefined) read++;
    }
    // Not everything given up on: the subset is used.
    expect(read).toBeGreaterThan(25);
    // Each of these is outside the subset or invalid.
    for (const text of [
      'a: b # c\n',
      'a: b\na: c\n',
      'a: &x b\nc: *x\n',
      '<<: {a: b}\n',
      '__proto__: a\n',
      'a: [b, ]\n',
      'a: 1.5\n',
      'a: b\n  c\n',
      'a: b:\n',
    ]) {
      expect(plainYamlValue(text), text).toBeUndefined();
    }
  });

  it("agrees with the full parser on the repository's YAML files", () => {
    expect(CORPUS.length).toBeGreaterThan(20);
    let read = 0;
    for (const text of CORPUS) {
      agrees(text);
      if (plainYamlValue(text) !== undefined) read++;
    }
    expect(read).toBeGreaterThan(0);
  });

  it('agrees with the full parser on mutated texts', () => {
    const rand = random(22);
    let read = 0;
    for (const text of [...TRICKY, ...CORPUS.filter((t) => t.length < 4000)]) {
      for (const m of mutations(text, 40, rand)) {
        agrees(m);
        if (plainYamlValue(m) !== undefined) read++;
      }
    }
    expect(read).toBeGreaterThan(500);
  });
});
