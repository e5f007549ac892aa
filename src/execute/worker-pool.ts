/**
 * Caps how many builds run at once. Unlike a FIFO queue, a freed slot goes to the
 * waiting job with the highest priority (the longest chain of work behind it). A job that
 * waits for another (an image whose key another image of the run is building) gives its
 * slot back while it waits (`pause`), and takes one again before it goes on.
 */

/** Gives the job's slot back while `waiting` is pending; resolves to it once the job has a slot again. */
export type Pause = <U>(waiting: Promise<U>) => Promise<U>;

/** A slot taken with `acquire`: given back once by `release` (again: nothing). */
export interface Slot {
  readonly pause: Pause;
  release(): void;
}

export class WorkerPool {
  readonly #capacity: number;
  #running = 0;
  readonly #waiting: { priority: number; seq: number; start: () => void }[] = [];
  #seq = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`Internal error: pool capacity ${capacity}`);
    this.#capacity = capacity;
  }

  /** Runs `work` once a slot is free; higher `priority` first, then first come first served. */
  async run<T>(priority: number, work: (pause: Pause) => Promise<T>): Promise<T> {
    const slot = await this.acquire(priority);
    try {
      return await work(slot.pause);
    } finally {
      slot.release();
    }
  }

  /** A slot, once one is free (same order as `run`), held until `release`. */
  async acquire(priority: number): Promise<Slot> {
    await this.#acquire(priority);
    let held = true;
    const give = () => {
      this.#running--;
      this.#next();
    };
    return {
      pause: async (waiting) => {
        give();
        try {
          return await waiting;
        } finally {
          await this.#acquire(priority);
        }
      },
      release: () => {
        if (held) give();
        held = false;
      },
    };
  }

  #acquire(priority: number): Promise<void> {
    if (this.#running < this.#capacity) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiting.push({ priority, seq: this.#seq++, start: resolve });
      this.#waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    });
  }

  #next(): void {
    const job = this.#waiting.shift();
    if (job === undefined) return;
    this.#running++;
    job.start();
  }
}
