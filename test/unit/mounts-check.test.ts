/**
 * The entry gate of mounts and outputs (src/mounts/check.ts) on hand-made entries, including
 * the ones no real image can produce (names with `..`, absolute names, hard links out of the
 * mount): each refusal with its exact text, and what passes, unchanged or cleaned.
 */
import { describe, expect, it } from 'vitest';
import { checkEntries, resolveLexically, staysInside, type CheckedEntry } from '../../src/mounts/check.js';
import { drain } from '../../src/mounts/diff-tar.js';
import { TransferError, type TransferLabel } from '../../src/mounts/errors.js';
import type { RawEntry } from '../../src/mounts/types.js';

const MOUNT: TransferLabel = { what: 'mount', source: 'web:/app/dist', to: 'static' };
const OUTPUT: TransferLabel = { what: 'output', source: '/out', to: 'dist/out' };

const dir = (name: string, mode = 0o755): RawEntry => ({ name, type: 'dir', mode, size: 0 });
const file = (name: string, text = 'x', mode = 0o644): RawEntry => ({
  name,
  type: 'file',
  mode,
  size: Buffer.byteLength(text),
  content: (async function* () {
    yield Buffer.from(text);
  })(),
});
const symlink = (name: string, target: string): RawEntry => ({ name, type: 'symlink', mode: 0o777, size: 0, linkTarget: target });
const hardlink = (name: string, target: string): RawEntry => ({ name, type: 'hardlink', mode: 0o644, size: 0, linkTarget: target });
const other = (name: string, kind: string): RawEntry => ({ name, type: 'other', mode: 0o644, size: 0, kind });

async function run(entries: RawEntry[], label = MOUNT): Promise<CheckedEntry[]> {
  const out: CheckedEntry[] = [];
  async function* src() {
    yield* entries;
  }
  for await (const e of checkEntries(src(), { label, imagePath: label === MOUNT ? '/app/dist' : '/out' })) {
    if (e.content) await drain(e.content);
    out.push(e);
  }
  return out;
}
const shape = (es: CheckedEntry[]) => es.map((e) => `${e.type} ${e.name === '' ? '.' : e.name}${e.linkTarget !== undefined ? ` -> ${e.linkTarget}` : ''}`);

describe('checkEntries: what passes', () => {
  it('keeps folders, files, relative symlinks inside and hard links to files sent before', async () => {
    const out = await run([
      dir(''),
      dir('js'),
      file('js/app.js'),
      symlink('js/current', 'app.js'),
      symlink('up', 'js/../js/app.js'),
      symlink('self', '.'),
      hardlink('js/copy.js', 'js/app.js'),
      hardlink('again.js', 'js/copy.js'),
    ]);
    expect(shape(out)).toEqual([
      'dir .',
      'dir js',
      'file js/app.js',
      'symlink js/current -> app.js',
      'symlink up -> js/../js/app.js',
      'symlink self -> .',
      'hardlink js/copy.js -> js/app.js',
      'hardlink again.js -> js/app.js',
    ]);
  });

  it('cleans `./` and empty segments, makes up missing folders, merges a repeated folder', async () => {
    const out = await run([dir(''), file('./a//b/c.txt'), dir('a'), dir('a/b')]);
    expect(shape(out)).toEqual(['dir .', 'dir a', 'dir a/b', 'file a/b/c.txt']);
    expect(out[1]).toMatchObject({ mode: 0o755 });
  });

  it('accepts a single file as the whole transfer, and a stream without its root folder', async () => {
    expect(shape(await run([file('', 'tool', 0o755)]))).toEqual(['file .']);
    expect(shape(await run([file('x')]))).toEqual(['dir .', 'file x']);
  });
});

describe('checkEntries: refusals', () => {
  const cases: [string, RawEntry[], string][] = [
    ['an absolute name', [dir(''), file('/etc/passwd')], 'mount web:/app/dist -> static: refusing entry "/etc/passwd": absolute names are not allowed'],
    ['a name with ..', [dir(''), file('a/../../evil')], `mount web:/app/dist -> static: refusing entry "a/../../evil": it leaves the mount through '..'`],
    [
      'even a `..` that would stay inside',
      [dir(''), file('a/../b')],
      `mount web:/app/dist -> static: refusing entry "a/../b": it leaves the mount through '..'`,
    ],
    ['a NUL byte', [dir(''), file('a\0b')], 'mount web:/app/dist -> static: refusing an entry whose name contains a NUL byte'],
    [
      'an absolute symlink',
      [dir(''), symlink('passwd', '/etc/passwd')],
      'mount web:/app/dist -> static: refusing symlink /app/dist/passwd -> /etc/passwd: absolute symlink targets are not allowed (only relative targets inside the mount)',
    ],
    [
      'a symlink out of the mount',
      [dir(''), dir('js'), symlink('js/up', '../../../etc/passwd')],
      'mount web:/app/dist -> static: refusing symlink /app/dist/js/up -> ../../../etc/passwd: the target leaves the mount',
    ],
    [
      "a symlink to the mount's parent",
      [dir(''), symlink('parent', '..')],
      'mount web:/app/dist -> static: refusing symlink /app/dist/parent -> ..: the target leaves the mount',
    ],
    [
      'a symlink that escapes through another symlink',
      [dir(''), symlink('b', '.'), symlink('a', 'b/..')],
      'mount web:/app/dist -> static: refusing symlink /app/dist/a -> b/..: through other symlinks, the target leaves the mount',
    ],
    [
      'an empty symlink target',
      [dir(''), symlink('e', '')],
      'mount web:/app/dist -> static: refusing symlink /app/dist/e: its target is empty or not a valid path',
    ],
    [
      'a hard link out of the mount',
      [dir(''), hardlink('h', '../etc/passwd')],
      'mount web:/app/dist -> static: refusing hard link /app/dist/h -> /app/etc/passwd: it points outside the mount',
    ],
    [
      'a hard link to an absolute path',
      [dir(''), hardlink('h', '/etc/passwd')],
      'mount web:/app/dist -> static: refusing hard link /app/dist/h -> "/etc/passwd": it points outside the mount',
    ],
    [
      'a hard link to a file sent later',
      [dir(''), hardlink('h', 'later'), file('later')],
      'mount web:/app/dist -> static: refusing hard link /app/dist/h -> /app/dist/later: hard links may only point to a file of the same mount sent before them',
    ],
    [
      'a hard link to a folder',
      [dir(''), dir('d'), hardlink('h', 'd')],
      'mount web:/app/dist -> static: refusing hard link /app/dist/h -> /app/dist/d: hard links may only point to a file of the same mount sent before them',
    ],
    [
      'a fifo',
      [dir(''), other('pipe', 'fifo')],
      'mount web:/app/dist -> static: refusing fifo /app/dist/pipe: only files, folders and symlinks can be mounted',
    ],
    [
      'a character device',
      [dir(''), other('null', 'character device')],
      'mount web:/app/dist -> static: refusing character device /app/dist/null: only files, folders and symlinks can be mounted',
    ],
    [
      'a block device',
      [dir(''), other('sda', 'block device')],
      'mount web:/app/dist -> static: refusing block device /app/dist/sda: only files, folders and symlinks can be mounted',
    ],
    [
      'an entry below a symlink',
      [dir(''), symlink('l', 'sub'), dir('sub'), file('l/x')],
      'mount web:/app/dist -> static: refusing entry /app/dist/l/x: it is below symlink /app/dist/l',
    ],
    ['an entry below a file', [dir(''), file('f'), file('f/x')], 'mount web:/app/dist -> static: refusing entry /app/dist/f/x: it is below file /app/dist/f'],
    ['a file twice', [dir(''), file('a'), file('a')], 'mount web:/app/dist -> static: entry /app/dist/a appears twice'],
    ['an entry after a single file', [file(''), file('x')], 'mount web:/app/dist -> static: refusing entry /app/dist/x: /app/dist is not a folder'],
    [
      'a symlink as the mount itself',
      [symlink('', 'elsewhere')],
      'mount web:/app/dist -> static: refusing symlink /app/dist -> elsewhere: the mount itself cannot be a symlink',
    ],
  ];
  for (const [what, entries, message] of cases) {
    it(`refuses ${what}`, async () => {
      const p = run(entries);
      await expect(p).rejects.toBeInstanceOf(TransferError);
      await expect(p).rejects.toThrow(message);
      expect(((await p.catch((e: unknown) => e)) as Error).message).toBe(message);
    });
  }

  it('words refusals for outputs as outputs', async () => {
    await expect(run([dir(''), other('pipe', 'fifo')], OUTPUT)).rejects.toThrow(
      'output /out -> dist/out: refusing fifo /out/pipe: only files, folders and symlinks can be copied out',
    );
    await expect(run([dir(''), symlink('l', '/etc')], OUTPUT)).rejects.toThrow(
      'output /out -> dist/out: refusing symlink /out/l -> /etc: absolute symlink targets are not allowed (only relative targets inside the output)',
    );
  });

  it('stops at the first refusal: nothing after it is produced', async () => {
    const seen: string[] = [];
    const entries = [dir(''), file('ok'), other('pipe', 'fifo'), file('never')];
    async function* src() {
      yield* entries;
    }
    await expect(
      (async () => {
        for await (const e of checkEntries(src(), { label: MOUNT, imagePath: '/app/dist' })) {
          if (e.content) await drain(e.content);
          seen.push(e.name);
        }
      })(),
    ).rejects.toThrow('refusing fifo');
    expect(seen).toEqual(['', 'ok']);
  });
});

describe('symlink resolution', () => {
  it('resolveLexically stays inside or says null', () => {
    expect(resolveLexically(['a'], '../b')).toEqual(['b']);
    expect(resolveLexically([], '..')).toBeNull();
    expect(resolveLexically(['a', 'b'], './../../c/./d')).toEqual(['c', 'd']);
  });

  it('staysInside follows other symlinks of the transfer, and treats loops as staying inside', () => {
    const links = new Map([
      ['b', '.'],
      ['deep', 'x/y'],
      ['loop', 'loop'],
    ]);
    expect(staysInside([], 'b/..', links)).toBe(false);
    expect(staysInside([], 'deep/..', links)).toBe(true);
    expect(staysInside([], 'deep/../../..', links)).toBe(false);
    expect(staysInside([], 'loop/x', links)).toBe(true);
    expect(staysInside(['sub'], '../b/x', links)).toBe(true);
  });
});
