/**
 * The one error type of mounts and outputs: a refusal or failure whose message names the
 * mount (or output) and the entry concerned. image-build maps it to `mount-failed` or
 * `output-failed`; anything else from these modules is a bug or an engine error.
 */
export class TransferError extends Error {
  override readonly name = 'TransferError';
}

/** `mount web:/app/dist -> static` or `output /out/shopctl -> dist/shopctl`: how messages name a transfer. */
export interface TransferLabel {
  readonly what: 'mount' | 'output' | 'context';
  /** `web:/app/dist`, `base..tools:/out`, or for outputs the image path `/out/shopctl`. */
  readonly source: string;
  /** Where the entries go: a context path, or the output path as written. */
  readonly to: string;
}

export const labelText = (l: TransferLabel): string => `${l.what} ${l.source} -> ${l.to}`;
