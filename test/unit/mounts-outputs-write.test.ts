/**
 * The host side of `outputs` (src/outputs/write.ts, behind src/mounts/check.ts): the tree
 * written with its modes, symlinks and hard links; the previous output replaced in one
 * rename (file or folder, either way round); a failed or cancelled copy leaving the previous
 * output and no temporary behind; nothing written through a symlink or outside `to`: the
 * folders on the way are made one at a time and refused when they are (or become, before
 * the temporary, between entries, right before the rename) a symlink; what appears at `to`
 * while the output is written is left as it is.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkEntries } from '../../src/mounts/check.js';
import type { RawEntry } from '../../src/mounts/types.js';
import { identify } from '../../src/outputs/identity.js';
import { writeOutput } from '../../src/outputs/write.js';

const base = mkdtempSync(join(tmpdir(), 'mbuild-outputs-'));
afterAll(() => {
  // Folders the tests made read-only must be writable to be removed.
  const open = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) {
        chmodSync(p, 0o755);
        open(p);
      }
    }
  };
  open(base);
  rmSync(base, { recursive: true, force: true });
});

const dir = (name: string, mode = 0o755): RawEntry => ({ name, type: 'dir', mode, size: 0, mtime: new Date(1_000_000_000_000) });
const file = (name: string, text: string, mode = 0o644): RawEntry => ({
  name,
  type: 'file',
  mode,
  size: Buffer.byteLength(text),
  mtime: new Date(1_500_000_000_000),
  content: (async function* () {
    yield Buffer.from(text);
  })(),
});
const symlink = (name: string, target: string): RawEntry => ({ name, type: 'symlink', mode: 0o777, size: 0, linkTarget: target });
const hardlink = (name: string, target: string): RawEntry => ({ name, type: 'hardlink', mode: 0o644, size: 0, linkTarget: target });

/** Approves whatever is at `to` right before the rename (what outputs/approve.ts decides is tested elsewhere). */
const anything = (to: string) => async () => identify(to, { tree: false });

async function write(entries: Iterable<RawEntry> | AsyncIterable<RawEntry>, to: string, signal = new AbortController().signal, beforeRename = anything(to)) {
  async function* src() {
    yield* entries;
  }
  return writeOutput(checkEntries(src(), { label: { what: 'output', source: '/out', to: 'out' }, imagePath: '/out' }), to, {
    signal,
    root: base,
    beforeRename,
  });
}

/** `path mode type [-> target]`, sorted, for a host tree. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (st.isSymbolicLink()) out.push(`${rel} ${mode} symlink -> ${readlinkSync(abs)}`);
    else if (st.isDirectory()) {
      out.push(`${rel}/ ${mode} dir`);
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), rel === '.' ? n : `${rel}/${n}`);
    } else out.push(`${rel} ${mode} file ${st.size} links=${st.nlink}`);
  };
  walk(root, '.');
  return out;
}

const siblings = (parent: string): string[] => readdirSync(parent).sort();

describe('writeOutput', () => {
  it('writes a folder with modes, mtimes, symlinks and hard links, then a single file', async () => {
    const parent = join(base, 'one');
    const to = join(parent, 'out');
    const summary = await write(
      [
        dir(''),
        dir('bin'),
        file('bin/tool', '#!/bin/sh\n', 0o4755),
        file('README', 'read me', 0o600),
        symlink('bin/t', 'tool'),
        hardlink('bin/tool2', 'bin/tool'),
        dir('ro', 0o555),
        file('ro/x', 'x', 0o444),
      ],
      to,
    );
    expect(summary).toEqual({ kind: 'dir', files: 3, bytes: 10 + 7 + 1 });
    expect(tree(to)).toEqual([
      './ 0755 dir',
      'README 0600 file 7 links=1',
      'bin/ 0755 dir',
      'bin/t 0777 symlink -> tool',
      'bin/tool 0755 file 10 links=2',
      'bin/tool2 0755 file 10 links=2',
      'ro/ 0555 dir',
      'ro/x 0444 file 1 links=1',
    ]);
    expect(statSync(join(to, 'bin/tool')).mtimeMs).toBe(1_500_000_000_000);
    expect(statSync(join(to, 'bin')).mtimeMs).toBe(1_000_000_000_000);
    expect(siblings(parent)).toEqual(['out']);

    const single = join(parent, 'tool');
    expect(await write([file('', 'bin!', 0o755)], single)).toEqual({
      kind: 'file',
      files: 1,
      bytes: 4,
      sha256: createHash('sha256').update('bin!').digest('hex'),
    });
    expect(tree(single)).toEqual(['. 0755 file 4 links=1']);
  });

  it('replaces the previous output whole: folder by folder, file by folder, folder by file', async () => {
    const parent = join(base, 'replace');
    mkdirSync(join(parent, 'out/stale'), { recursive: true });
    writeFileSync(join(parent, 'out/stale/old.txt'), 'old');
    await write([dir(''), file('new.txt', 'new')], join(parent, 'out'));
    expect(tree(join(parent, 'out'))).toEqual(['./ 0755 dir', 'new.txt 0644 file 3 links=1']);
    writeFileSync(join(parent, 'was-file'), 'f');
    await write([dir(''), file('a', 'a')], join(parent, 'was-file'));
    expect(readFileSync(join(parent, 'was-file/a'), 'utf8')).toBe('a');
    await write([file('', 'now a file')], join(parent, 'out'));
    expect(readFileSync(join(parent, 'out'), 'utf8')).toBe('now a file');
    expect(siblings(parent)).toEqual(['out', 'was-file']);
  });

  it('leaves the previous output and no temporary behind when the copy fails or is cancelled', async () => {
    const parent = join(base, 'fail');
    mkdirSync(join(parent, 'out'), { recursive: true });
    writeFileSync(join(parent, 'out/keep.txt'), 'previous');
    const before = tree(join(parent, 'out'));
    // A refused entry half-way (after a read-only folder was made).
    await expect(write([dir(''), dir('ro', 0o500), file('ro/a', 'a'), file('b', 'b'), symlink('evil', '../../etc')], join(parent, 'out'))).rejects.toThrow(
      'output /out -> out: refusing symlink /out/evil -> ../../etc: the target leaves the output',
    );
    expect(tree(join(parent, 'out'))).toEqual(before);
    expect(siblings(parent)).toEqual(['out']);
    // The content stream breaks.
    const broken: RawEntry = {
      name: 'big',
      type: 'file',
      mode: 0o644,
      size: 10,
      content: (async function* () {
        yield Buffer.from('12345');
        throw new Error('connection lost');
      })(),
    };
    await expect(write([dir(''), broken], join(parent, 'out'))).rejects.toThrow('connection lost');
    expect(tree(join(parent, 'out'))).toEqual(before);
    expect(siblings(parent)).toEqual(['out']);
    // Cancelled.
    const ac = new AbortController();
    const slow: RawEntry = {
      name: 'slow',
      type: 'file',
      mode: 0o644,
      size: 2,
      content: (async function* () {
        yield Buffer.from('1');
        ac.abort(new Error('interrupted'));
        yield Buffer.from('2');
      })(),
    };
    await expect(write([dir(''), slow, file('after', 'x')], join(parent, 'out'), ac.signal)).rejects.toThrow('interrupted');
    expect(tree(join(parent, 'out'))).toEqual(before);
    expect(siblings(parent)).toEqual(['out']);
  });

  it('replaces a symlink at `to` itself and never writes through it', async () => {
    const parent = join(base, 'link');
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, 'precious'), 'p');
    mkdirSync(parent, { recursive: true });
    symlinkSync(elsewhere, join(parent, 'out'));
    await write([dir(''), file('precious', 'overwritten?')], join(parent, 'out'));
    expect(readFileSync(join(elsewhere, 'precious'), 'utf8')).toBe('p');
    expect(lstatSync(join(parent, 'out')).isDirectory()).toBe(true);
    expect(readFileSync(join(parent, 'out/precious'), 'utf8')).toBe('overwritten?');
  });

  it('makes missing folders one at a time, names its temporary after its process, and refuses a symlink or a file on the way', async () => {
    const to = join(base, 'mk/a/b/out');
    let seen: string[] = [];
    await write(
      (function* () {
        yield dir('');
        seen = readdirSync(join(base, 'mk/a/b'));
        yield file('f', 'f');
      })(),
      to,
    );
    expect(seen).toEqual([expect.stringMatching(new RegExp(`^out\\.mbuild-tmp-${process.pid}-[0-9a-f]{12}$`))]);
    expect(tree(to)).toEqual(['./ 0755 dir', 'f 0644 file 1 links=1']);

    const elsewhere = mkdtempSync(join(base, 'elsewhere-'));
    mkdirSync(join(base, 'sl'));
    symlinkSync(elsewhere, join(base, 'sl/link'));
    await expect(write([file('', 'x')], join(base, 'sl/link/deeper/out'))).rejects.toThrow('sl/link is a symlink; outputs are never written through one');
    writeFileSync(join(base, 'afile'), 'a');
    await expect(write([file('', 'x')], join(base, 'afile/out'))).rejects.toThrow('afile is not a folder');
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  describe('a folder on the way swapped for a symlink while the output is written', () => {
    /** `<base>/<name>/a/` with the output at `a/out`, and a function swapping `a` for a symlink to an empty folder elsewhere. */
    function swappable(name: string) {
      const parent = join(base, name);
      mkdirSync(join(parent, 'a'), { recursive: true });
      const elsewhere = mkdtempSync(join(base, `${name}-elsewhere-`));
      const swap = () => {
        renameSync(join(parent, 'a'), join(parent, 'a-moved'));
        symlinkSync(elsewhere, join(parent, 'a'));
      };
      return { to: join(parent, 'a/out'), elsewhere, swap };
    }

    it('before the temporary is made', async () => {
      const s = swappable('swap-before');
      await expect(
        write(
          (function* () {
            s.swap();
            yield file('', 'x');
          })(),
          s.to,
        ),
      ).rejects.toThrow('swap-before/a became a symlink while the output was written; nothing was written there');
      expect(readdirSync(s.elsewhere)).toEqual([]);
    });

    it('between two entries', async () => {
      const s = swappable('swap-between');
      await expect(
        write(
          (function* () {
            yield dir('');
            s.swap();
            yield file('f', 'x');
          })(),
          s.to,
        ),
      ).rejects.toThrow('swap-between/a became a symlink while the output was written; nothing was written there');
      expect(readdirSync(s.elsewhere)).toEqual([]);
    });

    it('right before the rename', async () => {
      const s = swappable('swap-rename');
      await expect(
        write([dir(''), file('f', 'x')], s.to, undefined, async () => {
          s.swap();
          return undefined;
        }),
      ).rejects.toThrow('swap-rename/a became a symlink while the output was written; nothing was written there');
      expect(readdirSync(s.elsewhere)).toEqual([]);
    });
  });

  it('leaves what appeared at `to` while the output was written, file or folder', async () => {
    const parent = join(base, 'appeared');
    mkdirSync(parent);
    const to = join(parent, 'out');
    await expect(
      write([file('', 'new')], to, undefined, async () => {
        writeFileSync(to, 'theirs');
        return undefined;
      }),
    ).rejects.toThrow('something else was put at out while the output was written; it was left as it is');
    expect(readFileSync(to, 'utf8')).toBe('theirs');
    expect(siblings(parent)).toEqual(['out']);

    // Approved: the folder that was there; replaced meanwhile by another folder.
    rmSync(to);
    mkdirSync(to);
    await expect(
      write([dir(''), file('f', 'new')], to, undefined, async () => {
        const approved = await identify(to, { tree: false });
        renameSync(to, join(parent, 'gone'));
        mkdirSync(to);
        writeFileSync(join(to, 'precious'), 'p');
        return approved;
      }),
    ).rejects.toThrow('something else was put at out while the output was written; it was left as it is');
    expect(readFileSync(join(to, 'precious'), 'utf8')).toBe('p');
    expect(siblings(parent)).toEqual(['gone', 'out']);
    expect(existsSync(join(parent, 'gone'))).toBe(true);
  });
});
