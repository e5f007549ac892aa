/**
 * Caps how many builds run at once. Unlike a FIFO queue, a freed slot goes to the
 * waiting job with the highest priority (the longest chain of work behind it).
 */
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
  async run<T>(priority: number, work: () => Promise<T>): Promise<T> {
    await this.#acquire(priority);
    try {
      return await work();
    } finally {
      this.#running--;
      this.#next();
    }
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
