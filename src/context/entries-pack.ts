/**
 * A build context that is no host folder (`context: {image, path}`): injected files, then
 * entries the caller streams (a folder read out of an image, then the mounts), with the
 * same tar writer, collision checks and summary as packContext. Nothing here walks a folder.
 */
import { err, ok, type Result } from '../core/result.js';
import { IgnoreMatcher, parseIgnoreFile } from '../dockerignore/ignore.js';
import type { ReadSet } from './read-set.js';
import type { InjectedFile } from './source.js';
import { Packer } from './packer.js';
import { SentPaths } from './sent-paths.js';
import { addExtra, type ExtraEntry, type PackedContext, type PackSummary, type SentEntry } from './tar.js';

export interface EntriesPackOptions {
  /** Written first, in order (the Dockerfile, a synthesized .dockerignore). */
  readonly injected: readonly InjectedFile[];
  /** Name of the Dockerfile in the tar (one of `injected`). */
  readonly dockerfileInTar: string;
  /** Everything else; a path sent twice fails the stream (CollisionError). */
  readonly entries: AsyncIterable<ExtraEntry>;
  readonly onEntry?: (entry: SentEntry) => void;
}

/**
 * Which entries of such a context are sent: not in `omit` (the consumed `.dockerignore`, the
 * injected Dockerfile's name), kept by the ignore file (a folder an exception may re-include
 * below is kept), and read by the build (`select`; undefined: everything).
 */
export function entryFilter(
  select: ReadSet | undefined,
  ignoreText: string | undefined,
  omit: ReadonlySet<string>,
): Result<(name: string, isDir: boolean) => boolean, string> {
  const parsed = parseIgnoreFile(ignoreText ?? '');
  if ('error' in parsed) return err(`.dockerignore line ${parsed.error.line}: ${parsed.error.message}`);
  const matcher = new IgnoreMatcher(parsed.patterns);
  return ok((name, isDir) => {
    if (omit.has(name)) return false;
    const excluded = matcher.matches(name) && !(isDir && matcher.exceptionMayMatchBelow(name));
    return !excluded && (select === undefined || select.select(name) !== 'out');
  });
}

/** The tar of `opts`, streamed on its first read; errors fail `stream` and reject `done`. */
export function packEntries(opts: EntriesPackOptions): Pick<PackedContext, 'stream' | 'dockerfileInTar' | 'done'> {
  const packer = new Packer(opts.onEntry);
  const produce = async (): Promise<void> => {
    const sent = new SentPaths();
    for (const f of opts.injected) {
      await packer.addBytes(f.name, f.mode, f.mtime, 'injected', f.content.byteLength, [f.content]);
      sent.record({ path: f.name, kind: 'file', source: 'mbuild' });
    }
    for await (const x of opts.entries) await addExtra(packer, x, sent);
    stream.finish();
  };
  const stream = packer.attach(() => {
    produce().catch((e: unknown) => stream.destroy(e instanceof Error ? e : new Error(String(e))));
  });
  const done = new Promise<PackSummary>((resolve, reject) => {
    stream.once('end', () => resolve({ entries: packer.entries, files: packer.files, bytes: packer.bytes, warnings: [] }));
    stream.once('error', reject);
    stream.once('close', () => reject(new Error('context stream closed before it was fully read')));
  });
  done.catch(() => {}); // callers may ignore `done`; the stream carries the error too
  return { stream, dockerfileInTar: opts.dockerfileInTar, done };
}
