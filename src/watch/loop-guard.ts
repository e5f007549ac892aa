/**
 * Loop guard and `--on-rebuild` hook.
 *
 * Outputs and .mbuild/ are never watched (paths.ts) and a build cannot write anywhere else
 * on the host, so what can still make a build trigger itself is the hook (or what it
 * starts) writing into a context. An image is self-triggered when the last run built it
 * and its inputs changed while that run's hooks ran or within LOOP_GRACE_MS after the run
 * ended. SELF_TRIGGER_LIMIT such runs in a row pause it (its changes are ignored) until the
 * build file, a Dockerfile or an ignore file changes, or watch restarts. A run the image is
 * not triggered in, or not built in, breaks the chain. Edits made during builds, or right
 * after a run without hooks, never count: a user saving quickly is not a loop.
 */
import { spawn } from 'node:child_process';

export const SELF_TRIGGER_LIMIT = 3;
/** How long after a run with hooks a change still counts as caused by it (event delivery). */
export const LOOP_GRACE_MS = 200;

export class LoopGuard {
  /** Hooks of the current run have started: changes now count. */
  #hooking = false;
  /** End of the last run that ran hooks. */
  #lastHookedRunEnd = Number.NEGATIVE_INFINITY;
  #builtLastRun = new Set<string>();
  /** Images whose inputs changed during the last run or just after it, with the last such path. */
  readonly #window = new Map<string, string>();
  readonly #counts = new Map<string, number>();
  readonly #paused = new Set<string>();
  readonly #limit: number;

  constructor(limit = SELF_TRIGGER_LIMIT) {
    this.#limit = limit;
  }

  isPaused(image: string): boolean {
    return this.#paused.has(image);
  }

  changed(images: readonly string[], path: string, now = performance.now()): void {
    if (!this.#hooking && now - this.#lastHookedRunEnd > LOOP_GRACE_MS) return;
    for (const image of images) this.#window.set(image, path);
  }

  /** A run starts for `dirty`: returns the images to pause now (removed from `dirty`), with why. */
  runStarts(dirty: Set<string>): { image: string; reason: string }[] {
    const paused: { image: string; reason: string }[] = [];
    for (const image of [...this.#counts.keys()]) if (!dirty.has(image)) this.#counts.delete(image);
    for (const image of dirty) {
      const path = this.#window.get(image);
      const self = this.#builtLastRun.has(image) && path !== undefined;
      const count = self ? (this.#counts.get(image) ?? 0) + 1 : 0;
      this.#counts.set(image, count);
      if (count < this.#limit) continue;
      this.#paused.add(image);
      this.#counts.delete(image);
      dirty.delete(image);
      paused.push({
        image,
        reason:
          `its inputs changed while the --on-rebuild hook ran after its own build, ${count} runs in a row (last: ${path ?? '?'}): the hook, or something it starts, writes into its context. ` +
          'Changes to it are ignored until the build file or a .dockerignore changes (or watch restarts); put generated files in outputs or .dockerignore.',
      });
    }
    this.#window.clear();
    this.#hooking = false;
    return paused;
  }

  /** The run's hooks start now. */
  hooksStart(): void {
    this.#hooking = true;
  }

  runEnds(built: Iterable<string>, now = performance.now()): void {
    this.#builtLastRun = new Set(built);
    if (this.#hooking) this.#lastHookedRunEnd = now;
    this.#hooking = false;
  }

  /** The build file or an ignore file changed: watch paused images again. */
  resume(): string[] {
    const was = [...this.#paused];
    this.#paused.clear();
    return was;
  }
}

const HOOK_OUTPUT_LIMIT = 64 * 1024;

/**
 * Runs `command` in a shell in its own process group (killed with it on abort), with
 * MBUILD_IMAGE, MBUILD_IMAGE_ID and MBUILD_TAGS in its environment.
 */
export function runHook(
  command: string,
  o: { cwd: string; image: string; imageId: string; tags: readonly string[]; signal: AbortSignal },
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, {
      shell: true,
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, MBUILD_IMAGE: o.image, MBUILD_IMAGE_ID: o.imageId, MBUILD_TAGS: o.tags.join(' ') },
    });
    let output = '';
    const add = (c: Buffer) => {
      output += c.toString();
      if (output.length > HOOK_OUTPUT_LIMIT) output = output.slice(-HOOK_OUTPUT_LIMIT);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    if (o.signal.aborted) kill();
    o.signal.addEventListener('abort', kill, { once: true });
    child.on('error', (e) => add(Buffer.from(`${e.message}\n`)));
    child.on('close', (code) => {
      o.signal.removeEventListener('abort', kill);
      resolve({ exitCode: code, output });
    });
  });
}
