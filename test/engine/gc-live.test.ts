/**
 * The garbage policy during `up` (cli/gc-live.ts), classic builds, through a proxy in front of
 * the real engine: an image's superseded build is removed as soon as its new build is done,
 * while the next image of the graph is still building (its build's answer held at the proxy);
 * Ctrl-C while a removal is under way: exit 130, that removal finished and no other started,
 * every build whole (with its mark tag) or gone, the record of built images names
 * none that is gone, and the next `up` leaves `keep` builds as ever.
 *
 * Needs the compiled CLI (`npm run build`) for the signal. Fixture test/fixtures/up/gc-live.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, idOf, inspectImage, markTags } from '../helpers/engine-docker.js';
import { startEngineProxy, type EngineProxy, type Match } from '../helpers/engine-proxy.js';
import { copyFixture } from '../helpers/engine-project.js';
import { runCli, spawnCli } from '../helpers/run-cli.js';

const p = copyFixture('gc-live', 'gc-live');
let proxy: EngineProxy;
/** app's and mid's builds, oldest first. */
const seen: string[] = [];
const mids: string[] = [];

beforeAll(async () => {
  proxy = await startEngineProxy();
});
afterAll(async () => {
  await proxy.close();
  expect(p.cleanup()).toEqual([]);
});

const ARGS = ['up', '--builder', 'classic', '--progress', 'plain'];
const hex = (id: string) => id.replace(/^sha256:/, '');
/** Every image changes: all are built, app, then mid, then last. */
const editAll = (text: string) => {
  for (const image of ['app', 'mid', 'last']) writeFileSync(join(p.dir, image, 'edit.txt'), `${text}\n`);
};
const record = () => {
  seen.push(idOf(`${p.name}/app:t`)!);
  mids.push(idOf(`${p.name}/mid:t`)!);
};
async function round(text: string): Promise<void> {
  editAll(text);
  const r = await runCli(ARGS, { cwd: p.dir, env: { ...process.env } });
  expect(r.code, r.stderr).toBe(0);
  record();
}
/** The images that carry one of `image`'s mark tags. */
const marked = (image = 'app'): string[] => [...new Set(docker('images', '-q', '--no-trunc', '--filter', `reference=mbuild-key/${p.name}/${image}:*`))];
const recorded = (): string[] => (JSON.parse(readFileSync(join(p.dir, '.mbuild/built.json'), 'utf8')) as { images: string[] }).images;
/** The third `POST /build` from now: last's, once app and mid are built. */
function lastBuild(): Match {
  let builds = 0;
  return (route) => route === 'POST /build' && ++builds === 3;
}
const deletes = () => proxy.routes.filter((r) => r.startsWith('DELETE /images/')).map((r) => decodeURIComponent(r));

describe('the garbage policy during the run, classic builds', () => {
  it("removes app's and mid's superseded builds while last is still building", async () => {
    for (let i = 1; i <= 3; i++) await round(`edit ${i}`);
    expect(marked().sort()).toEqual([...seen].sort());
    editAll('edit 4');
    const held = proxy.hold(lastBuild());
    const run = runCli(ARGS, { cwd: p.dir, env: { ...process.env, DOCKER_HOST: proxy.url } });
    await held.reached;
    try {
      // The oldest builds of app and mid (outside keep 3 now) go while last's build has not answered
      // (mid's: built after the listing of the project's images, made when app was done).
      await expect.poll(() => inspectImage(seen[0]!), { timeout: 30_000, interval: 50 }).toBeUndefined();
      await expect.poll(() => inspectImage(mids[0]!), { timeout: 30_000, interval: 50 }).toBeUndefined();
      expect(deletes().some((r) => r.includes(hex(seen[0]!)) || r.includes(`mbuild-key/${p.name}/app:`))).toBe(true);
    } finally {
      held.release();
      // The run ends before the test does, even when it fails: nothing writes into the project after its clean-up.
      await run;
    }
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    // app's, mid's and last's oldest builds.
    expect(r.stderr).toMatch(/gc: removed 3 superseded images \(keep 3/);
    record();
    expect(marked().sort()).toEqual(seen.slice(-3).sort());
    expect(marked('mid').sort()).toEqual(mids.slice(-3).sort());
    expect(recorded()).not.toContain(seen[0]);
  });

  it('Ctrl-C during a removal: exit 130, that removal finished, nothing half-done, the next up keeps 3', async () => {
    editAll('edit 5');
    const building = proxy.hold(lastBuild());
    const removing = proxy.hold((route) => route.startsWith('DELETE /images/'));
    const before = proxy.routes.length;
    const cli = spawnCli(ARGS, { cwd: p.dir, env: { DOCKER_HOST: proxy.url } });
    let exited = false as boolean; // set in a callback, which TypeScript's narrowing does not see
    void cli.done.then(() => (exited = true));
    try {
      await building.reached;
      await removing.reached;
      const first = proxy.routes.findIndex((route, i) => i >= before && route.startsWith('DELETE /images/'));
      process.kill(-cli.child.pid!, 'SIGINT');
      building.release();
      // The run is over (last cancelled, the summary printed) while the removal's answer is held.
      await expect.poll(() => cli.output().stdout, { timeout: 30_000, interval: 50 }).toMatch(/^interrupted in /m);
      expect(exited).toBe(false);
      removing.release();
      const r = await cli.done;
      expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(130);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      // The removal under way was of app's or mid's oldest build left; the other, due as well once mid was
      // done (last was building), was not started after the interrupt. After the held call, only its by-ID call.
      const gone = [seen[1]!, mids[1]!].filter((id) => inspectImage(id) === undefined);
      expect(gone).toHaveLength(1);
      const after = proxy.routes.slice(first).filter((route) => route.startsWith('DELETE /images/'));
      expect(after.length).toBeGreaterThan(0);
      expect(after.length).toBeLessThanOrEqual(2);
      expect(after.slice(1).every((route) => decodeURIComponent(route).includes(hex(gone[0]!)))).toBe(true);
      expect(proxy.routes.slice(before).filter((route) => route === 'POST /build')).toHaveLength(3);
    } finally {
      building.release();
      removing.release();
      if (!exited) process.kill(-cli.child.pid!, 'SIGKILL');
    }
    record();
    // Whole or gone: a build still there has its mark tag; the record names none that is gone.
    const marks = [...markTags(p.name, 'app'), ...markTags(p.name, 'mid')].map((t) => idOf(t));
    for (const id of [...seen, ...mids]) if (inspectImage(id) !== undefined) expect(marks, id).toContain(id);
    for (const id of recorded()) expect(inspectImage(id), id).toBeDefined();
    const next = await runCli(ARGS, { cwd: p.dir, env: { ...process.env } });
    expect(next.code, next.stderr).toBe(0);
    expect(marked().sort()).toEqual(seen.slice(-3).sort());
    expect(marked('mid').sort()).toEqual(mids.slice(-3).sort());
  });
});
