/**
 * What an image holds under a folder, read through the Engine archive API (a created,
 * never started container; no mbuild code involved): one line per entry, sorted, with its
 * path, type, permission bits, owner and, for a file, the SHA-256 of its content (after
 * `normalize`), for a link, its target. Modification times are left out on purpose: they
 * travel in the build context but are not inputs of mbuild's cache key.
 */
import { createHash } from 'node:crypto';
import Docker from 'dockerode';
import { extract, type Header } from 'tar-stream';
import type { Readable } from 'node:stream';

export interface TreeReader {
  /** The listing of `path` in `image`, memoised by image ID and path. */
  listing(image: string, path: string): Promise<readonly string[]>;
  /** A short digest of a listing. */
  readonly reads: number;
}

export const digestOf = (listing: readonly string[]): string => createHash('sha256').update(listing.join('\n')).digest('hex').slice(0, 16);

const TYPES: Partial<Record<NonNullable<Header['type']>, string>> = { file: 'file', directory: 'dir', symlink: 'link', link: 'hardlink' };

async function readTar(stream: Readable, normalize: (content: Buffer) => Buffer): Promise<string[]> {
  const lines: string[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
  });
  ex.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    body.on('end', () => {
      const type = TYPES[h.type] ?? `other:${h.type}`;
      const name = h.name.replace(/\/+$/, '');
      const what =
        type === 'file'
          ? createHash('sha256')
              .update(normalize(Buffer.concat(chunks)))
              .digest('hex')
              .slice(0, 16)
          : type === 'link' || type === 'hardlink'
            ? `-> ${h.linkname}`
            : '';
      lines.push(`${name} ${type} ${(h.mode & 0o7777).toString(8)} ${h.uid}:${h.gid} ${what}`.trimEnd());
      next();
    });
    body.resume();
  });
  stream.pipe(ex);
  await done;
  return lines.sort();
}

/**
 * `normalize(image)` maps an image to a content filter (e.g. replacing its project's
 * name by a placeholder, so that copies of one project under two names compare equal).
 * `docker`: the engine to read from (default: the one DOCKER_HOST or the default socket names).
 */
export function treeReader(normalize: (image: string) => (content: Buffer) => Buffer = () => (c) => c, docker: Docker = new Docker()): TreeReader {
  const memo = new Map<string, Promise<readonly string[]>>();
  let reads = 0;
  const read = async (image: string, path: string): Promise<readonly string[]> => {
    reads++;
    const container = await docker.createContainer({ Image: image, Cmd: ['/nonexistent'], NetworkDisabled: true, Labels: { 'mbt.tree-digest': '1' } });
    try {
      const stream = (await container.getArchive({ path })) as unknown as Readable;
      return await readTar(stream, normalize(image));
    } finally {
      await container.remove({ force: true });
    }
  };
  return {
    listing(image, path) {
      const k = `${image} ${path}`;
      let p = memo.get(k);
      if (p === undefined) {
        p = read(image, path);
        memo.set(k, p);
        p.catch(() => memo.delete(k));
      }
      return p;
    },
    get reads() {
      return reads;
    },
  };
}
