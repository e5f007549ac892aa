/**
 * A build log that cannot be written is a warning, never a crash, and the build's result
 * stands (fixture test/fixtures/up/messages, image `noisy`: ~250 KB of output):
 *  - `.mbuild/logs` on a full disk (a 64 KiB tmpfs; needs root to mount): exit 0, one
 *    warning naming the log and the cause, the image built and tagged, no partial log
 *    left, and the next run is up to date;
 *  - `.mbuild/logs` replaced by a file: the same, and the file is left as it was;
 *  - the same for a build that fails: its failure report points at no log file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idOf } from '../helpers/engine-docker.js';
import { copyFixture, type TestProject } from '../helpers/engine-project.js';
import type { CliResult } from '../helpers/run-cli.js';
import { canMount } from '../helpers/tmpfs.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function project(label: string): TestProject {
  const p = copyFixture('messages', label);
  cleanups.push(() => expect(p.cleanup(), 'images left behind').toEqual([]));
  return p;
}

const noTrace = (text: string): void => {
  expect(text).not.toMatch(/internal error|node:events|^\s+at .+:\d+:\d+\)?$|Unhandled/m);
};

/** `up IMAGE` with `.mbuild/logs` replaced by a file that is not mbuild's. */
async function upWithLogsAsFile(label: string, image: string): Promise<{ p: TestProject; r: CliResult }> {
  const p = project(label);
  mkdirSync(join(p.dir, '.mbuild'), { recursive: true });
  writeFileSync(join(p.dir, '.mbuild', 'logs'), "not mbuild's\n");
  const r = await p.up([image, '--progress', 'plain']);
  noTrace(r.stderr);
  return { p, r };
}

describe('mbuild up: a build log that cannot be written', () => {
  it.runIf(canMount())('a full disk under .mbuild/logs: a warning, the image built and tagged, exit 0, and the next run is up to date', async () => {
    const p = project('enospc');
    const logs = join(p.dir, '.mbuild', 'logs');
    mkdirSync(logs, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', logs]);
    cleanups.push(() => execFileSync('umount', [logs]));

    for (const builder of ['classic', 'buildkit'] as const) {
      const r = await p.up(['noisy', '--builder', builder, '--progress', 'plain', '--no-cache']);
      noTrace(r.stderr);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.split('\n').filter((l) => l.includes('warning:'))).toEqual([
        '[noisy] warning: cannot write the build log .mbuild/logs/noisy.log: no space left on device; the build goes on without it',
      ]);
      expect(r.stdout).toMatch(/^noisy +built /m);
      expect(idOf(`${p.name}/noisy:t`)).toMatch(/^sha256:/);
      // What was written is not the full log: it is not left to pass for one.
      expect(readdirSync(logs)).toEqual([]);
    }
    const again = await p.up(['noisy', '--progress', 'plain']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/^done in [\d.]+s: 1 up to date$/m);
  });

  it.runIf(canMount())(
    'a full disk under .mbuild/state: a warning, the image built and tagged, exit 0, no temp file left, and the engine still finds it',
    async () => {
      const p = project('statefull');
      const state = join(p.dir, '.mbuild', 'state');
      mkdirSync(state, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', state]);
      cleanups.push(() => execFileSync('umount', [state]));
      // Fill it: the manifest of the build cannot be written.
      spawnSync('dd', ['if=/dev/zero', `of=${join(state, 'filler')}`, 'bs=4k']);

      const r = await p.up(['ok', '--progress', 'plain']);
      noTrace(r.stderr);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /^\[ok\] warning: cannot record this build in \.mbuild\/state \(ENOSPC: no space left on device, write\); the next run may build it again$/m,
      );
      expect(r.stdout).toMatch(/^ok +built /m);
      expect(idOf(`${p.name}/ok:t`)).toMatch(/^sha256:/);
      expect(readdirSync(state)).toEqual(['filler']);

      rmSync(join(state, 'filler'));
      const again = await p.up(['ok', '--progress', 'plain']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^done in [\d.]+s: 1 up to date$/m);
    },
  );

  it('.mbuild/logs replaced by a file: a warning, the build stands, the file is left as it was', async () => {
    const { p, r } = await upWithLogsAsFile('logfile', 'ok');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('[ok] warning: cannot write the build log .mbuild/logs/ok.log: .mbuild/logs is not a folder; the build goes on without it\n');
    expect(idOf(`${p.name}/ok:t`)).toMatch(/^sha256:/);
    expect(readFileSync(join(p.dir, '.mbuild', 'logs'), 'utf8')).toBe("not mbuild's\n");
    expect(existsSync(join(p.dir, '.mbuild', 'state'))).toBe(true);
  });

  it('.mbuild/logs replaced by a file and the build fails: the failure report has the tail, and points at no log', async () => {
    const { p, r } = await upWithLogsAsFile('logfail', 'three');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      '[three] warning: cannot write the build log .mbuild/logs/three.log: .mbuild/logs is not a folder; the build goes on without it\n',
    );
    const err = r.stderr.split('\n');
    const head = err.findIndex((l) => l.startsWith("error: image 'three' failed at "));
    expect(head, r.stderr).toBeGreaterThan(-1);
    // The last log lines are still shown (they are kept in memory).
    expect(err.slice(head)).toContain('   | red');
    expect(r.stderr).not.toContain('full log:');
    expect(readFileSync(join(p.dir, '.mbuild', 'logs'), 'utf8')).toBe("not mbuild's\n");
  });
});
