/**
 * A pool of Docker engines that one run spreads its builds over (issue 21). The first engine
 * is the "home" engine: every image of the run ends up there and its tags land there (on
 * every engine with `--tag-everywhere`). Without `--engine` or an engines file, a run has no
 * pool and behaves as with one engine.
 */
import type { Engine } from '../docker/engine.js';

/** Where an engine of the pool was named: `--engine` or a line of the engines file. */
export type EngineOrigin =
  { readonly kind: 'flag'; readonly text: string } | { readonly kind: 'file'; readonly path: string; readonly line: number; readonly column: number };

/** An engine as the user named it, before connecting (pool/config.ts). */
export interface EngineEntry {
  /** Unique in the pool; shown in rows, events and `plan --engines`. */
  readonly name: string;
  /** `unix://…`, `tcp://…`, `ssh://…`, or undefined when a docker context names it. */
  readonly host?: string;
  /** A docker context (the docker CLI's store) naming the endpoint and its TLS material. */
  readonly context?: string;
  /** Builds at once on this engine (default: `--jobs`). */
  readonly slots?: number;
  readonly origin: EngineOrigin;
}

/** An engine of the pool, connected. */
export interface PoolEngine {
  readonly name: string;
  readonly engine: Engine;
  readonly slots: number;
  /** The first engine named: tags land here. */
  readonly home: boolean;
}
