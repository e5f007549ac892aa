/**
 * `mbuild watch`: the file watcher (fs-watch.ts) starts first, so no edit made during the
 * first full build is lost; then the first run builds the whole plan; then every change
 * drives the state machine (state.ts). A run rebuilds the changed images and everything
 * downstream (affected.ts), plus any upstream that has no built ID yet; the cache skips
 * those whose key did not change. A change to an image whose build is in flight restarts
 * that build (at most MAX_RESTARTS times per run; then the queued follow-up run catches
 * it). The build file, Dockerfiles and ignore files are reloaded on change (an invalid
 * build file is reported and the last good one kept). After each rebuilt image: its
 * outputs were exported by the build, then a `watch-rebuilt` event and the hook.
 */
import type { BuildFile } from '../config/types.js';
import type { EmitWatchEvent } from '../core/events.js';
import type { Executor, RunReport } from '../execute/executor.js';
import type { BuildPlan, Planned } from '../plan/types.js';
import { affectedImages, subPlan, withUnbuiltUpstream } from './affected.js';
import { FileWatch, type WatchFactory } from './fs-watch.js';
import { LoopGuard, runHook } from './loop-guard.js';
import { isIgnored, isProbe, meaningOf, pruneFingerprint, shown, watchTargets, type WatchTargets } from './paths.js';
import { WatchStateMachine, type Change } from './state.js';
import { waitingImages } from './waiting.js';

/** Restarts of one image's in-flight build within one run. */
export const MAX_RESTARTS = 3;
/** Paths listed in one `watch-change` event. */
export const MAX_SHOWN = 20;
/** How long changes are collected into one `watch-change` line while a run is in progress. */
const CHANGE_LINE_MS = 50;

/** A reload refused by the static checks: the diagnostics as text, and the files they are in. */
export interface ReloadFailure {
  readonly message: string;
  /** Absolute paths of the files with errors (Dockerfiles, ignore files, the build file). */
  readonly files: readonly string[];
}

export interface WatcherOptions {
  readonly initial: Planned;
  /** Reloads and plans again: the new plan, or why not. */
  readonly reload: () => Promise<Planned | ReloadFailure>;
  /** An executor for `part` of `planned` (a sub-plan); the images outside `part` it needs are in `known`. */
  readonly executor: (planned: Planned, part: BuildPlan, known: ReadonlyMap<string, string>) => Executor;
  readonly builder: string;
  readonly emit: EmitWatchEvent;
  readonly signal: AbortSignal;
  readonly poll: boolean;
  readonly onRebuild?: string;
  readonly debounceMs?: number;
  /** For tests: chokidar's `watch`. */
  readonly watchFactory?: WatchFactory;
  /** Called after each run (the first one too) and its hooks, before watching again: the garbage policy. */
  readonly afterRun?: (planned: Planned, report: RunReport) => Promise<void>;
  /** What each image read of its context at its last decision (null: all of it), filled by the builds. */
  readonly decided?: ReadonlyMap<string, readonly string[] | null>;
}

export class Watcher {
  readonly #o: WatcherOptions;
  /** The last good plan. */
  #planned: Planned;
  #targets: WatchTargets | undefined;
  #fs: FileWatch | undefined;
  #executor: Executor | undefined;
  #ready = false;
  #first = true;
  #fallbackNote: string | undefined;
  readonly #ids = new Map<string, string>();
  /** Files the last reload found errors in; cleared by a reload that passes. */
  #invalid: ReadonlySet<string> = new Set();
  readonly #guard = new LoopGuard();
  readonly #restarts = new Map<string, number>();
  readonly #machine: WatchStateMachine;
  /** Changes not yet reported in a `watch-change` line; paths reported since the last run started. */
  #pending = { paths: new Set<string>(), images: new Set<string>(), buildFile: false };
  readonly #reported = new Set<string>();
  #pendingTimer: NodeJS.Timeout | undefined;

  constructor(o: WatcherOptions) {
    this.#o = o;
    this.#planned = o.initial;
    this.#machine = new WatchStateMachine({
      run: (c) => this.#run(c),
      duringRun: (c) => this.#duringRun(c),
      onState: (s) => {
        if (s === 'watching' && this.#ready && !o.signal.aborted) o.emit({ type: 'watch-idle' });
      },
      ...(o.debounceMs !== undefined && { debounceMs: o.debounceMs }),
    });
  }

  /** Watches, runs the first full build, then rebuilds on change until the signal aborts. */
  async run(): Promise<RunReport | undefined> {
    const names = () => this.#planned.plan.images.map((i) => i.name);
    this.#targets = await watchTargets(this.#planned.file, names(), this.#o.decided);
    const fs = new FileWatch({
      root: this.#planned.file.root,
      poll: this.#o.poll,
      ignored: (path, stats) => this.#targets !== undefined && isIgnored(this.#targets, path, stats?.isDirectory()),
      onPath: (path, isDir) => this.#onPath(path, isDir),
      onFallback: (note) => {
        if (this.#ready) this.#o.emit({ type: 'watch-ready', images: names(), polling: true, note });
        else this.#fallbackNote = note;
      },
      onWarning: (message) => this.#o.emit({ type: 'watch-warning', message }),
      // Every image is checked again; the cache makes the unchanged ones free.
      onRescan: () => {
        if (!this.#o.signal.aborted) this.#machine.changed({ images: new Set(names()), reload: false });
      },
      ...(this.#o.watchFactory && { watch: this.#o.watchFactory }),
    });
    this.#fs = fs;
    const stopped = new Promise<void>((resolve) => this.#o.signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      await fs.start();
      let first: RunReport | undefined;
      if (!this.#o.signal.aborted) {
        await this.#machine.runNow({ images: new Set(names()), reload: false });
        first = this.#firstReport;
      }
      if (!this.#o.signal.aborted) {
        this.#ready = true;
        this.#o.emit({ type: 'watch-ready', images: names(), polling: fs.polling, ...(this.#fallbackNote !== undefined && { note: this.#fallbackNote }) });
        if (this.#machine.state === 'watching') this.#o.emit({ type: 'watch-idle' });
      }
      await stopped;
      await this.#machine.abort();
      return first;
    } finally {
      clearTimeout(this.#pendingTimer);
      await fs.close();
    }
  }

  #firstReport: RunReport | undefined;

  /** Resolves when no run is pending (for tests and benchmarks). */
  settled(): Promise<void> {
    return this.#machine.settled();
  }

  #onPath(path: string, isDir: boolean | undefined): void {
    const t = this.#targets;
    if (t === undefined || this.#o.signal.aborted) return;
    if (isProbe(t, path)) {
      this.#flushChanges();
      this.#o.emit({ type: 'watch-probe', name: shown(t, path), idle: this.#machine.state === 'watching' });
      return;
    }
    const m = meaningOf(t, path, isDir);
    const images = m.images.filter((i) => !this.#guard.isPaused(i));
    const reload = m.buildFile || m.dockerfile || m.ignoreFile;
    if (images.length === 0 && !reload) return;
    const rel = shown(t, path);
    this.#guard.changed(images, rel);
    // Raw and chokidar events report most changes twice: one line per path and run.
    if (!this.#reported.has(rel)) {
      this.#reported.add(rel);
      this.#pending.paths.add(rel);
      images.forEach((i) => this.#pending.images.add(i));
      this.#pending.buildFile ||= m.buildFile;
      this.#pendingTimer ??= setTimeout(() => this.#flushChanges(), CHANGE_LINE_MS);
    }
    this.#machine.changed({ images: new Set(images), reload });
  }

  #flushChanges(): void {
    clearTimeout(this.#pendingTimer);
    this.#pendingTimer = undefined;
    const p = this.#pending;
    if (p.paths.size === 0) return;
    this.#pending = { paths: new Set(), images: new Set(), buildFile: false };
    const paths = [...p.paths].sort();
    this.#o.emit({
      type: 'watch-change',
      paths: paths.slice(0, MAX_SHOWN),
      more: Math.max(0, paths.length - MAX_SHOWN),
      images: [...p.images].sort(),
      buildFile: p.buildFile,
    });
  }

  #duringRun(change: Change): void {
    for (const image of change.images) {
      const n = this.#restarts.get(image) ?? 0;
      if (n < MAX_RESTARTS && this.#executor?.restart(image)) this.#restarts.set(image, n + 1);
    }
  }

  async #run(change: Change): Promise<void> {
    this.#flushChanges();
    this.#reported.clear();
    this.#restarts.clear();
    const dirty = new Set(change.images);
    if (change.reload) for (const image of await this.#reload()) dirty.add(image);
    for (const { image, reason } of this.#guard.runStarts(dirty)) this.#o.emit({ type: 'watch-paused', image, reason });
    const { plan } = this.#planned;
    const affected = affectedImages(plan, dirty).filter((i) => !this.#guard.isPaused(i));
    const todo = this.#notWaiting(this.#first ? plan.images.map((i) => i.name) : withUnbuiltUpstream(plan, affected, this.#ids));
    const built: string[] = [];
    try {
      if (todo.length > 0 && !this.#o.signal.aborted) built.push(...(await this.#build(subPlan(plan, todo))));
    } catch (e) {
      this.#o.emit({ type: 'watch-warning', message: `internal error in a watch run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
    } finally {
      this.#first = false;
      this.#guard.runEnds(built);
    }
  }

  /** `todo` without the images that wait for an input that is gone (each reported). */
  #notWaiting(todo: readonly string[]): string[] {
    const t = this.#targets;
    const waiting = waitingImages(this.#planned.file, this.#planned.plan, todo, this.#ids, this.#invalid);
    const show = (paths: readonly string[]) => paths.map((path) => (t === undefined ? path : shown(t, path)));
    for (const w of waiting) {
      this.#o.emit({
        type: 'watch-waiting',
        image: w.image,
        missing: show(w.missing),
        ...(w.invalid !== undefined && { invalid: show(w.invalid) }),
        ...(w.upstream !== undefined && { upstream: w.upstream }),
      });
    }
    const skip = new Set(waiting.map((w) => w.image));
    return todo.filter((i) => !skip.has(i));
  }

  /** Reloads the build file and plans again; returns the images whose settings or edges changed. */
  async #reload(): Promise<string[]> {
    const next = await this.#o.reload();
    // Ignore files and Dockerfiles decide what is watched and pruned even when the plan stays.
    if ('message' in next) {
      this.#o.emit({ type: 'watch-reload', ok: false, message: next.message });
      this.#invalid = new Set(next.files);
      await this.#retarget();
      return [];
    }
    this.#invalid = new Set();
    const before = this.#planned;
    this.#planned = next;
    await this.#retarget();
    const resumed = this.#guard.resume();
    const changed = changedImages(before, next);
    const text = changed.length > 0 ? `changed: ${changed.join(', ')}` : 'no image changed';
    this.#o.emit({ type: 'watch-reload', ok: true, message: resumed.length > 0 ? `${text}; watching ${resumed.join(', ')} again` : text });
    return [...new Set([...changed, ...resumed])];
  }

  async #retarget(): Promise<void> {
    const old = this.#targets;
    this.#targets = await watchTargets(
      this.#planned.file,
      this.#planned.plan.images.map((i) => i.name),
      this.#o.decided,
    );
    if (old === undefined || pruneFingerprint(old) !== pruneFingerprint(this.#targets)) await this.#fs?.restart();
  }

  /** Builds `part` of the plan; returns the images built (not up to date), after their events and hooks. */
  async #build(part: BuildPlan): Promise<string[]> {
    const { file } = this.#planned;
    this.#executor = this.#o.executor(this.#planned, part, this.#ids);
    const report = await this.#executor.run(this.#o.builder);
    this.#executor = undefined;
    // The builds may have found more to read (a symlink followed, a base with ONBUILD triggers).
    await this.#retarget();
    if (this.#first) this.#firstReport = report;
    const built: string[] = [];
    for (const { image, outcome } of report.results) {
      if (outcome.kind === 'failed') continue;
      this.#ids.set(image, outcome.imageId);
      // A new image ID: built, or taken from the image of the run built for the same key.
      if (outcome.kind !== 'built' && outcome.kind !== 'same-as') continue;
      built.push(image);
      // The first run is `up`: only rebuilds are reported and hooked.
      if (this.#first || this.#o.signal.aborted) continue;
      const tags = file.images.get(image)?.tags ?? [];
      this.#o.emit({ type: 'watch-rebuilt', image, imageId: outcome.imageId, tags });
      if (this.#o.onRebuild === undefined) continue;
      this.#guard.hooksStart();
      const r = await runHook(this.#o.onRebuild, { cwd: file.root, image, imageId: outcome.imageId, tags, signal: this.#o.signal });
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- Ctrl-C may abort the signal while the hook runs
      if (!this.#o.signal.aborted) this.#o.emit({ type: 'watch-hook', image, ...r });
    }
    if (!this.#o.signal.aborted) await this.#o.afterRun?.(this.#planned, report);
    return built;
  }
}

/** Images whose resolved settings or upstream edges differ, new images, or all of them when the project changed. */
function changedImages(a: Planned, b: Planned): string[] {
  const names = b.plan.images.map((i) => i.name);
  if (a.file.name !== b.file.name) return names;
  const edges = (p: BuildPlan, name: string) => JSON.stringify(p.images.find((i) => i.name === name)?.dependsOn);
  return names.filter((n) => JSON.stringify(settings(a.file, n)) !== JSON.stringify(settings(b.file, n)) || edges(a.plan, n) !== edges(b.plan, n));
}

const settings = (file: BuildFile, name: string) => {
  const image = file.images.get(name);
  if (image === undefined) return undefined;
  const { origins: _origins, ...rest } = image;
  return rest;
};
