/**
 * `mbuild watch`: after a first full run, watches the project root with chokidar
 * (folders, not globs), filters events with each image's own .dockerignore matcher, and
 * drives the state machine (state.ts). A run rebuilds the changed images and everything
 * downstream; the cache skips any whose key did not change. The build file is reloaded on
 * change (an invalid one is reported and the last good one kept). Outputs are never
 * watched, and an image that keeps triggering itself is paused.
 */
import { spawn } from 'node:child_process';
import { watch, type FSWatcher } from 'chokidar';
import type { Loaded } from '../config/load.js';
import type { BuildFile } from '../config/types.js';
import type { Executor, RunReport } from '../execute/executor.js';
import type { BuildPlan } from '../plan/types.js';
import { affectedImages, subPlan } from './affected.js';
import type { EmitWatchEvent } from './events.js';
import { imagesForPath, isIgnored, watchTargets, type WatchTargets } from './paths.js';
import { WatchStateMachine, type Change } from './state.js';

/** Consecutive runs an image may trigger itself before it is paused. */
export const SELF_TRIGGER_LIMIT = 3;

export interface WatcherOptions {
  readonly initial: { readonly loaded: Loaded; readonly plan: BuildPlan };
  /** Reloads and replans; `undefined` when the file is invalid (the callee reports why). */
  readonly reload: () => Promise<{ loaded: Loaded; plan: BuildPlan } | string>;
  readonly executor: (file: BuildFile, plan: BuildPlan, known: ReadonlyMap<string, string>) => Executor;
  readonly builder: string;
  readonly emit: EmitWatchEvent;
  readonly signal: AbortSignal;
  readonly poll: boolean;
  readonly onRebuild?: string;
  readonly debounceMs?: number;
}

export class Watcher {
  readonly #o: WatcherOptions;
  #file: BuildFile;
  #plan: BuildPlan;
  #targets: WatchTargets | undefined;
  #chokidar: FSWatcher | undefined;
  #executor: Executor | undefined;
  readonly #ids = new Map<string, string>();
  readonly #selfTriggers = new Map<string, number>();
  readonly #paused = new Set<string>();
  /** Images built in the current run, and the changes that arrived meanwhile. */
  #builtNow = new Set<string>();
  #changedDuringRun = new Set<string>();
  readonly #machine: WatchStateMachine;
  #polling: boolean;

  constructor(o: WatcherOptions) {
    this.#o = o;
    this.#file = o.initial.loaded.file;
    this.#plan = o.initial.plan;
    this.#polling = o.poll;
    this.#machine = new WatchStateMachine({
      run: (c) => this.#run(c),
      duringRun: (c) => this.#duringRun(c),
      ...(o.debounceMs !== undefined && { debounceMs: o.debounceMs }),
    });
  }

  /** The first full run, then watching until the signal aborts. Resolves when stopped. */
  async run(): Promise<RunReport> {
    const first = await this.#build(this.#plan);
    if (this.#o.signal.aborted) return first;
    this.#targets = await watchTargets(this.#file, this.#plan.images.map((i) => i.name));
    await this.#startWatching();
    this.#o.emit({ type: 'watch-ready', images: this.#plan.images.map((i) => i.name), polling: this.#polling });
    this.#o.emit({ type: 'watch-idle' });
    await new Promise<void>((resolve) => this.#o.signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.#machine.abort();
    await this.#chokidar?.close();
    return first;
  }

  /** Resolves when no run is pending (for tests and benchmarks). */
  settled(): Promise<void> {
    return this.#machine.settled();
  }

  async #startWatching(): Promise<void> {
    await this.#chokidar?.close();
    const w = watch(this.#file.root, {
      ignoreInitial: true,
      usePolling: this.#polling,
      interval: 100,
      ignored: (path, stats) => this.#targets !== undefined && isIgnored(this.#targets, path, stats?.isDirectory()),
    });
    w.on('all', (event, path) => this.#onEvent(path, event === 'addDir' || event === 'unlinkDir'));
    w.on('error', (e) => void this.#onError(e as NodeJS.ErrnoException));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    this.#chokidar = w;
  }

  async #onError(e: NodeJS.ErrnoException): Promise<void> {
    if (e.code === 'ENOSPC' && !this.#polling) {
      this.#polling = true;
      this.#o.emit({ type: 'watch-ready', images: this.#plan.images.map((i) => i.name), polling: true,
        note: 'the inotify watch limit is reached (ENOSPC): falling back to polling. Raise it with `sysctl fs.inotify.max_user_watches=524288`, or pass --poll.' });
      await this.#startWatching();
    }
  }

  #pendingPaths: string[] = [];

  #onEvent(path: string, isDir: boolean): void {
    if (this.#targets === undefined) return;
    const buildFile = path === this.#targets.buildFile;
    // chokidar checks `ignored` while scanning; filter events again.
    const images = buildFile ? [] : imagesForPath(this.#targets, path, isDir).filter((i) => !this.#paused.has(i));
    if (!buildFile && images.length === 0) return;
    this.#pendingPaths.push(path);
    this.#o.emit({ type: 'watch-change', paths: [path], images, buildFile });
    this.#machine.changed({ images: new Set(images), buildFile });
  }

  #duringRun(change: Change): void {
    for (const image of change.images) {
      this.#changedDuringRun.add(image);
      this.#executor?.restart(image);
    }
  }

  async #run(change: Change): Promise<void> {
    const dirty = new Set(change.images);
    if (change.buildFile) for (const image of await this.#reload()) dirty.add(image);
    this.#guardLoops(dirty);
    const affected = affectedImages(this.#plan, dirty);
    this.#pendingPaths = [];
    if (affected.length > 0 && !this.#o.signal.aborted) await this.#build(subPlan(this.#plan, affected));
    if (!this.#o.signal.aborted) this.#o.emit({ type: 'watch-idle' });
  }

  /** Reloads the build file; returns the images whose resolved settings changed. */
  async #reload(): Promise<string[]> {
    const next = await this.#o.reload();
    if (typeof next === 'string') {
      this.#o.emit({ type: 'watch-reload', ok: false, message: next });
      return [];
    }
    const before = this.#file;
    this.#file = next.loaded.file;
    this.#plan = next.plan;
    this.#targets = await watchTargets(this.#file, this.#plan.images.map((i) => i.name));
    const changed = this.#plan.images.map((i) => i.name).filter((name) => JSON.stringify(settings(before, name)) !== JSON.stringify(settings(this.#file, name)));
    this.#o.emit({ type: 'watch-reload', ok: true, message: changed.length > 0 ? `changed: ${changed.join(', ')}` : 'no image changed' });
    return changed;
  }

  /** An image rebuilt in the last run and dirty again from changes made during that run is self-triggered. */
  #guardLoops(dirty: Set<string>): void {
    for (const image of [...dirty]) {
      const self = this.#builtNow.has(image) && this.#changedDuringRun.has(image);
      const count = self ? (this.#selfTriggers.get(image) ?? 0) + 1 : 0;
      this.#selfTriggers.set(image, count);
      if (count >= SELF_TRIGGER_LIMIT) {
        this.#paused.add(image);
        dirty.delete(image);
        this.#o.emit({ type: 'watch-paused', image, reason: `its own build changed its inputs ${count} times in a row (last: ${this.#pendingPaths.at(-1) ?? 'unknown'}); declare generated files in outputs or .dockerignore, then restart watch` });
      }
    }
    this.#builtNow = new Set();
    this.#changedDuringRun = new Set();
  }

  async #build(plan: BuildPlan): Promise<RunReport> {
    this.#executor = this.#o.executor(this.#file, plan, this.#ids);
    const report = await this.#executor.run(this.#o.builder);
    this.#executor = undefined;
    for (const { image, outcome } of report.results) {
      if (outcome.kind === 'failed') continue;
      this.#ids.set(image, outcome.imageId);
      if (outcome.kind !== 'built') continue;
      this.#builtNow.add(image);
      const tags = this.#file.images.get(image)?.tags ?? [];
      this.#o.emit({ type: 'watch-rebuilt', image, imageId: outcome.imageId, tags });
      if (this.#o.onRebuild !== undefined) await this.#hook(image, outcome.imageId, tags);
    }
    return report;
  }

  #hook(image: string, imageId: string, tags: readonly string[]): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn(this.#o.onRebuild!, {
        shell: true, cwd: this.#file.root, stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MBUILD_IMAGE: image, MBUILD_IMAGE_ID: imageId, MBUILD_TAGS: tags.join(' ') },
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.on('close', (code) => {
        this.#o.emit({ type: 'watch-hook', image, exitCode: code, output });
        resolve();
      });
    });
  }
}

const settings = (file: BuildFile, name: string) => {
  const image = file.images.get(name);
  if (image === undefined) return undefined;
  const { origins: _origins, ...rest } = image;
  return rest;
};
