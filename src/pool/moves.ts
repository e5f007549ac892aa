/**
 * Images moved between the engines of a pool: `GET /images/{id}/get` on an engine that holds
 * the image streamed into `POST /images/load` on the one that needs it (no temp file). One
 * move per image and engine per run, never two at once: every caller awaits the same one.
 * What each engine holds is asked once (an inspect) and then known from the moves and builds
 * of the run.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { err, messageOf, ok, type Result } from '../core/result.js';
import type { PoolEngine } from './types.js';

export interface Moved {
  readonly imageId: string;
  /** An engine's name, or the shared cache's reference the image was pulled from. */
  readonly from: string;
  /** `stream`: exported by one engine into the other; `cache`: pulled from the shared cache. */
  readonly via: 'stream' | 'cache';
  readonly to: string;
  readonly bytes: number;
  readonly durationMs: number;
}

/** A move that failed, and why (the caller asks which engine is lost). */
export interface MoveFailure {
  readonly message: string;
}

/**
 * Another way to bring an image to an engine, tried first (the shared registry cache): its
 * reference and the bytes pulled when it did, undefined when it could not.
 */
export type Route = (to: PoolEngine) => Promise<{ readonly from: string; readonly bytes: number } | undefined>;

/** Counts the bytes that pass. */
class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

export class Moves {
  /** `id@engine` → whether it holds the image, as asked or as learnt. */
  readonly #holds = new Map<string, Promise<boolean>>();
  readonly #known = new Map<string, boolean>();
  readonly #sizes = new Map<string, number>();
  readonly #moving = new Map<string, Promise<Result<Moved | undefined, MoveFailure>>>();

  constructor(
    /** The engines that may be asked now, in pool order (lost ones left out). */
    private readonly alive: () => readonly PoolEngine[],
  ) {}

  /** Whether the engine holds the image (asked once; an engine that does not answer holds nothing). */
  holds(imageId: string, e: PoolEngine): Promise<boolean> {
    const at = `${imageId}@${e.name}`;
    let asked = this.#holds.get(at);
    if (asked === undefined) {
      asked = e.engine.inspectImage(imageId).then(
        (info) => {
          if (info !== undefined) this.#sizes.set(imageId, info.size);
          this.#known.set(at, info !== undefined);
          return info !== undefined;
        },
        () => false,
      );
      this.#holds.set(at, asked);
    }
    return asked;
  }

  /** What is known now without asking: true, false, or undefined (not asked yet). */
  known(imageId: string, e: PoolEngine): boolean | undefined {
    return this.#known.get(`${imageId}@${e.name}`);
  }

  /** The engine holds the image now (it built or loaded it). */
  record(imageId: string, e: PoolEngine, size?: number): void {
    const at = `${imageId}@${e.name}`;
    this.#known.set(at, true);
    this.#holds.set(at, Promise.resolve(true));
    if (size !== undefined) this.#sizes.set(imageId, size);
  }

  /** The image's size in bytes as last seen (0: not known). */
  size(imageId: string): number {
    return this.#sizes.get(imageId) ?? 0;
  }

  /** The image on `to`: nothing if it holds it, else one move from an engine that does; undefined when nothing moved. */
  ensure(imageId: string, to: PoolEngine, signal: AbortSignal, route?: Route): Promise<Result<Moved | undefined, MoveFailure>> {
    const at = `${imageId}@${to.name}`;
    let moving = this.#moving.get(at);
    if (moving === undefined) {
      moving = this.#ensure(imageId, to, signal, route);
      this.#moving.set(at, moving);
      // A failed move may be tried again (from another engine, or once the signal is new).
      void moving.then((r) => {
        if (!r.ok && this.#moving.get(at) === moving) this.#moving.delete(at);
      });
    }
    return moving;
  }

  async #ensure(imageId: string, to: PoolEngine, signal: AbortSignal, route?: Route): Promise<Result<Moved | undefined, MoveFailure>> {
    if (await this.holds(imageId, to)) return ok(undefined);
    const started = performance.now();
    const routed = await route?.(to);
    if (routed !== undefined) {
      this.record(imageId, to);
      const moved: Moved = { imageId, ...routed, via: 'cache', to: to.name, durationMs: performance.now() - started };
      return ok(moved);
    }
    return this.#stream(imageId, to, signal);
  }

  async #stream(imageId: string, to: PoolEngine, signal: AbortSignal): Promise<Result<Moved | undefined, MoveFailure>> {
    const others = this.alive().filter((e) => e.name !== to.name);
    const holding = await Promise.all(others.map((e) => this.holds(imageId, e)));
    const from = others.find((_, i) => holding[i]);
    if (from === undefined) return err({ message: `no engine of the pool holds image ${imageId}` });
    const started = performance.now();
    const counter = new Counter();
    try {
      const tar = await from.engine.exportImage(imageId, signal);
      tar.on('error', (e) => counter.destroy(e));
      await to.engine.loadImage(tar.pipe(counter), signal);
    } catch (e) {
      return err({ message: `moving image ${imageId} from ${from.name} to ${to.name}: ${messageOf(e)}` });
    }
    if (!(await to.engine.inspectImage(imageId).catch(() => undefined))) {
      return err({ message: `moving image ${imageId} from ${from.name} to ${to.name}: the engine loaded it under another ID` });
    }
    this.record(imageId, to);
    const moved: Moved = { imageId, from: from.name, via: 'stream', to: to.name, bytes: counter.bytes, durationMs: performance.now() - started };
    return ok(moved);
  }
}
