/**
 * Turns resolved mounts into packContext's extra entries, stream to stream: read (one image
 * path, or the diff A..B), check (check.ts), place under `to`. A folder's contents land
 * under `to/`, a single file lands at `to`. The folders above `to` may merge with context
 * folders; `to` itself and everything below it are exclusive, so a collision with the
 * context or another mount fails the tar (CollisionError) naming both sources.
 */
import type { ExtraEntry } from '../context/tar.js';
import { checkEntries } from './check.js';
import { diffEntries } from './diff.js';
import { labelText, TransferError } from './errors.js';
import { readImagePath } from './read.js';
import type { SharedReads } from './shared-reads.js';
import { mountLabel, mountSource, type ResolvedMount } from './sources.js';
import type { TempContainers } from './temp-containers.js';
import type { DiffResult, MountReadOptions, RawEntry } from './types.js';
import { messageOf } from '../core/result.js';

export interface SpliceOptions extends MountReadOptions {
  readonly containers: TempContainers;
  /** Things the context cannot say (a diff's deletions), shown as warnings. */
  readonly onWarning?: (message: string) => void;
  /** The run's reads of mount sources, shared between the images that mount the same one (shared-reads.ts). */
  readonly shared?: SharedReads;
}

async function* empty(): AsyncGenerator<Uint8Array> {}

/** Failures of the readers (engine errors, a diff that cannot be made) named after the mount. */
async function* labelled(raw: AsyncIterable<RawEntry>, where: string, signal: AbortSignal): AsyncGenerator<RawEntry> {
  try {
    yield* raw;
  } catch (e) {
    if (e instanceof TransferError || signal.aborted) throw e;
    throw new TransferError(`${where}: ${messageOf(e)}`);
  }
}

/** The entries of one mount, placed under its `to`. */
export async function* mountEntries(m: ResolvedMount, opts: SpliceOptions): AsyncGenerator<ExtraEntry> {
  const { spec } = m;
  const label = mountLabel(spec);
  const source = mountSource(spec);
  let raw: AsyncIterable<RawEntry>;
  let diff: { readonly result: DiffResult; readonly head: string } | undefined;
  if (m.source.kind === 'diff') {
    diff = { result: diffEntries(m.source.base.ref, m.source.head.ref, spec.path, opts), head: m.source.head.name };
    raw = diff.result.entries;
  } else {
    const readOpts = { ...opts, label, imageName: m.source.image.name };
    raw = opts.shared ? opts.shared.read(m.source.image.ref, spec, readOpts) : readImagePath(m.source.image.ref, spec.path, readOpts);
  }
  const parts = spec.to.split('/');
  for (let i = 1; i < parts.length; i++) yield { path: parts.slice(0, i).join('/'), type: 'dir', source, exclusive: false };
  for await (const c of checkEntries(labelled(raw, labelText(label), opts.signal), { label, imagePath: spec.path })) {
    const path = c.name === '' ? spec.to : `${spec.to}/${c.name}`;
    const common = { path, mode: c.mode, source, exclusive: true, ...(c.mtime && { mtime: c.mtime }) };
    if (c.type === 'file') yield { ...common, type: 'file', content: { size: c.size, stream: c.content ?? empty() } };
    else if (c.type === 'hardlink') yield { ...common, type: 'hardlink', linkTarget: `${spec.to}/${c.linkTarget ?? ''}` };
    else if (c.type === 'symlink') yield { ...common, type: 'symlink', linkTarget: c.linkTarget ?? '' };
    else yield { ...common, type: 'dir' };
  }
  if (diff) {
    // A context can only add files: what B deletes is said, not done.
    const deleted = await diff.result.deletions.catch(() => [] as readonly string[]);
    if (deleted.length > 0 && opts.onWarning) {
      const list = deleted.slice(0, 5).join(', ') + (deleted.length > 5 ? `, and ${deleted.length - 5} more` : '');
      opts.onWarning(
        `${labelText(label)}: ${deleted.length} path${deleted.length === 1 ? '' : 's'} deleted in ${diff.head} cannot be expressed in a build context: ${list}`,
      );
    }
  }
}

/** Every mount of an image, one after the other. */
export async function* allMountEntries(mounts: readonly ResolvedMount[], opts: SpliceOptions): AsyncGenerator<ExtraEntry> {
  for (const m of mounts) yield* mountEntries(m, opts);
}
