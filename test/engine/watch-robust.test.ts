/**
 * Robustness of `mbuild watch` on the real engine (fixture test/fixtures/watch/robust):
 *  - --poll: watch-ready says polling; an edit and a chmod are each picked up and built;
 *    Ctrl-C while idle exits 130;
 *  - a context folder deleted (the image waits for it) and re-created with new files is
 *    watched again and rebuilt;
 *  - Ctrl-C while a rebuild's RUN step sleeps: exit 130, the build is cancelled on the
 *    daemon (no shell, no container left), no temporary file, the tag still names the
 *    last good image.
 * The ENOSPC fallback to polling is unit-tested (test/unit/watch-fs.test.ts). Needs the compiled CLI.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containersWith, fileInImage, idOf, processesWith, runInImage } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { WatchSession, type WEvent } from '../fixtures/watch/watch-session.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const of = (e: WEvent): string | undefined => (e as { image?: string }).image;

function start(label: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): { p: TestProject; w: WatchSession } {
  const p = copyFixture('../watch/robust', label);
  const w = new WatchSession(p, args, env);
  cleanups.push(() => {
    w.kill();
    expect(p.cleanup(), 'images left behind').toEqual([]);
  });
  return { p, w };
}

describe('mbuild watch: robustness', () => {
  it('--poll polls, picks up an edit and a chmod, and Ctrl-C while idle exits 130', async () => {
    const { p, w } = start('wpoll', ['--poll']);
    await w.ready();
    expect(w.events.find((e) => e.type === 'watch-ready')?.['polling']).toBe(true);

    let m = w.mark();
    writeFileSync(join(p.dir, 'p/v.txt'), 'p2\n');
    await w.waitType('watch-rebuilt', 'p rebuilt after an edit', { from: m, image: 'p' });
    await w.waitType('watch-idle', 'idle', { from: m });
    expect(fileInImage(`${p.name}/p:t`, '/v.txt')).toBe('p2\n');

    m = w.mark();
    chmodSync(join(p.dir, 'p/v.txt'), 0o755);
    await w.waitType('watch-rebuilt', 'p rebuilt after a chmod', { from: m, image: 'p' });
    await w.waitType('watch-idle', 'idle', { from: m });
    expect(runInImage(`${p.name}/p:t`, 'stat', '-c', '%a', '/v.txt')).toBe('755\n');
    expect(w.since(0, 'image-started').filter((e) => of(e) !== 'p').length, 'only the first run built q and slow').toBe(2);

    const r = await w.stop('SIGINT');
    expect(r.code, r.stderr).toBe(130);
  });

  it('a deleted and re-created context folder is watched again; Ctrl-C during a rebuild exits 130 and leaves nothing behind', async () => {
    // A private temp folder for the CLI: anything mbuild leaves in os.tmpdir() shows up here.
    const tmp = mkdtempSync(join(tmpdir(), 'mbt-watch-tmpdir-'));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    const { p, w } = start('wrec', [], { TMPDIR: tmp });
    await w.ready();

    let m = w.mark();
    rmSync(join(p.dir, 'q'), { recursive: true });
    await w.settle();
    // q waits for its folder (test/engine/watch-missing.test.ts); nothing is built or failed.
    expect(w.since(m, 'watch-waiting'), w.describe()).toEqual([expect.objectContaining({ image: 'q', missing: ['q'] })]);
    expect(w.since(m, 'image-done').filter((e) => of(e) === 'q')).toEqual([]);

    m = w.mark();
    mkdirSync(join(p.dir, 'q'));
    writeFileSync(join(p.dir, 'q/Dockerfile'), 'FROM busybox\nCOPY v.txt /v.txt\nCOPY w.txt /w.txt\n');
    writeFileSync(join(p.dir, 'q/v.txt'), 'q2\n');
    writeFileSync(join(p.dir, 'q/w.txt'), 'w2\n');
    await w.settle();
    expect(w.since(m, 'watch-rebuilt').map(of), w.describe()).toContain('q');
    expect(fileInImage(`${p.name}/q:t`, '/w.txt')).toBe('w2\n');
    m = w.mark();
    writeFileSync(join(p.dir, 'q/w.txt'), 'w3\n');
    await w.settle();
    expect(w.starts(m, 'q'), 'the new folder is watched').toBe(1);
    expect(fileInImage(`${p.name}/q:t`, '/w.txt')).toBe('w3\n');

    // Ctrl-C while slow's rebuild sleeps in its RUN step.
    const marker = `${p.name}-sleeping`;
    const good = idOf(`${p.name}/slow:t`);
    m = w.mark();
    writeFileSync(join(p.dir, 'slow/v.txt'), 'v2\n');
    await w.waitType('image-started', 'slow started', { from: m, image: 'slow' });
    await expect.poll(() => processesWith(marker).length, { timeout: 30_000, interval: 50 }).toBeGreaterThan(0);
    const r = await w.stop('SIGINT');
    expect(r.code, r.stderr).toBe(130);
    const done = w.since(m, 'image-done').find((e) => of(e) === 'slow');
    expect((done?.['outcome'] as { failure?: { reason: string } } | undefined)?.failure?.reason).toBe('cancelled');
    expect(w.since(m, 'run-finished').at(-1)?.['interrupted']).toBe(true);
    expect(r.stderr).not.toMatch(/internal error/);
    await expect.poll(() => processesWith(marker), { timeout: 10_000, interval: 100 }).toEqual([]);
    await expect.poll(() => containersWith(marker), { timeout: 10_000, interval: 100 }).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(idOf(`${p.name}/slow:t`), 'the tag still names the last good image').toBe(good);
  });
});
