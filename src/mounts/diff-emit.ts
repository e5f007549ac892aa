/**
 * Emitting a diff plan as RawEntries, shared by the fast path and the fallback so both give
 * the same entries: sorted in walk order (parents before children), hard links chosen the
 * same way, and file content always read from a never-started container of B:
 *  - up to `maxFileFetches` files: one archive per file (~50 ms each on Engine 20.10, which
 *    mounts the container for every archive request and serializes them per container);
 *  - more: one archive of B's mount path, read forward, skipping what is not in the plan.
 *    A planned file the archive shows as a hard link to an unplanned file has no content
 *    there: it is fetched on its own from a second container of B (created only then).
 * Every file's content is hashed while the consumer reads it and must match the plan.
 * Content the consumer does not read is drained before the next entry is produced.
 */
import { createHash } from 'node:crypto';
import type { RawEntry } from './types.js';
import { archiveRel, type ArchiveSource } from './diff-archive.js';
import { absOf, compareWalk, counted, DiffError, drain, tarEntries, type Meta, type TarItem } from './diff-tar.js';

export interface Planned {
  readonly meta: Meta;
  readonly type: RawEntry['type'];
  readonly linkTarget?: string;
}

/** Walk order; of the emitted members of a hard-link group, the first is the file and the others link to it. */
export function finalize(entries: readonly Meta[]): Planned[] {
  const byName = new Map(entries.map((m) => [m.name, m]));
  const first = new Map<string, string>();
  return [...byName.values()]
    .sort((x, y) => compareWalk(x.name, y.name))
    .map((meta): Planned => {
      if (meta.type === 'symlink') return { meta, type: 'symlink', linkTarget: meta.digest };
      if (meta.type !== 'file' || meta.group === undefined) return { meta, type: meta.type };
      const target = first.get(meta.group);
      if (target !== undefined) return { meta, type: 'hardlink', linkTarget: target };
      first.set(meta.group, meta.name);
      return { meta, type: 'file' };
    });
}

/** A file's content: hashed as it is read, checked against the plan at its end, drained by `finish`. */
class Content implements AsyncIterable<Uint8Array> {
  private readonly hash = createHash('sha256');
  private readonly it: AsyncIterator<Uint8Array>;
  private ended = false;
  constructor(
    body: AsyncIterable<Uint8Array>,
    private readonly meta: Meta,
  ) {
    this.it = body[Symbol.asyncIterator]();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (let c = await this.read(); c !== undefined; c = await this.read()) yield c;
  }
  private async read(): Promise<Uint8Array | undefined> {
    if (this.ended) return undefined;
    const r = await this.it.next();
    if (!r.done) {
      this.hash.update(r.value);
      return r.value;
    }
    this.ended = true;
    const digest = `sha256:${this.hash.digest('hex')}`;
    if (digest !== this.meta.digest) throw new DiffError(`${this.meta.name} changed in the image while it was read (${digest}, expected ${this.meta.digest})`);
    return undefined;
  }
  async finish(): Promise<void> {
    while ((await this.read()) !== undefined);
  }
}

function raw(p: Planned, content?: AsyncIterable<Uint8Array>): RawEntry {
  const { name, mode, mtime, kind, size } = p.meta;
  return {
    name,
    type: p.type,
    mode,
    size: p.type === 'file' ? size : 0,
    ...(mtime && { mtime }),
    ...(p.linkTarget !== undefined && { linkTarget: p.linkTarget }),
    ...(kind !== undefined && { kind }),
    ...(content && { content }),
  };
}

/** One file from its own archive (where a hard link is always a plain file). */
async function* fetchFile(src: ArchiveSource, p: Planned): AsyncGenerator<RawEntry> {
  const abs = absOf(src.mountPath, p.meta.name);
  src.stats.requests++;
  const got = await src.engine.getArchive(src.container, abs, src.signal);
  if (got === undefined) throw new DiffError(`${abs} vanished from the image while it was read`);
  try {
    for await (const { header, body } of tarEntries(counted(got.stream, src.stats))) {
      if (header.type !== 'file' && header.type !== 'contiguous-file') break;
      const content = new Content(body, p.meta);
      yield raw(p, content);
      await content.finish();
      return;
    }
    throw new DiffError(`${abs} is no longer a regular file in the image`);
  } finally {
    got.stream.destroy();
  }
}

type Item = TarItem & { readonly name: string };
async function* namedEntries(src: ArchiveSource): AsyncGenerator<Item, void> {
  src.stats.requests++;
  const got = await src.engine.getArchive(src.container, src.mountPath, src.signal);
  if (got === undefined) return;
  try {
    for await (const e of tarEntries(counted(got.stream, src.stats))) yield { ...e, name: archiveRel(e.header.name, src.mountPath, '') };
  } finally {
    got.stream.destroy();
  }
}

/**
 * The plan's entries in its order (a hard link's file comes first: see `finalize`).
 * `side`: another container of B, for a file the archive cannot give while it is open
 * (the engine serializes archive requests per container).
 */
export async function* emitPlan(
  list: readonly Planned[],
  src: ArchiveSource,
  side: () => Promise<ArchiveSource>,
  maxFileFetches: number,
): AsyncGenerator<RawEntry> {
  const files = list.filter((p) => p.type === 'file').length;
  const archive = files > maxFileFetches ? namedEntries(src) : undefined;
  const next = async (): Promise<Item | undefined> => (await archive?.next())?.value ?? undefined;
  try {
    let cur = await next();
    for (const p of list) {
      if (p.type !== 'file') {
        yield raw(p);
      } else if (archive === undefined) {
        yield* fetchFile(src, p);
      } else {
        while (cur !== undefined && compareWalk(cur.name, p.meta.name) < 0) {
          await drain(cur.body);
          cur = await next();
        }
        if (cur?.name !== p.meta.name || (cur.header.type !== 'file' && cur.header.type !== 'contiguous-file')) {
          yield* fetchFile(await side(), p);
          continue;
        }
        const content = new Content(cur.body, p.meta);
        yield raw(p, content);
        await content.finish();
        cur = await next();
      }
    }
  } finally {
    await archive?.return(undefined);
  }
}
