/**
 * Hostile and huge build files: deep graphs and nesting, long values, binary files, alias
 * tricks. Each is answered with exit 2 and a located diagnostic, or loads, quickly: no
 * stack overflow, no "internal error", no Node warning, no raw bytes echoed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBuildFile } from '../../src/config/load.js';
import { parseSource } from '../../src/config/source.js';
import { createPlan } from '../../src/plan/plan.js';
import { testdir } from '../helpers/testdir.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function project(yaml: string | Buffer): string {
  const t = testdir({}, 'mbuild-hostile-');
  cleanups.push(t.cleanup);
  writeFileSync(join(t.dir, 'mbuild.yaml'), yaml);
  return t.dir;
}

/**
 * CPU time (not wall time: the machine may be busy) a case may take. Generous: each takes a
 * few seconds at most; the bound catches quadratic or exponential regressions.
 */
const QUICK_MS = 10_000;
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const SLOW = { timeout: 60_000 };

/** `validate` in-process, timed, with every Node warning it causes. */
async function validate(dir: string, args: string[] = []): Promise<CliResult & { ms: number; warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  const start = process.cpuUsage();
  try {
    const r = await runCli([...args, 'validate'], { cwd: dir, env: {} });
    const ms = cpuMs(start);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    return { ...r, ms, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}

function expectCleanFailure(r: CliResult & { ms: number; warnings: string[] }): void {
  expect(r.code).toBe(2);
  expect(r.stderr).not.toMatch(/internal error|RangeError|Maximum call stack|\n\s+at /);
  expect(r.warnings).toEqual([]);
  expect(r.ms).toBeLessThan(QUICK_MS);
}

const lines = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join('');

describe('deep graphs', () => {
  it('a depends_on chain of 6,000 with one self-edge is a cycle diagnostic at its line', SLOW, async () => {
    const dir = project(
      `version: 1\nname: h\ndefaults: {dockerfile_inline: "FROM busybox"}\nimages:\n${lines(6000, (i) => `  i${i}: {depends_on: [i${i === 5999 ? i : i + 1}]}\n`)}`,
    );
    const r = await validate(dir);
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^mbuild\.yaml:6004:24: error: dependency cycle: i5999 -> i5999\n/);
    expect(r.stderr.match(/error: /g)).toHaveLength(1);
  });

  it('a chain of 6,000 closed by a FROM line is one short diagnostic at that line', SLOW, async () => {
    const dir = project(
      `version: 1\nname: h\ndefaults: {dockerfile_inline: "FROM busybox"}\nimages:\n${lines(6000, (i) => `  i${i}: {${i < 5999 ? `depends_on: [i${i + 1}]` : 'dockerfile_inline: "FROM h-i0"'}}\n`)}`,
    );
    const r = await validate(dir);
    expectCleanFailure(r);
    expect(r.stderr).toMatch(
      /^mbuild\.yaml:6004:30: error: dependency cycle: i0 -> i1 -> .* -> i5999 -> i0 \(6000 images\); the first 20 of its 6000 steps are shown\n/,
    );
    expect(r.stderr.match(/note: /g)).toHaveLength(20);
  });

  it('chains of 20,000 images (depends_on, extends) load and plan', SLOW, async () => {
    const start = process.cpuUsage();
    const dir = project(
      `version: 1\nname: h\ndefaults: {network: none}\nimages:\n${lines(20000, (i) =>
        i === 19999 ? `  i${i}: {dockerfile_inline: "FROM busybox", args: {A: "1"}}\n` : `  i${i}: {extends: i${i + 1}, depends_on: [i${i + 1}]}\n`,
      )}`,
    );
    const loaded = await loadBuildFile({ cwd: dir, env: {} });
    if (!loaded.ok) throw new Error(loaded.error.diagnostics.map((d) => d.message).join('\n'));
    expect(loaded.value.file.images.get('i0')!.args).toEqual({ A: { kind: 'literal', value: '1' } });
    const plan = createPlan(loaded.value.file, new Map(), ['i0']);
    if (!plan.ok) throw new Error(JSON.stringify(plan.error));
    expect(plan.value.waves).toHaveLength(20000);
    expect(plan.value.criticalPath).toHaveLength(20000);
    expect(plan.value.images[0]!.name).toBe('i19999');
    expect(cpuMs(start)).toBeLessThan(QUICK_MS);
  });

  it('validate of 20,000 images, Dockerfile checks included, takes linear time', SLOW, async () => {
    const dir = project(
      `version: 1\nname: h\ndefaults: {dockerfile_inline: "FROM busybox"}\nimages:\n${lines(20000, (i) => `  i${i}: {${i < 19999 ? `depends_on: [i${i + 1}]` : ''}}\n`)}`,
    );
    const r = await validate(dir);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: 'mbuild.yaml is valid: 20000 images\n', warnings: [] });
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it('an extends cycle of 20,000 images is one diagnostic that names its ends and notes 20 steps', SLOW, async () => {
    const dir = project(`version: 1\nname: h\nimages:\n${lines(20000, (i) => `  i${i}: {extends: i${(i + 1) % 20000}, dockerfile_inline: x}\n`)}`);
    const r = await validate(dir);
    expectCleanFailure(r);
    expect(r.stderr).toContain('error: extends cycle: i0 -> i1 -> ');
    expect(r.stderr).toContain('-> i19999 -> i0 (20000 images); the first 20 of its 20000 steps are shown');
    expect(r.stderr.match(/note: /g)).toHaveLength(20);
  });

  it('10,000 groups nesting each other load, and one of them expands to what it reaches', SLOW, async () => {
    const dir = project(
      `version: 1\nname: h\nimages:\n  app: {dockerfile_inline: "FROM busybox"}\ngroups:\n${lines(10000, (i) => `  g${i}: [${i < 9999 ? `g${i + 1}` : 'app, g0'}]\n`)}`,
    );
    const start = process.cpuUsage();
    const loaded = await loadBuildFile({ cwd: dir, env: {} });
    if (!loaded.ok) throw new Error(loaded.error.diagnostics.map((d) => d.message).join('\n'));
    expect(loaded.value.file.groups.get('g0')).toEqual(['app']);
    expect(loaded.value.file.groups.get('g5000')).toEqual(['app']);
    expect(cpuMs(start)).toBeLessThan(QUICK_MS);
  });
});

describe('deep nesting', () => {
  it.each([
    ['a flow list', `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, '5:203:'],
    ['a flow mapping', `x: ${'{a: '.repeat(5000)}${'}'.repeat(5000)}\n`, '5:800:'],
    ['compact block lists', `x:\n${'- '.repeat(5000)}a\n`, '6:399:'],
  ])('%s 5,000 deep is a located diagnostic', SLOW, async (_what, yaml, at) => {
    const r = await validate(project(`version: 1\nname: h\nimages:\n  a: {dockerfile_inline: x}\n${yaml}`));
    expectCleanFailure(r);
    expect(r.stderr).toContain(`mbuild.yaml:${at} error: nested deeper than 200 levels`);
    expect(r.stderr.length).toBeLessThan(1000);
  });

  it('the limit is 200 levels exactly, written or through aliases', () => {
    const flow = (n: number) => `x: ${'['.repeat(n - 1)}1${']'.repeat(n - 1)}\n`;
    const block = (n: number) => `x:\n${Array.from({ length: n - 1 }, (_, i) => `${' '.repeat(i + 1)}k:\n`).join('')}${' '.repeat(n)}v\n`;
    const aliased = (n: number) => `a: &a ${'['.repeat(n - 2)}1${']'.repeat(n - 2)}\nb: [*a]\n`;
    const code = (text: string) => {
      const r = parseSource({ path: '/x', text });
      return r.ok ? 'ok' : r.error[0]!.code;
    };
    for (const make of [flow, block, aliased]) expect([code(make(200)), code(make(201))]).toEqual(['ok', 'too-deep']);
  });

  it('${...} nested 100,000 deep in one value interpolates; an error inside points at the outer expression', SLOW, async () => {
    const nest = (inner: string) => `${'${A:-'.repeat(100000)}${inner}${'}'.repeat(100000)}`;
    const ok = project(`version: 1\nname: h\nimages:\n  a:\n    dockerfile_inline: "FROM busybox"\n    labels: {x: "${nest('z')}"}\n`);
    const loaded = await loadBuildFile({ cwd: ok, env: {} });
    if (!loaded.ok) throw new Error(loaded.error.diagnostics.map((d) => d.message).join('\n'));
    expect(loaded.value.file.images.get('a')!.labels).toEqual({ x: 'z' });
    const r = await validate(project(`version: 1\nname: h\nimages:\n  a:\n    dockerfile_inline: "FROM busybox"\n    labels: {x: "${nest('${NOPE}')}"}\n`));
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^mbuild\.yaml:6:18: error: variable 'NOPE' is not set/);
    expect(r.stderr.length).toBeLessThan(1000);
  });
});

describe('long values and bad bytes', () => {
  it('a 300,000-digit scalar gives a short diagnostic: the line cut around the column, the value cut in the message', async () => {
    const r = await validate(project(`version: 1\nname: h\nimages:\n  a:\n    dockerfile_inline: "FROM busybox"\n    tags: [${'1'.repeat(300000)}]\n`));
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^mbuild\.yaml:6:12: error: images\.a\.tags\[0\] must be a string; quote it to keep it as written: "1+…1+"\n/);
    expect(r.stderr).toContain('     tags: [1111');
    expect(r.stderr.length).toBeLessThan(1000);
  });

  it('-f on a binary file says it is not a text file, and echoes none of its bytes', async () => {
    const dir = project('version: 1\n');
    const binary = join(dir, 'tool.bin');
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 0, 0, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0a, 0xff, 0xfe, 0, 0x41]));
    const r = await validate(dir, ['-f', binary]);
    expectCleanFailure(r);
    expect(r.stderr).toBe('tool.bin:1:7: error: not a text file: it holds NUL bytes (a build file is UTF-8 YAML text)\n');
  });

  it('a BOM and CRLF line ends are read, and diagnostics point at the right column', async () => {
    const r = await validate(project('\ufeffversion: 1\r\nname: h\r\nimages:\r\n  a: {dockerfile_inline: "FROM busybox", tags: [1.10]}\r\n'));
    expectCleanFailure(r);
    expect(r.stderr).toBe(
      [
        'mbuild.yaml:4:49: error: images.a.tags[0] must be a string; quote it to keep it as written: "1.10"',
        ' 4 |   a: {dockerfile_inline: "FROM busybox", tags: [1.10]}',
        '   |                                                 ^~~~',
        '',
      ].join('\n'),
    );
  });

  it('30,000 args of the wrong type are each reported, in linear time', SLOW, async () => {
    const args = Array.from({ length: 30000 }, (_, i) => (i % 2 === 0 ? `A${i}: ${i}` : `A${i}: {imag: x}`)).join(', ');
    const r = await validate(project(`version: 1\nname: h\nimages:\n  a:\n    dockerfile_inline: x\n    args: {${args}}\n`));
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/\n30000 errors\n$/);
    expect(r.stderr).toContain("error: unknown key 'imag' in images.a.args.A1; did you mean 'image'?");
    expect(r.stderr).toContain('error: images.a.args.A0 must be a string or {image: NAME}');
  });

  it('20,000 images with one tag: a short diagnostic per place (the message named every image, each time)', SLOW, async () => {
    const r = await validate(project(`version: 1\nname: h\ndefaults: {dockerfile_inline: x}\nimages:\n${lines(20000, (i) => `  i${i}: {tags: [t]}\n`)}`));
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/\n19999 errors\n$/);
    expect(r.stderr).toContain("mbuild.yaml:6:15: error: tag 't:latest' is used by images 'i0', 'i1', 'i10', 'i100', 'i1000' and 19995 more\n");
    expect(r.stderr.length).toBeLessThan(400_000);
  });

  it('150,000 problems print the first 1000 and how many more', SLOW, async () => {
    const r = await validate(
      project(`version: 1\nname: h\nimages:\n  a:\n    dockerfile_inline: x\n    depends_on: [${Array(150000).fill('zz').join(',')}]\n`),
    );
    expectCleanFailure(r);
    expect(r.stderr.match(/error: unknown image 'zz'/g)).toHaveLength(1000);
    expect(r.stderr).toMatch(/\n\.\.\. and 149000 more \(the first 1000 are shown\)\n150000 errors\n$/);
  });
});

describe('anchors and aliases', () => {
  it('an anchor merged into 500 images is no alias bomb (the yaml library alone refused a 101st use)', async () => {
    const dir = project(
      `version: 1\nname: h\ndefaults: &common {dockerfile_inline: "FROM busybox"}\nimages:\n${lines(500, (i) => `  i${i}: {<<: *common, network: none}\n`)}`,
    );
    const loaded = await loadBuildFile({ cwd: dir, env: {} });
    if (!loaded.ok) throw new Error(loaded.error.diagnostics.map((d) => d.message).join('\n'));
    expect(loaded.value.file.images.get('i499')).toMatchObject({ network: 'none', dockerfile: { kind: 'inline', text: 'FROM busybox' } });
  });

  it('aliases near the 1 MiB cap stop at the alias that passes each limit', SLOW, async () => {
    const r = await validate(
      project(`version: 1\nname: h\nimages:\n  a: {dockerfile_inline: x, tags: &t ["a:1"]}\nx: [${Array(120000).fill('*t').join(',')}]\n`),
    );
    expectCleanFailure(r);
    expect(r.stderr).toContain('mbuild.yaml:5:30005: error: more than 10,000 aliases');
    expect(r.stderr).toContain('mbuild.yaml:5:150005: error: aliases repeat more than 100,000 values in all; refusing a possible alias bomb');
  });

  it('complex keys are located errors, and no Node warning is printed', async () => {
    const r = await validate(project('version: 1\nname: h\nimages:\n  a: {dockerfile_inline: x, labels: {[k]: v}}\n? [a]\n: b\n'));
    expectCleanFailure(r);
    expect(r.stderr).toContain('mbuild.yaml:4:38: error: a key must be a plain name');
    expect(r.stderr).toContain('mbuild.yaml:5:3: error: a key must be a plain name');
  });
});
