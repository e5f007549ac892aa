/**
 * What mbuild knows about the outputs it wrote (src/outputs/): the identity that recognises
 * its own output later, the decision whether an output may replace what is at its `to`,
 * the outputs of an up-to-date image that are written again (and why), the stale
 * temporaries of killed runs that are removed, and the locks that keep two runs from
 * writing one output at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ImageSpec, OutputSpec } from '../../src/config/types.js';
import { approve } from '../../src/outputs/approve.js';
import { outputsDue } from '../../src/outputs/due.js';
import { fileSha256, identify, isWritten, type OutputIdentity } from '../../src/outputs/identity.js';
import { removeStaleSiblings } from '../../src/outputs/siblings.js';
import { lockOutputs } from '../../src/outputs/lock.js';
import { outputsStateDir } from '../../src/core/layout.js';
import { outputStatePath, writeRecord, type NewRecord } from '../../src/outputs/state.js';

const base = mkdtempSync(join(tmpdir(), 'mbuild-outputs-state-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
/** A fresh project root. */
const root = (): string => {
  const dir = join(base, `p${n++}`);
  mkdirSync(dir);
  return dir;
};
const output = (r: string, to: string, replace = false): OutputSpec => ({ path: '/out', to: join(r, to), replace, origin: [] });
const written = async (path: string): Promise<OutputIdentity> => {
  const id = (await identify(path))!;
  return id.kind === 'file' ? { ...id, sha256: await fileSha256(path) } : id;
};
const record = (to: string, rest: Partial<NewRecord>): NewRecord => ({ to, image: 'gen', path: '/out', imageId: 'sha256:1', status: 'done', ...rest });

describe('the identity of an output', () => {
  it('recognises a file mbuild wrote, and one with exactly its bytes; not one that was edited', async () => {
    const r = root();
    const f = join(r, 'f');
    writeFileSync(f, 'v1');
    const w = await written(f);
    expect(await isWritten(f, (await identify(f))!, w)).toBe(true);
    utimesSync(f, new Date(0), new Date(0));
    expect(await isWritten(f, (await identify(f))!, w), 'touched: the same bytes').toBe(true);
    rmSync(f);
    writeFileSync(f, 'v1');
    expect(await isWritten(f, (await identify(f))!, w), 'saved again unchanged').toBe(true);
    writeFileSync(f, 'v2');
    expect(await isWritten(f, (await identify(f))!, w)).toBe(false);
  });

  it('tells a folder from the same folder with a file added, changed or removed anywhere below it', async () => {
    const r = root();
    const d = join(r, 'd');
    mkdirSync(join(d, 'a/b'), { recursive: true });
    writeFileSync(join(d, 'a/b/f'), 'f');
    const w = await written(d);
    expect(await isWritten(d, (await identify(d))!, w)).toBe(true);
    const changes: [string, () => void][] = [
      ['changed', () => writeFileSync(join(d, 'a/b/f'), 'g')],
      ['added', () => writeFileSync(join(d, 'a/b/new'), 'n')],
      ['removed', () => rmSync(join(d, 'a/b/f'))],
    ];
    for (const [what, change] of changes) {
      const before = await written(d);
      change();
      expect(await isWritten(d, (await identify(d))!, before), what).toBe(false);
    }
  });
});

describe('approve', () => {
  it("allows nothing at `to`, mbuild's own output, and with replace: true anything; refuses the rest", async () => {
    const r = root();
    expect(await approve(r, output(r, 'dist/x'), 'dist/x')).toEqual({ ok: true, value: { ours: true } });
    mkdirSync(join(r, 'dist'));
    writeFileSync(join(r, 'dist/x'), 'mine');
    expect(await approve(r, output(r, 'dist/x'), 'dist/x')).toEqual({
      ok: false,
      error: "dist/x is a file that mbuild did not write (or that changed since); move it away, or set 'replace: true' on the output to replace it",
    });
    expect(await approve(r, output(r, 'dist/x', true), 'dist/x')).toMatchObject({ ok: true, value: { ours: false } });
    await writeRecord(r, record('dist/x', { written: await written(join(r, 'dist/x')) }));
    expect(await approve(r, output(r, 'dist/x'), 'dist/x')).toMatchObject({ ok: true, value: { ours: true } });
  });

  it('while a write is pending: allows the previous output, and the temporary once it was renamed in', async () => {
    const r = root();
    writeFileSync(join(r, 'x'), 'old');
    const previous = (await identify(join(r, 'x')))!;
    writeFileSync(join(r, 'x.tmp'), 'new');
    const next = (await identify(join(r, 'x.tmp')))!;
    await writeRecord(r, record('x', { status: 'pending', previous, next }));
    expect(await approve(r, output(r, 'x'), 'x')).toMatchObject({ ok: true, value: { ours: true } });
    rmSync(join(r, 'x'));
    spawnSync('mv', [join(r, 'x.tmp'), join(r, 'x')]);
    expect(await approve(r, output(r, 'x'), 'x')).toMatchObject({ ok: true, value: { ours: true } });
    await writeRecord(r, record('x', { status: 'pending', previous }));
    expect(await approve(r, output(r, 'x'), 'x')).toMatchObject({ ok: false });
  });

  it('refuses a symlink on the way', async () => {
    const r = root();
    mkdirSync(join(r, 'real'));
    symlinkSync('real', join(r, 'ln'));
    expect(await approve(r, output(r, 'ln/x', true), 'ln/x')).toEqual({ ok: false, error: 'ln is a symlink; outputs are never written through one' });
  });
});

describe('outputsDue: the outputs of an up-to-date image written again', () => {
  it('says why: not completed, refused, missing, from another image or path; nothing for its own output', async () => {
    const r = root();
    const outputs = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((to) => output(r, to));
    for (const to of ['a', 'b', 'd', 'e', 'f', 'g']) writeFileSync(join(r, to), to);
    await writeRecord(r, record('a', { status: 'pending' }));
    await writeRecord(r, record('b', { status: 'pending', refused: 'b is a file that mbuild did not write' }));
    await writeRecord(r, record('c', {}));
    await writeRecord(r, record('d', { imageId: 'sha256:0' }));
    await writeRecord(r, record('e', { path: '/old' }));
    await writeRecord(r, record('f', {}));
    const image = { name: 'gen', outputs } as unknown as ImageSpec;
    expect(outputsDue(r, image, 'sha256:1').map((d) => `${d.to}: ${d.reason}`)).toEqual([
      'a: the last write did not complete',
      'b: it was not written: b is a file that mbuild did not write',
      'c: it is missing',
      'd: it was copied from another image',
      'e: it was copied from /old',
    ]);
  });
});

describe('stale temporaries', () => {
  it('removes those of processes that no longer run and of older versions; never a live one or anything else', async () => {
    const r = root();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const live = process.ppid;
    const names = [
      `x.mbuild-tmp-${dead}-0123456789ab`,
      `x.mbuild-old-${dead}-0123456789ab`,
      'x.mbuild-tmp-0123456789ab',
      `x.mbuild-tmp-${live}-0123456789ab`,
      `x.mbuild-tmp-${process.pid}-0123456789ab`,
      `y.mbuild-tmp-${dead}-0123456789ab`,
      `x.mbuild-tmp-${dead}-notarandomtail`,
      'x',
      'x.mbuild-tmp-',
    ];
    for (const name of names) mkdirSync(join(r, name, 'ro'), { recursive: true });
    spawnSync('chmod', ['-R', '0555', join(r, `x.mbuild-tmp-${dead}-0123456789ab`)]);
    expect((await removeStaleSiblings(join(r, 'x'))).sort()).toEqual(names.slice(0, 3).sort());
    expect(readdirSync(r).sort()).toEqual(names.slice(3).sort());
  });
});

describe('output locks', () => {
  const lockFile = (r: string, to: string): string => outputStatePath(r, to, 'lock');
  const opts = (onWait: (m: string) => void = () => undefined, signal = new AbortController().signal) => ({ signal, onWait });

  it('are taken in one order and released; a lock of a process that is gone is taken over', async () => {
    const r = root();
    mkdirSync(outputsStateDir(r), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(lockFile(r, 'b'), `${dead} ${hostname()}\n`);
    const got = await lockOutputs(r, ['b', 'a'], opts());
    if (!got.ok) throw new Error(got.error);
    expect(readFileSync(lockFile(r, 'a'), 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    expect(readFileSync(lockFile(r, 'b'), 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    await got.value();
    expect(readdirSync(outputsStateDir(r))).toEqual([]);
  });

  it('wait for a live holder of this host, and give up on Ctrl-C', async () => {
    const r = root();
    mkdirSync(outputsStateDir(r), { recursive: true });
    writeFileSync(lockFile(r, 'x'), `${process.ppid} ${hostname()}\n`);
    const waits: string[] = [];
    const got = lockOutputs(
      r,
      ['x'],
      opts((m) => {
        waits.push(m);
        rmSync(lockFile(r, 'x'));
      }),
    );
    const held = await got;
    expect(held.ok).toBe(true);
    expect(waits).toEqual([`waiting for mbuild ${process.ppid}, which is writing output x`]);
    if (held.ok) await held.value();

    writeFileSync(lockFile(r, 'x'), `${process.ppid} ${hostname()}\n`);
    const ac = new AbortController();
    expect(
      await lockOutputs(
        r,
        ['x'],
        opts(() => ac.abort(), ac.signal),
      ),
    ).toEqual({ ok: false, error: `cancelled while waiting for mbuild ${process.ppid}, which is writing output x` });
  });

  it('are never taken from another host', async () => {
    const r = root();
    mkdirSync(outputsStateDir(r), { recursive: true });
    writeFileSync(lockFile(r, 'x'), '1 elsewhere\n');
    const name = lockFile(r, 'x').slice(r.length + 1);
    expect(await lockOutputs(r, ['a', 'x'], opts())).toEqual({
      ok: false,
      error: `x is being written by mbuild 1 on host elsewhere; if no mbuild runs there, remove ${name}`,
    });
    expect(readdirSync(outputsStateDir(r))).toEqual([name.split('/').pop()]);
  });
});
