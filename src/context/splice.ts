/**
 * Extension point for packContext's `extra` entries: place entries under a prefix, and turn
 * another tar stream (e.g. files copied out of an image) into ExtraEntries without buffering it.
 */
import { createRequire } from 'node:module';
import type tarStream from 'tar-stream';
import type { Header } from 'tar-stream';
import { normalizeRel } from '../dockerignore/ignore.js';
import type { ExtraEntry } from './tar.js';

/** Re-roots entries under `prefix` (e.g. `.mbuild/mounts/base`), first yielding its directories. */
export async function* withPrefix(
  prefix: string,
  entries: AsyncIterable<ExtraEntry> | Iterable<ExtraEntry>,
  opts: { readonly dirs?: boolean } = {},
): AsyncGenerator<ExtraEntry> {
  const root = normalizeRel(prefix);
  if (root === '.' || root.startsWith('../') || root === '..') throw new Error(`invalid prefix ${JSON.stringify(prefix)}`);
  if (opts.dirs ?? true) {
    const parts = root.split('/');
    for (let i = 1; i <= parts.length; i++) yield { path: parts.slice(0, i).join('/'), type: 'dir' };
  }
  for await (const e of entries) {
    const rel = normalizeRel(e.path);
    if (rel === '.' || rel === '..' || rel.startsWith('../')) throw new Error(`invalid entry path ${JSON.stringify(e.path)}`);
    yield { ...e, path: `${root}/${rel}` };
  }
}

/**
 * tar-stream's header as it is at run time: its declaration says `type` and `linkname` are
 * always set, but an unknown type flag decodes to null, and so does an empty link name.
 */
export type TarStreamHeader = Omit<Header, 'type' | 'linkname'> & { readonly type: Header['type'] | null; readonly linkname: string | null };

export interface TarSpliceOptions {
  /** Called for entries that cannot be spliced (hard links, devices, fifos; `type` null for a type tar-stream does not know). */
  readonly onSkip?: (name: string, type: string | null) => void;
}

/**
 * Streams the entries of an uncompressed tar as ExtraEntries. File contents are streamed:
 * the consumer (packContext) must read each one before asking for the next entry.
 */
export async function* entriesFromTar(input: AsyncIterable<Uint8Array>, opts: TarSpliceOptions = {}): AsyncGenerator<ExtraEntry> {
  // Loaded when a mount is spliced, not at startup.
  const extract = (createRequire(import.meta.url)('tar-stream') as typeof tarStream).extract();
  // Feed the extractor with backpressure; an input error fails the entry iteration below.
  void (async () => {
    for await (const chunk of input) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) {
        await new Promise<void>((resolve) => extract.once('drain', resolve).once('close', resolve));
      }
    }
    (extract as unknown as { end(): void }).end();
  })().catch((e: unknown) => extract.destroy(e instanceof Error ? e : new Error(String(e))));
  try {
    for await (const entry of extract) {
      const h: TarStreamHeader = entry.header;
      const path = normalizeRel(h.name);
      const common = { path, mode: h.mode & 0o7777, mtime: h.mtime };
      if (h.type === 'file' || h.type === 'contiguous-file') {
        yield { ...common, type: 'file', content: { size: h.size, stream: entry as AsyncIterable<Uint8Array> } };
        continue;
      }
      entry.resume();
      if (path === '.') continue;
      if (h.type === 'directory') yield { ...common, type: 'dir' };
      else if (h.type === 'symlink') yield { ...common, type: 'symlink', linkTarget: h.linkname ?? '' };
      else opts.onSkip?.(h.name, h.type);
    }
  } finally {
    extract.destroy();
  }
}
