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
  /** Paths are relative to the project root; at most MAX_SHOWN of them, `more` counts the rest. */
  | { readonly type: 'watch-change'; readonly paths: readonly string[]; readonly more: number; readonly images: readonly string[]; readonly buildFile: boolean }
  | { readonly type: 'watch-reload'; readonly ok: boolean; readonly message: string }
  | { readonly type: 'watch-rebuilt'; readonly image: string; readonly imageId: string; readonly tags: readonly string[] }
  | { readonly type: 'watch-hook'; readonly image: string; readonly exitCode: number | null; readonly output: string }
  | { readonly type: 'watch-paused'; readonly image: string; readonly reason: string }
  /**
   * The image is not built until its `missing` inputs (relative to the project root) are back,
   * its `invalid` Dockerfile or ignore file passes the checks again, or `upstream` is built.
   */
  | { readonly type: 'watch-waiting'; readonly image: string; readonly missing: readonly string[]; readonly invalid?: readonly string[]; readonly upstream?: string }
  | { readonly type: 'watch-warning'; readonly message: string }
  | { readonly type: 'watch-probe'; readonly name: string; readonly idle: boolean }
  | { readonly type: 'watch-idle' };

export type EmitWatchEvent = (event: WatchEvent) => void;

/** Paths listed in one watch-change event. */
export const MAX_SHOWN = 20;
