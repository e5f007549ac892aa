/**
 * The build log (src/execute/build-log.ts) on a real file system: lines and numbered step
 * headers, the tail, and every way the file can fail to be written, each reported once and
 * none thrown: a full disk (a 64 KiB tmpfs, when this process may mount one), the logs folder
 * replaced by a file, the log replaced by a symbolic link, a folder, a hard link or a FIFO.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildLog, LOG_TAIL_LINES } from '../../src/execute/build-log.js';
import { canMount } from '../helpers/tmpfs.js';

const dirs: string[] = [];
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'mbt-buildlog-'));
  dirs.push(root);
  return { root, dir: join(root, '.mbuild', 'logs') };
}

function open(p: { root: string; dir: string }, image = 'api'): { log: BuildLog; errors: string[] } {
  const errors: string[] = [];
  return { log: BuildLog.open({ ...p, image, onError: (m) => errors.push(m) }), errors };
}

describe('BuildLog', () => {
  it('writes every line and numbers step headers like the daemon; keeps the last lines as the tail', async () => {
    const p = project();
    const { log, errors } = open(p);
    log.step('[internal] load build definition');
    log.step('[1/2] FROM busybox');
    for (let i = 1; i <= 40; i++) log.line(`  out ${i}`);
    log.note('# a note');
    await log.close();
    expect(errors).toEqual([]);
    const text = readFileSync(join(p.dir, 'api.log'), 'utf8');
    expect(text.split('\n').slice(0, 3)).toEqual(['#1 [internal] load build definition', '#2 [1/2] FROM busybox', '  out 1']);
    expect(text.endsWith('  out 40\n# a note\n')).toBe(true);
    expect(log.tail).toHaveLength(LOG_TAIL_LINES);
    expect(log.tail.at(-1)).toBe('  out 40');
  });

  it.runIf(canMount())('a full disk: reported once, the partial log removed, the tail kept', async () => {
    const p = project();
    mkdirSync(p.dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', p.dir]);
    mounts.push(p.dir);
    const { log, errors } = open(p);
    for (let i = 0; i < 5000; i++) log.line(`line ${i} of a build that prints more than the disk holds`);
    await log.close();
    expect(errors).toEqual(['cannot write the build log .mbuild/logs/api.log: no space left on device; the build goes on without it']);
    expect(readdirSync(p.dir)).toEqual([]);
    expect(log.tail.at(-1)).toBe('line 4999 of a build that prints more than the disk holds');
  });

  it('the logs folder replaced by a file: reported, the file left alone', async () => {
    const p = project();
    mkdirSync(join(p.root, '.mbuild'));
    writeFileSync(p.dir, 'mine');
    const { log, errors } = open(p);
    log.line('x');
    await log.close();
    expect(errors).toEqual(['cannot write the build log .mbuild/logs/api.log: .mbuild/logs is not a folder; the build goes on without it']);
    expect(readFileSync(p.dir, 'utf8')).toBe('mine');
  });

  it('a symbolic link, a folder, a hard link or a FIFO in place of the log: nothing written through it', async () => {
    const p = project();
    mkdirSync(p.dir, { recursive: true });
    const outside = join(p.root, 'outside.txt');
    writeFileSync(outside, 'keep');
    symlinkSync(outside, join(p.dir, 'sym.log'));
    mkdirSync(join(p.dir, 'dir.log'));
    linkSync(outside, join(p.dir, 'hard.log'));
    // A FIFO with no reader: opening it must not wait for one.
    execFileSync('mkfifo', [join(p.dir, 'fifo.log')]);
    const reasons: string[] = [];
    for (const image of ['sym', 'dir', 'hard', 'fifo']) {
      const { log, errors } = open(p, image);
      log.line('x');
      await log.close();
      expect(errors).toHaveLength(1);
      reasons.push(errors[0]!.replace(/^cannot write the build log \.mbuild\/logs\/\w+\.log: (.*); the build goes on without it$/, '$1'));
    }
    expect(reasons).toEqual([
      'it is a symbolic link, and mbuild writes through none',
      'it is a folder',
      'it is a hard link to another file',
      'it is not a regular file',
    ]);
    expect(readFileSync(outside, 'utf8')).toBe('keep');
    expect(existsSync(join(p.dir, 'sym.log'))).toBe(true);
  });

  it.runIf(canMount())('says whether the log is lost, once it is closed: a write that fails late (a full disk) too', async () => {
    const p = project();
    const kept = open(p, 'kept');
    kept.log.line('x');
    await kept.log.close();
    expect(kept.log.lost).toBe(false);
    const full = join(p.root, 'full');
    mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    mounts.push(full);
    const { log } = open({ root: p.root, dir: full });
    for (let i = 0; i < 5000; i++) log.line(`line ${i} of a build that prints more than the disk holds`);
    await log.close();
    expect(log.lost).toBe(true);
  });
});
