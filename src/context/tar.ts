/**
 * packContext: streams a build context as an uncompressed tar with backpressure — injected
 * files first, then the sorted context walk, then caller-supplied extra entries (the
 * extension point for cross-image mounts), refusing any path sent twice (sent-paths.ts).
 * Entry writing itself lives in packer.ts.
 */
import type { Readable } from 'node:stream';
import { err, ok, type Result } from '../core/result.js';
import { normalizeRel } from '../dockerignore/ignore.js';
import { Packer, type EntryType, type SentEntry } from './packer.js';
import { SentPaths } from './sent-paths.js';
import { planContext, type ContextInput, type ContextPlan, type ContextPlanError } from './source.js';
import { walkContext } from './walk.js';

export type { EntryType, SentEntry } from './packer.js';
export { ContextChangedError } from './walk.js';

/**
 * An entry spliced in by the caller (e.g. files of another image for cross-image mounts).
 * `path` is relative; use `withPrefix()` / `entriesFromTar()` (splice.ts) to place a set under a prefix.
 */
export interface ExtraEntry {
  readonly path: string;
  readonly type: EntryType;
  /** Permission bits; default 0o644 (file), 0o755 (dir), 0o777 (symlink). */
  readonly mode?: number;
  /** Default: the Unix epoch (deterministic). */
  readonly mtime?: Date;
  /** Symlink target; for a hardlink the tar path of a file sent before (by the same source). */
  readonly linkTarget?: string;
  /** File content: bytes, or exactly `size` bytes from a stream (consumed once, in order). */
  readonly content?: Uint8Array | string | { readonly size: number; readonly stream: AsyncIterable<Uint8Array> };
  /** Who sends it, for collision messages, e.g. `mount web:/app/dist`. */
  readonly source?: string;
  /** Nothing may exist at or below `path` already, not even a folder (see SentPaths). */
  readonly exclusive?: boolean;
}

export interface PackOptions extends ContextInput {
  /**
   * Extra entries appended after the context. A folder may repeat a folder already sent
   * (it is skipped) unless it is `exclusive`; any other collision with a sent path fails
   * the stream with a CollisionError naming both sources.
   */
  readonly extra?: AsyncIterable<ExtraEntry>;
  /** Called once per entry, after its bytes were handed to the tar stream. */
  readonly onEntry?: (entry: SentEntry) => void;
}

export interface PackSummary {
  readonly entries: number;
  /** Regular files (including injected and extra ones). */
  readonly files: number;
  /** Content bytes of regular files. */
  readonly bytes: number;
  readonly warnings: readonly string[];
}

export interface PackedContext {
  /** The tar; read it (e.g. pipe it into POST /build). Errors (ContextChangedError, I/O) surface here. */
  readonly stream: Readable;
  /** Pass as `dockerfile=` to POST /build. */
  readonly dockerfileInTar: string;
  readonly plan: ContextPlan;
  /** Resolves when the last byte was read from `stream`; rejects with the stream's error. */
  readonly done: Promise<PackSummary>;
}

/** Two sources put something at the same path of a context. */
export class CollisionError extends Error {
  override readonly name = 'CollisionError';
}

/** Already clean: relative, no `.`/`..`/empty segments, no trailing slash (mount entries always are). */
const CLEAN = /^(?!\.{1,2}(?:\/|$))(?:[^/]+)(?:\/(?!\.{1,2}(?:\/|$))[^/]+)*$/;

function validExtraPath(p: string): string {
  if (CLEAN.test(p)) return p;
  const n = normalizeRel(p);
  if (n === '.' || n === '..' || n.startsWith('../') || n.startsWith('/')) throw new Error(`invalid extra entry path ${JSON.stringify(p)}`);
  return n;
}

export async function addExtra(packer: Packer, x: ExtraEntry, sent: SentPaths): Promise<void> {
  const path = validExtraPath(x.path);
  const claim = sent.claim({ path, kind: x.type, ...(x.source !== undefined && { source: x.source }), exclusive: x.exclusive ?? false });
  if (!claim.ok) throw new CollisionError(claim.message);
  if (claim.skip) return; // directories merge
  const mtime = x.mtime ?? new Date(0);
  if (x.type === 'dir') return packer.addVoid(path, 'dir', x.mode ?? 0o755, mtime, 'extra');
  if (x.type === 'symlink' || x.type === 'hardlink') {
    if (x.linkTarget === undefined) throw new Error(`extra ${x.type} ${path} has no linkTarget`);
    if (x.type === 'hardlink' && sent.kindOf(x.linkTarget) !== 'file') {
      throw new Error(`extra hard link ${path} points to ${x.linkTarget}, which is not a file sent before`);
    }
    return packer.addVoid(path, x.type, x.mode ?? (x.type === 'symlink' ? 0o777 : 0o644), mtime, 'extra', x.linkTarget);
  }
  const c = x.content ?? new Uint8Array(0);
  if (typeof c === 'string' || c instanceof Uint8Array) {
    const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    return packer.addBytes(path, x.mode ?? 0o644, mtime, 'extra', buf.byteLength, [buf]);
  }
  return packer.addBytes(path, x.mode ?? 0o644, mtime, 'extra', c.size, c.stream);
}

/**
 * Plans the context (see source.ts) and starts streaming it. Setup problems (missing context
 * or Dockerfile, invalid ignore file with its line) are returned; later failures error `stream`
 * and reject `done`. The walk starts on the first read of `stream`; destroying `stream` stops it.
 */
export async function packContext(opts: PackOptions): Promise<Result<PackedContext, ContextPlanError>> {
  const planned = await planContext(opts);
  if (!planned.ok) return err(planned.error);
  const plan = planned.value;
  const warnings = [...plan.warnings];
  const warn = (m: string): void => void warnings.push(m);
  const packer = new Packer(opts.onEntry);

  const produce = async (): Promise<void> => {
    for (const f of plan.injected) {
      await packer.addBytes(f.name, f.mode, f.mtime, 'injected', f.content.byteLength, [f.content]);
    }
    const sent = opts.extra ? new SentPaths() : null;
    for (const f of plan.injected) sent?.record({ path: f.name, kind: 'file', source: 'context' });
    const walk = walkContext({
      root: plan.root,
      matcher: plan.matcher,
      forceInclude: plan.forceInclude,
      omit: plan.omit,
      select: plan.select,
      onWarning: warn,
    });
    for await (const e of walk) {
      sent?.record({ path: e.rel, kind: e.kind, source: 'context' });
      if (e.kind === 'dir') await packer.addVoid(e.rel, 'dir', e.stats.mode, e.stats.mtime, e.selection === 'on-way' ? 'on-way' : 'context');
      else if (e.kind === 'symlink') await packer.addSymlink(e, warn);
      else await packer.addFile(e);
    }
    if (opts.extra && sent) for await (const x of opts.extra) await addExtra(packer, x, sent);
    stream.finish();
  };

  const stream = packer.attach(() => {
    produce().catch((e: unknown) => stream.destroy(e instanceof Error ? e : new Error(String(e))));
  });

  const done = new Promise<PackSummary>((resolve, reject) => {
    stream.once('end', () => resolve({ entries: packer.entries, files: packer.files, bytes: packer.bytes, warnings }));
    stream.once('error', reject);
    stream.once('close', () => reject(new Error('context stream closed before it was fully read')));
  });
  done.catch(() => {}); // callers may ignore `done`; the stream carries the error too
  return ok({ stream, dockerfileInTar: plan.dockerfileInTar, plan, done });
}
