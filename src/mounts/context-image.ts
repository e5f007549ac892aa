/**
 * The entries of a build context that is a folder inside an image (`context: {image, path}`):
 * read as a mount is (one never-started container, removed after), checked by the same gate
 * (check.ts), and filtered: only what the build reads (the ReadSet) and what the ignore
 * file keeps is sent; the folder's own `.dockerignore` is consumed, never sent. Also one
 * small file of such a folder (its Dockerfile, its .dockerignore), read on its own.
 */
import type { ExtraEntry } from '../context/tar.js';
import { checkEntries, type CheckedEntry } from './check.js';
import { labelText, TransferError, type TransferLabel } from './errors.js';
import { readImagePath, type ReadPathOptions } from './read.js';
import type { RawEntry } from './types.js';

export interface ContextImageRead extends ReadPathOptions {
  readonly label: TransferLabel;
  /** For messages: `img1 (sha256:0123456789ab)`. */
  readonly imageName: string;
}

/** Whether an entry of the folder (its path in the context) is sent (context/entries-pack.ts `entryFilter`). */
export type ContextFilter = (name: string, isDir: boolean) => boolean;

async function drain(content: AsyncIterable<Uint8Array> | undefined): Promise<void> {
  if (content === undefined) return;
  const it = content[Symbol.asyncIterator]();
  while ((await it.next()).done !== true);
}

/**
 * The checked entries of `path` in `ref`, after making sure it is a folder: the first entry
 * is awaited here, so a path that is missing or no folder fails before any byte is sent.
 */
export async function openContextFolder(ref: string, path: string, opts: ContextImageRead): Promise<AsyncGenerator<CheckedEntry>> {
  const raw = readImagePath(ref, path, opts);
  const checked = checkEntries(raw, { label: opts.label, imagePath: path });
  const first = await checked.next();
  if (first.done === true || first.value.type !== 'dir') {
    await drain(first.done === true ? undefined : first.value.content);
    await checked.return(undefined);
    throw new TransferError(`${labelText(opts.label)}: ${path} is not a folder in image ${opts.imageName}`);
  }
  return checked;
}

/** The folder's entries as context entries (the folder itself is the context root). */
export async function* contextEntries(folder: AsyncGenerator<CheckedEntry>, f: ContextFilter, source: string): AsyncGenerator<ExtraEntry> {
  const sent = new Set<string>();
  try {
    for await (const c of folder) {
      const linked = c.type === 'hardlink' && !sent.has(c.linkTarget ?? '');
      if (c.name === '' || !f(c.name, c.type === 'dir') || linked) {
        await drain(c.content);
        continue;
      }
      sent.add(c.name);
      const common = { path: c.name, mode: c.mode, source, exclusive: true, ...(c.mtime && { mtime: c.mtime }) };
      if (c.type === 'file') yield { ...common, type: 'file', content: { size: c.size, stream: c.content ?? (async function* () {})() } };
      else if (c.type === 'hardlink') yield { ...common, type: 'hardlink', linkTarget: c.linkTarget ?? '' };
      else if (c.type === 'symlink') yield { ...common, type: 'symlink', linkTarget: c.linkTarget ?? '' };
      else yield { ...common, type: 'dir', exclusive: false };
    }
  } finally {
    await folder.return(undefined);
  }
}

/** One regular file of an image, whole (a Dockerfile, an ignore file); undefined when it does not exist. */
export async function readImageFile(ref: string, path: string, opts: ContextImageRead, max = 1024 * 1024): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let entries: AsyncIterable<RawEntry>;
  try {
    entries = readImagePath(ref, path, opts);
    for await (const e of entries) {
      if (e.name !== '' || e.type !== 'file') {
        await drain(e.content);
        throw new TransferError(`${labelText(opts.label)}: ${path} is not a regular file in image ${opts.imageName}`);
      }
      if (e.size > max) throw new TransferError(`${labelText(opts.label)}: ${path} in image ${opts.imageName} is larger than ${max} bytes`);
      for await (const chunk of e.content ?? []) chunks.push(Buffer.from(chunk));
    }
  } catch (e) {
    if (e instanceof TransferError && / does not exist in image /.test(e.message)) return undefined;
    throw e;
  }
  return Buffer.concat(chunks);
}
