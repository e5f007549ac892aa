/**
 * The contract between the mount readers (one image path, or the diff A..B) and the
 * splicer that validates their entries and places them into a build context.
 */
import type { Engine } from '../docker/engine.js';

/** One entry read from an image, named relative to the mounted path ('' is the path itself). */
export interface RawEntry {
  /** Relative, '/'-separated, as found in the image (NOT yet validated: may hold '..' or be absolute). */
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  readonly mtime?: Date;
  /** Symlink target, or (hardlink) the name of the linked entry, relative like `name`. */
  readonly linkTarget?: string;
  /** For `other`: what it is (fifo, char device, block device, socket), for the error message. */
  readonly kind?: string;
  /** File content: exactly `size` bytes; must be consumed (or drained) before the next entry is read. */
  readonly content?: AsyncIterable<Uint8Array>;
}

export interface MountReadOptions {
  readonly engine: Engine;
  readonly signal: AbortSignal;
  /** Labels for every temporary container (the run's id, for garbage collection). */
  readonly labels: Readonly<Record<string, string>>;
}

/** The files B adds or changes relative to A below `path`, plus what B deletes (a context cannot say). */
export interface DiffResult {
  readonly entries: AsyncIterable<RawEntry>;
  /** Paths (relative to the mount path) that exist in A but not in B; settled after `entries` is done. */
  readonly deletions: Promise<readonly string[]>;
  /** Whether B's layer chain extends A's and only B's extra layers were read. */
  readonly fastPath: Promise<boolean>;
}
