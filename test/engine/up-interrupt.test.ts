/**
 * Ctrl-C (and SIGTERM) in the middle of `mbuild up`, as a real child process in its own
 * process group, on the real engine with both builders: exit 130, the summary says what
 * was built, cancelled and never started, the sleeping RUN step is gone from the host
 * (its shell process, and for the classic builder its container), nothing was left in the
 * temp folder, and the interrupted image was not tagged.
 *
 * Needs the compiled CLI (`npx tsc -p .`). Fixture test/fixtures/up/interrupt.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containersWith, fileInImage, idOf, processesWith } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import { spawnCli } from '../helpers/run-cli.js';

const cleanups: (() => string[])[] = [];
afterEach(() => {
  const left = cleanups.splice(0).flatMap((c) => c());
  expect(left, 'images left behind by the test project').toEqual([]);
});

/** Rows of the summary table printed at the end of a plain run: image -> RESULT column. */
function summaryRows(stdout: string): Record<string, string> {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => /^IMAGE\s+RESULT\s+TIME\s+IMAGE ID\s+SIZE$/.test(l));
  if (head === -1) throw new Error(`no summary table in:\n${stdout}`);
  const rows: Record<string, string> = {};
  for (const l of lines.slice(head + 1)) {
    const m = /^(\S+)\s+(built|up to date|FAILED|skipped|cancelled|not started)\s/.exec(l);
    if (!m) break;
    rows[m[1]!] = m[2]!;
  }
  return rows;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe.each(['buildkit', 'classic'] as const)('mbuild up --builder %s: interrupted', (builder) => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s while a RUN step sleeps: exit 130, cancelled and not-started listed, nothing left behind', async (signal) => {
    const p: TestProject = copyFixture('interrupt', `int-${builder.slice(0, 2)}-${signal === 'SIGINT' ? 'i' : 't'}`);
    // A private temp folder for the CLI: anything mbuild leaves in os.tmpdir() shows up here alone.
    const tmp = mkdtempSync(join(tmpdir(), 'mbt-up-tmpdir-'));
    cleanups.push(() => {
      rmSync(tmp, { recursive: true, force: true });
      return p.cleanup();
    });
    const marker = `${p.name}-sleeping`;

    const cli = spawnCli(['up', '--builder', builder, '--progress', 'plain', '-j', '2'], { cwd: p.dir, env: { TMPDIR: tmp } });
    let exited = false as boolean; // set in a callback, which TypeScript's narrowing does not see
    void cli.done.then(() => (exited = true));
    try {
      // quick is built, slow's RUN step has started and its shell is running.
      await expect.poll(() => cli.output().stdout, { timeout: 60_000, interval: 50 }).toMatch(/^\[quick\] built in /m);
      await expect.poll(() => cli.output().stdout, { timeout: 60_000, interval: 50 }).toMatch(/^\[slow\] \[\d+\/\d+\] RUN sleep 120 && echo /m);
      await expect.poll(() => processesWith(marker).length, { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
      expect(exited).toBe(false);
      // The classic builder runs the step in a container; BuildKit runs it without one.
      expect(containersWith(marker).length).toBe(builder === 'classic' ? 1 : 0);

      process.kill(-cli.child.pid!, signal);
      const r = await withDeadline(cli.done, 15_000, `exit after ${signal}`);
      expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(130);
      expect(summaryRows(r.stdout)).toEqual({ quick: 'built', slow: 'cancelled', after: 'not started' });
      expect(r.stdout).toMatch(/^\[slow\] cancelled$/m);
      expect(r.stdout).toMatch(/^interrupted in [\d.]+s: 1 built, 1 cancelled, 1 not started$/m);
      expect(r.stdout).not.toMatch(/^\[after\] building/m);
      expect(r.stderr).not.toMatch(/internal error/);
    } finally {
      if (!exited) process.kill(-cli.child.pid!, 'SIGKILL');
    }

    // The step is really stopped on the daemon: no shell, no container (running or stopped).
    await expect.poll(() => processesWith(marker), { timeout: 10_000, interval: 100 }).toEqual([]);
    await expect.poll(() => containersWith(marker), { timeout: 10_000, interval: 100 }).toEqual([]);
    // No temporary files.
    expect(readdirSync(tmp)).toEqual([]);
    // The interrupted image and its dependent were not tagged; the finished one was.
    expect(idOf(`${p.name}/slow:t`)).toBeUndefined();
    expect(idOf(`${p.name}/after:t`)).toBeUndefined();
    expect(fileInImage(`${p.name}/quick:t`, '/quick-id')).toBe(`${p.name} quick\n`);
  });
});
