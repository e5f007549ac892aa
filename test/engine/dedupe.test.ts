/**
 * One build per key per run (issue 23), on the real engine through a proxy that counts the
 * `POST /build` calls: three images with the same context and Dockerfile are built once,
 * the others take its image ID under their own tags and say `same as <image>`; the next run
 * builds nothing; an edit that makes one differ builds that one alone; a failing build fails
 * the others naming it (no second build); a folded image still writes its outputs and
 * pushes its tags.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { idOf, removeProjectImages } from '../helpers/engine-docker.js';
import { outcomes, parseEvents, type JsonEvent } from '../helpers/engine-events.js';
import { startEngineProxy, type EngineProxy } from '../helpers/engine-proxy.js';
import { startRegistry, tagsOf, type TestRegistry } from '../helpers/registry.js';
import { runCli } from '../helpers/run-cli.js';

let proxy: EngineProxy;
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  proxy = await startEngineProxy();
});
afterAll(async () => {
  await proxy.close();
});
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const IMAGES = ['a', 'b', 'c'];

/** Three images of one context and Dockerfile; `extra[image]` adds lines to that image's Dockerfile, `more[image]` to its settings. */
function project(o: { run?: string; extra?: Record<string, string>; more?: Record<string, string[]> } = {}) {
  const name = `mbt-dedupe-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'mbt-dedupe-'));
  mkdirSync(join(dir, 'ctx'));
  writeFileSync(join(dir, 'ctx', 'a.txt'), `${name}\n`);
  const write = (extra: Record<string, string> = {}) => {
    const lines = ['version: 1', `name: ${name}`, 'defaults: {network: none}', 'images:'];
    for (const image of IMAGES) {
      lines.push(
        `  ${image}:`,
        '    context: ctx',
        '    dockerfile_inline: |',
        '      FROM busybox',
        '      COPY a.txt /a.txt',
        `      RUN ${o.run ?? 'cat /a.txt > /b.txt'}`,
        ...(extra[image] === undefined ? [] : [`      ${extra[image]}`]),
        `    tags: [${name}/${image}:t]`,
        ...(o.more?.[image] ?? []).map((l) => `    ${l}`),
      );
    }
    writeFileSync(join(dir, 'mbuild.yaml'), `${lines.join('\n')}\n`);
  };
  write(o.extra);
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(removeProjectImages(name), 'images left behind').toEqual([]);
  });
  const up = async (args: readonly string[] = []) => {
    const before = proxy.routes.length;
    const r = await runCli(['up', '--progress', 'json', '-j', '3', ...args], { cwd: dir, env: { ...process.env, DOCKER_HOST: proxy.url } });
    const builds = proxy.routes.slice(before).filter((route) => route === 'POST /build').length;
    return { ...r, builds, events: parseEvents(r.stdout) };
  };
  return { name, dir, up, write };
}

const doneOf = (events: readonly JsonEvent[]) => Object.fromEntries(events.flatMap((e) => (e.type === 'image-done' ? [[e.image, e.outcome] as const] : [])));

describe('one build per key per run', () => {
  it('builds three identical images once; the next run builds nothing; an edit of one builds that one', async () => {
    const p = project();
    const first = await p.up();
    expect(first.code, first.stderr).toBe(0);
    expect(first.builds).toBe(1);
    const done = doneOf(first.events);
    const built = IMAGES.filter((i) => done[i]?.kind === 'built');
    expect(built).toHaveLength(1);
    const leader = built[0]!;
    const id = (done[leader] as { imageId: string }).imageId;
    for (const image of IMAGES.filter((i) => i !== leader)) {
      expect(done[image]).toMatchObject({ kind: 'same-as', sameAs: leader, why: 'first build', imageId: id });
    }
    // Every image's own tag names the one image.
    for (const image of IMAGES) expect(idOf(`${p.name}/${image}:t`)).toBe(id);

    // The summary says it too (plain output), and the next run is a no-op.
    const again = await runCli(['up', '--progress', 'plain'], { cwd: p.dir, env: { ...process.env } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/done in [\d.]+s: 3 up to date/);
    const noop = await p.up();
    expect(noop.builds).toBe(0);
    expect(outcomes(noop.events)).toEqual({ a: 'up-to-date', b: 'up-to-date', c: 'up-to-date' });

    // c differs now: c alone is built.
    p.write({ c: 'RUN echo c > /c.txt' });
    const edited = await p.up();
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.builds).toBe(1);
    expect(outcomes(edited.events)).toEqual({ a: 'up-to-date', b: 'up-to-date', c: 'built' });
    expect(idOf(`${p.name}/c:t`)).not.toBe(id);
    expect(idOf(`${p.name}/a:t`)).toBe(id);
  });

  it('mbuild plan lists the duplicates it will fold (text and JSON); none once they are built', async () => {
    const p = project({ extra: { c: 'RUN echo c > /c.txt' } });
    const env = { ...process.env };
    const text = await runCli(['plan'], { cwd: p.dir, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('duplicates:\n  b: same key as a — built once\n');
    const json = await runCli(['plan', '--format', 'json'], { cwd: p.dir, env });
    expect((JSON.parse(json.stdout) as { duplicates: unknown }).duplicates).toEqual([{ image: 'a', same: ['b'] }]);
    const r = await runCli(['up', '--progress', 'plain', '-j', '3'], { cwd: p.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect((await runCli(['plan'], { cwd: p.dir, env })).stdout).not.toContain('duplicates:');
  });

  it('says `same as` in plain output and in the summary table', async () => {
    const p = project();
    const r = await runCli(['up', '--progress', 'plain', '-j', '3'], { cwd: p.dir, env: { ...process.env } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^\[[abc]\] same as [abc] \(first build\): [0-9a-f]{12} /gm)).toHaveLength(2);
    expect(r.stdout.match(/^[abc] +same as [abc] +- +[0-9a-f]{12}/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/: 1 built, 2 same as another\n/);
  });

  it('a failing build fails the others, naming it, without building them', async () => {
    const p = project({ run: 'exit 3' });
    const r = await p.up(['--keep-going']);
    expect(r.code).toBe(1);
    expect(r.builds).toBe(1);
    const o = outcomes(r.events);
    const failed = IMAGES.filter((i) => o[i] === 'build-failed');
    expect(failed).toHaveLength(1);
    for (const image of IMAGES.filter((i) => i !== failed[0])) {
      expect(doneOf(r.events)[image]).toMatchObject({ kind: 'failed', failure: { reason: 'same-as-failed', image: failed[0] } });
    }
  });

  describe('a folded image still writes its outputs and pushes its tags', () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry();
    });
    afterAll(async () => {
      await registry.stop();
    });

    it('outputs and push', async () => {
      const p = project({
        more: {
          a: ['outputs: [{path: /b.txt, to: out/a.txt}]'],
          b: ['outputs: [{path: /b.txt, to: out/b.txt}]'],
          c: [`tags: [${registry.host}/dedupe/c:1]`, 'push: true'],
        },
      });
      // c's own tag is replaced by the registry's: drop the default one the generator wrote.
      writeFileSync(join(p.dir, 'mbuild.yaml'), readFileSync(join(p.dir, 'mbuild.yaml'), 'utf8').replace(`    tags: [${p.name}/c:t]\n`, ''));
      const r = await p.up();
      expect(r.code, r.stderr).toBe(0);
      expect(r.builds).toBe(1);
      expect(readFileSync(join(p.dir, 'out', 'a.txt'), 'utf8')).toBe(`${p.name}\n`);
      expect(readFileSync(join(p.dir, 'out', 'b.txt'), 'utf8')).toBe(`${p.name}\n`);
      expect(r.events.some((e) => e.type === 'push-done' && e.image === 'c' && e.ref === `${registry.host}/dedupe/c:1`)).toBe(true);
      expect(await tagsOf(registry.host, 'dedupe/c')).toEqual(['1']);
      expect(idOf(`${registry.host}/dedupe/c:1`)).toBe(idOf(`${p.name}/a:t`));
    });
  });
});
