/**
 * A deadline that moves: a transfer (a pull or a push through the engine) that shows nothing
 * for `ms` is stalled. `touch()` pushes the deadline back; `signal` aborts once it passes, or
 * when `outer` aborts (Ctrl-C). `stalled` says which of the two it was.
 */
export class StallTimer {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  readonly #timer: NodeJS.Timeout;
  #stalled = false;

  constructor(
    readonly ms: number,
    outer?: AbortSignal,
  ) {
    this.signal = outer === undefined ? this.#controller.signal : AbortSignal.any([outer, this.#controller.signal]);
    this.#timer = setTimeout(() => {
      this.#stalled = true;
      this.#controller.abort(new Error(`no progress for ${ms / 1000} s`));
    }, ms);
  }

  /** Something moved: the deadline is `ms` from now. */
  touch(): void {
    if (!this.#stalled) this.#timer.refresh();
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
