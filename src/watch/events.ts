/** What watch mode reports between and after runs (build progress itself is BuildEvents). */
export type WatchEvent =
  | { readonly type: 'watch-ready'; readonly images: readonly string[]; readonly polling: boolean; readonly note?: string }
  | { readonly type: 'watch-change'; readonly paths: readonly string[]; readonly images: readonly string[]; readonly buildFile: boolean }
  | { readonly type: 'watch-reload'; readonly ok: boolean; readonly message: string }
  | { readonly type: 'watch-rebuilt'; readonly image: string; readonly imageId: string; readonly tags: readonly string[] }
  | { readonly type: 'watch-hook'; readonly image: string; readonly exitCode: number | null; readonly output: string }
  | { readonly type: 'watch-paused'; readonly image: string; readonly reason: string }
  | { readonly type: 'watch-idle' };

export type EmitWatchEvent = (event: WatchEvent) => void;
