/**
 * Temporary containers: created (never started) to read files out of an image, labelled
 * with the run, the process and the host, and always removed — by the reader's `finally`,
 * by `close()` of their session once a build is over (also after a failure or Ctrl-C), and
 * at the start of the next `mbuild up` for those whose process died (`reapTempContainers`).
 */
import { hostname } from 'node:os';
import { HOST_LABEL, PID_LABEL, TEMP_FILTER, tempLabels } from '../core/labels.js';
import { processAlive as alive } from '../core/process.js';
import type { Engine } from '../docker/engine.js';

/** The containers one build (or one `mbuild context`) created; `close()` removes every one still there. */
export class TempContainers {
  readonly #live = new Set<string>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #after: (() => Promise<void>)[] = [];
  #closed = false;

  constructor(
    readonly engine: Engine,
    readonly labels: Readonly<Record<string, string>> = tempLabels(),
  ) {}

  /** Creates a container of `image`; after `close()` it refuses (and removes a late one). */
  async create(image: string): Promise<string> {
    if (this.#closed) throw new Error('temporary containers: the session is closed');
    const creating = this.engine.createContainer(image, this.labels);
    this.#pending.add(creating);
    try {
      const id = await creating;
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- close() may run during the await; TypeScript keeps the narrowing of the check before it
      if (this.#closed) {
        await this.engine.removeContainer(id).catch(() => undefined);
        throw new Error('temporary containers: the session closed while a container was created');
      }
      this.#live.add(id);
      return id;
    } finally {
      this.#pending.delete(creating);
    }
  }

  /** Removes one container; never throws (a failure is retried by `close()` and by the reaper). */
  async remove(id: string): Promise<void> {
    if (!this.#live.has(id)) return;
    try {
      await this.engine.removeContainer(id);
      this.#live.delete(id);
    } catch {
      // kept in #live: close() tries again
    }
  }

  /** Something else of the build to undo once its containers are gone (a Dockerfile diff's internal images); must not throw. */
  onClose(cleanup: () => Promise<void>): void {
    this.#after.push(cleanup);
  }

  /** Waits for creations in flight, then removes everything left, then runs the `onClose` clean-ups. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    await Promise.all([...this.#live].map((id) => this.remove(id)));
    for (const cleanup of this.#after.splice(0)) await cleanup();
  }

  get count(): number {
    return this.#live.size;
  }
}

/**
 * Removes temporary containers left behind by an mbuild process of this host that no longer
 * runs (killed, or a second Ctrl-C). Containers of live processes and of other hosts are
 * left alone. Returns how many were removed; never throws.
 */
export async function reapTempContainers(engine: Engine): Promise<number> {
  let removed = 0;
  try {
    const host = hostname();
    for (const c of await engine.listContainers({ labels: [TEMP_FILTER] })) {
      const pid = Number(c.labels[PID_LABEL]);
      if (c.labels[HOST_LABEL] !== host || !Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
      await engine.removeContainer(c.id).then(
        () => removed++,
        () => undefined,
      );
    }
  } catch {
    // best effort: the next run tries again
  }
  return removed;
}
