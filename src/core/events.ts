/**
 * Events flow one way, from execute/ and watch/ to report/: the core never renders. Every
 * reporter (listr2, plain lines, NDJSON) switches exhaustively on `type`.
 */

/** Why an image did not produce a fresh image ID. The discriminant is `reason`. */
export type Failure =
  | {
      readonly reason: 'build-failed';
      readonly message: string;
      /** The failing step as the builder named it, e.g. `[2/3] RUN make`. */
      readonly step?: string;
      /** The Dockerfile line of that step, when it could be found. */
      readonly dockerfileLine?: { readonly path: string; readonly line: number; readonly text: string };
      /** The last lines of the build log. */
      readonly logTail: readonly string[];
      /** The build log could not be written (an `image-warning` said why): there is no file to point at. */
      readonly logLost?: true;
    }
  | { readonly reason: 'engine-error'; readonly message: string }
  | { readonly reason: 'context-error'; readonly message: string }
  /** A mount could not be read or placed (missing image or path, a refused entry, a collision). */
  | { readonly reason: 'mount-failed'; readonly message: string }
  /** The image was built (and tagged) but an output could not be copied to the host. */
  | { readonly reason: 'output-failed'; readonly message: string }
  | { readonly reason: 'dependency-failed'; readonly dependency: string }
  /** Its key equals `image`'s, whose build (the one build of that key in the run) failed. */
  | { readonly reason: 'same-as-failed'; readonly image: string }
  /** The image was built or up to date, but a tag could not be pushed (`ref`: `repo:tag`). */
  | { readonly reason: 'push-failed'; readonly ref: string; readonly message: string }
  | { readonly reason: 'cancelled' }
  | { readonly reason: 'not-started' }
  | { readonly reason: 'unknown-error'; readonly message: string };

export type ImageOutcome =
  | { readonly kind: 'built'; readonly imageId: string; readonly durationMs: number; readonly size: number }
  /**
   * `cache`: the shared cache reference (`REF:<key>`) the image came from, when it was not in
   * the engine; `remote`: it was not even pulled (`--push` copied its tags on the registry, and
   * nothing of this run needed it in the engine).
   */
  | { readonly kind: 'up-to-date'; readonly imageId: string; readonly size: number; readonly cache?: string; readonly remote?: true }
  /**
   * Its key equals that of `sameAs`, an image of this run built for that key (execute/same-key.ts):
   * not built again, it took that image's ID, with its own tags and outputs. `why`: why `sameAs` was built.
   */
  | { readonly kind: 'same-as'; readonly imageId: string; readonly durationMs: number; readonly size: number; readonly sameAs: string; readonly why: string }
  | { readonly kind: 'failed'; readonly failure: Failure; readonly durationMs: number };

export interface ImageResult {
  readonly image: string;
  readonly outcome: ImageOutcome;
}

export type BuildEvent =
  /** `upstream`: for each image of the run, the images of the run it waits for (the terminal view names them). */
  | {
      readonly type: 'run-started';
      readonly images: readonly string[];
      readonly jobs: number;
      readonly builder: string;
      readonly upstream?: Readonly<Record<string, readonly string[]>>;
      /** With a pool of engines: their names, the home engine first (`jobs`: their slots together). */
      readonly engines?: readonly string[];
    }
  /** The image's inputs are ready and it waits for a free build slot. */
  | { readonly type: 'image-queued'; readonly image: string }
  /** `engine`: with a pool of engines (pool/), the one it builds on; started again on another when that one is lost. */
  | { readonly type: 'image-started'; readonly image: string; readonly why: string; readonly engine?: string }
  /** With a pool: `image` moved from one engine to another (`for`: the image whose build needs it, or `image` itself going home). */
  | {
      readonly type: 'image-moved';
      readonly image: string;
      readonly for: string;
      readonly from: string;
      readonly to: string;
      readonly bytes: number;
      readonly durationMs: number;
    }
  | { readonly type: 'image-step'; readonly image: string; readonly step: string; readonly cached: boolean }
  | { readonly type: 'image-log'; readonly image: string; readonly line: string }
  | { readonly type: 'image-warning'; readonly image: string; readonly message: string }
  /** An output was copied from the built image to the host (`to` relative to the project root). */
  | { readonly type: 'image-output'; readonly image: string; readonly path: string; readonly to: string; readonly files: number; readonly bytes: number }
  | { readonly type: 'image-done'; readonly image: string; readonly outcome: ImageOutcome; readonly tags: readonly string[] }
  /** A push of one tag (`ref`: `repo:tag`) began; pushes run after the image is done, under their own cap. */
  | { readonly type: 'push-started'; readonly image: string; readonly ref: string }
  /** Bytes of the tag's layers sent so far (the engine's progress, summed over layers). */
  | { readonly type: 'push-progress'; readonly image: string; readonly ref: string; readonly current: number; readonly total: number }
  /** The registry has the tag. `via: 'copy'`: its manifest was copied from the shared cache, no layer moved. */
  | { readonly type: 'push-done'; readonly image: string; readonly ref: string; readonly digest: string; readonly via: 'push' | 'copy' }
  | { readonly type: 'push-failed'; readonly image: string; readonly ref: string; readonly message: string }
  /** The image was stored in the shared cache as `ref` (`REF:<key>`). */
  | { readonly type: 'cache-stored'; readonly image: string; readonly ref: string; readonly digest: string }
  | { readonly type: 'run-finished'; readonly results: readonly ImageResult[]; readonly durationMs: number; readonly interrupted: boolean };

export type EmitEvent = (event: BuildEvent) => void;

/**
 * What watch mode reports between and after runs (build progress itself is BuildEvents).
 *
 * `watch-idle` is emitted each time the state machine is back to `watching` with nothing
 * pending. `watch-probe` answers a file named `.mbuild-probe*` created in the project root
 * (a hook for tests and tools): with inotify, events arrive in the order the kernel saw
 * them, so when it is emitted every change made before the probe file has been seen;
 * `idle` says whether nothing is pending (else wait for the next `watch-idle`).
 */
export type WatchEvent =
  | { readonly type: 'watch-ready'; readonly images: readonly string[]; readonly polling: boolean; readonly note?: string }
  /** Paths are relative to the project root; at most MAX_SHOWN of them (watch/watcher.ts), `more` counts the rest. */
  | { readonly type: 'watch-change'; readonly paths: readonly string[]; readonly more: number; readonly images: readonly string[]; readonly buildFile: boolean }
  | { readonly type: 'watch-reload'; readonly ok: boolean; readonly message: string }
  | { readonly type: 'watch-rebuilt'; readonly image: string; readonly imageId: string; readonly tags: readonly string[] }
  | { readonly type: 'watch-hook'; readonly image: string; readonly exitCode: number | null; readonly output: string }
  | { readonly type: 'watch-paused'; readonly image: string; readonly reason: string }
  /**
   * The image is not built until its `missing` inputs (relative to the project root) are back,
   * its `invalid` Dockerfile or ignore file passes the checks again, or `upstream` is built.
   */
  | {
      readonly type: 'watch-waiting';
      readonly image: string;
      readonly missing: readonly string[];
      readonly invalid?: readonly string[];
      readonly upstream?: string;
    }
  | { readonly type: 'watch-warning'; readonly message: string }
  | { readonly type: 'watch-probe'; readonly name: string; readonly idle: boolean }
  | { readonly type: 'watch-idle' };

export type EmitWatchEvent = (event: WatchEvent) => void;
