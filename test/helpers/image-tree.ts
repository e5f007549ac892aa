/**
 * Every entry of an image's file system, read through the Engine archive API of a created,
 * never started container (no mbuild code involved): path, type, permission bits, owner,
 * modification time and, for a file, the SHA-256 of its content, for a link, its target.
 * Unlike tree-digest.ts it keeps mtimes and reads the whole tree, for comparing two images
 * entry by entry. What the engine adds to any container (the init layer: /.dockerenv,
 * /etc/hosts, /dev, /proc, ...) is left out: it is no part of the image.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { extract, type Header } from 'tar-stream';

export interface TreeEntry {
  /** Relative to the root, no leading or trailing slash; '' is the root. */
  readonly path: string;
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  /** A file's content hash (16 hex digits), a link's target, else ''. */
  readonly what: string;
}

const TYPES: Partial<Record<NonNullable<Header['type']>, string>> = { file: 'file', directory: 'dir', symlink: 'link', link: 'hardlink' };

/** Entries of the container init layer, not of the image. */
const INIT_LAYER = /^(\.dockerenv|dev(\/.*)?|proc|sys|etc\/(hostname|hosts|resolv\.conf|mtab))$/;

const hash16 = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 16);

async function readTar(stream: Readable): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
  });
  ex.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      const type = TYPES[h.type] ?? `other:${h.type}`;
      const path = h.name.replace(/^\/+|\/+$/g, '');
      const what = type === 'file' ? hash16(Buffer.concat(chunks)) : type === 'link' || type === 'hardlink' ? `-> ${h.linkname}` : '';
      const mtime = Math.floor(h.mtime.getTime() / 1000);
      if (!INIT_LAYER.test(path)) entries.push({ path, type, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime, what });
      next();
    });
    body.resume();
  });
  stream.pipe(ex);
  await done;
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The whole file tree of `image`, sorted by path. */
export async function imageTree(image: string, docker = new Docker()): Promise<TreeEntry[]> {
  const container = await docker.createContainer({ Image: image, Cmd: ['/nonexistent'], NetworkDisabled: true, Labels: { 'mbt.image-tree': '1' } });
  try {
    const stream = (await container.getArchive({ path: '/' })) as unknown as Readable;
    return await readTar(stream);
  } finally {
    await container.remove({ force: true });
  }
}
