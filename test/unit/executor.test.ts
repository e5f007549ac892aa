/**
 * Scheduling with a fake builder the test controls: each build waits until the test
 * releases it, so order, concurrency and failure policy are checked deterministically.
 */
import { describe, expect, it } from 'vitest';
import { Executor, type BuildOne, type FailureMode } from '../../src/execute/executor.js';
import type { BuildEvent, ImageOutcome } from '../../src/core/events.js';
import type { BuildPlan, PlannedImage } from '../../src/plan/types.js';

function plan(spec: Record<string, string[]>, remaining: Record<string, number> = {}, tags: Record<string, string[]> = {}): BuildPlan {
  const images: PlannedImage[] = Object.entries(spec).map(([name, deps]) => ({
    name,
    tags: tags[name] ?? [],
    dependsOn: deps.map((d) => ({ image: d, kind: 'depends_on' as const, detail: '' })),
    dependents: [],
    wave: 0,
    remainingPath: remaining[name] ?? 1,
  }));
  return { project: 'p', requested: [], images, waves: [], criticalPath: [] };
}

class Rig {
  readonly started: string[] = [];
  readonly running = new Set<string>();
  maxRunning = 0;
  readonly #release = new Map<string, (o: ImageOutcome) => void>();
  readonly #waiters: (() => void)[] = [];
  readonly events: BuildEvent[] = [];

  buildOne = (image: string, upstream: ReadonlyMap<string, string>, signal: AbortSignal): Promise<ImageOutcome> => {
    this.started.push(`${image}(${[...upstream.values()].join(',')})`);
    this.events.push({ type: 'image-started', image, why: 'test' });
    this.running.add(image);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    this.#waiters.splice(0).forEach((w) => w());
    return new Promise((resolve) => {
      const done = (o: ImageOutcome) => {
        this.running.delete(image);
        resolve(o);
      };
      this.#release.set(image, done);
      signal.addEventListener('abort', () => done({ kind: 'failed', failure: { reason: 'cancelled' }, durationMs: 0 }), { once: true });
    });
  };

  /** Waits until `image` is running (a condition, not a sleep). */
  async whenRunning(...images: string[]): Promise<void> {
    while (!images.every((i) => this.running.has(i))) await new Promise<void>((r) => this.#waiters.push(r));
  }

  succeed(image: string): void {
    this.#release.get(image)!({ kind: 'built', imageId: `id-${image}`, durationMs: 1, size: 1 });
  }

  fail(image: string): void {
    this.#release.get(image)!({ kind: 'failed', failure: { reason: 'build-failed', message: 'boom', logTail: [] }, durationMs: 1 });
  }

  executor(p: BuildPlan, opts: { jobs?: number; mode?: FailureMode; signal?: AbortSignal } = {}) {
    return new Executor({
      plan: p,
      jobs: opts.jobs ?? 4,
      failureMode: opts.mode ?? 'no-new',
      signal: opts.signal ?? new AbortController().signal,
      emit: (e) => this.events.push(e),
      buildOne: this.buildOne,
    });
  }
}

const outcomeOf = (report: { results: readonly { image: string; outcome: ImageOutcome }[] }) =>
  Object.fromEntries(report.results.map((r) => [r.image, r.outcome.kind === 'failed' ? r.outcome.failure.reason : r.outcome.kind]));

describe('Executor', () => {
  it('starts an image as soon as its own inputs are ready, not when a whole wave is done', async () => {
    // a -> c, b (slow) -> d: c must start while b is still running.
    const rig = new Rig();
    const run = rig.executor(plan({ a: [], b: [], c: ['a'], d: ['b'] })).run('fake');
    await rig.whenRunning('a', 'b');
    rig.succeed('a');
    await rig.whenRunning('c');
    expect(rig.running.has('b')).toBe(true);
    rig.succeed('c');
    rig.succeed('b');
    await rig.whenRunning('d');
    rig.succeed('d');
    expect(outcomeOf(await run)).toEqual({ a: 'built', b: 'built', c: 'built', d: 'built' });
    expect(rig.started).toEqual(['a()', 'b()', 'c(id-a)', 'd(id-b)']);
  });

  it('builds a shared upstream once and passes its image ID to every dependent', async () => {
    const rig = new Rig();
    const run = rig.executor(plan({ base: [], x: ['base'], y: ['base'], z: ['x', 'y'] })).run('fake');
    await rig.whenRunning('base');
    rig.succeed('base');
    await rig.whenRunning('x', 'y');
    rig.succeed('x');
    rig.succeed('y');
    await rig.whenRunning('z');
    rig.succeed('z');
    await run;
    expect(rig.started.sort()).toEqual(['base()', 'x(id-base)', 'y(id-base)', 'z(id-x,id-y)']);
  });

  it('never runs more than -j builds at once, and gives a freed slot to the longest remaining path', async () => {
    const rig = new Rig();
    const p = plan({ a: [], b: [], c: [], d: [], e: [] }, { a: 1, b: 1, c: 1, d: 2, e: 3 });
    const run = rig.executor(p, { jobs: 2 }).run('fake');
    await rig.whenRunning('a', 'b');
    expect(rig.running.size).toBe(2);
    rig.succeed('a');
    await rig.whenRunning('e');
    rig.succeed('b');
    await rig.whenRunning('d');
    rig.succeed('e');
    rig.succeed('d');
    await rig.whenRunning('c');
    rig.succeed('c');
    await run;
    expect(rig.maxRunning).toBe(2);
    expect(rig.started).toEqual(['a()', 'b()', 'e()', 'd()', 'c()']);
  });

  it('by default a failure lets running builds finish and starts nothing new', async () => {
    const rig = new Rig();
    const run = rig.executor(plan({ a: [], b: [], c: ['b'], d: [] }), { jobs: 2 }).run('fake');
    await rig.whenRunning('a', 'b');
    rig.fail('a');
    rig.succeed('b');
    expect(outcomeOf(await run)).toEqual({ a: 'build-failed', b: 'built', c: 'not-started', d: 'not-started' });
  });

  it('--keep-going builds everything not downstream of a failure', async () => {
    const rig = new Rig();
    const run = rig.executor(plan({ a: [], b: ['a'], c: [], d: ['c'] }), { mode: 'continue' }).run('fake');
    await rig.whenRunning('a', 'c');
    rig.fail('a');
    rig.succeed('c');
    await rig.whenRunning('d');
    rig.succeed('d');
    expect(outcomeOf(await run)).toEqual({ a: 'build-failed', b: 'dependency-failed', c: 'built', d: 'built' });
  });

  it('an abort cancels running builds and starts nothing else', async () => {
    const rig = new Rig();
    const ac = new AbortController();
    const run = rig.executor(plan({ a: [], b: ['a'], c: [] }), { jobs: 1, signal: ac.signal }).run('fake');
    await rig.whenRunning('a');
    ac.abort();
    const report = await run;
    expect(report.interrupted).toBe(true);
    expect(outcomeOf(report)).toEqual({ a: 'cancelled', b: 'not-started', c: 'not-started' });
    expect(
      rig.events
        .filter((e) => e.type === 'image-done')
        .map((e) => e.image)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});

describe('Executor events', () => {
  it('reports an image done before its slot goes to the next image', async () => {
    const rig = new Rig();
    const run = rig.executor(plan({ a: [], b: [] }), { jobs: 1 }).run('fake');
    await rig.whenRunning('a');
    rig.succeed('a');
    await rig.whenRunning('b');
    rig.succeed('b');
    await run;
    const order = rig.events.filter((e) => e.type !== 'run-started' && e.type !== 'run-finished').map((e) => `${e.type} ${'image' in e ? e.image : ''}`);
    expect(order).toEqual(['image-queued a', 'image-queued b', 'image-started a', 'image-done a', 'image-started b', 'image-done b']);
  });

  it("reports each built image with its plan's tags, and a failed one with none", async () => {
    const rig = new Rig();
    const run = rig.executor(plan({ a: [], b: [] }, {}, { a: ['p/a:dev', 'p/a:1'], b: ['p/b:dev'] }), { mode: 'continue' }).run('fake');
    await rig.whenRunning('a', 'b');
    rig.succeed('a');
    rig.fail('b');
    await run;
    const done = rig.events.flatMap((e) => (e.type === 'image-done' ? [[e.image, e.tags]] : []));
    expect(done).toEqual([
      ['a', ['p/a:dev', 'p/a:1']],
      ['b', []],
    ]);
  });
});

describe('Executor for watch mode', () => {
  it('restart() cancels one in-flight build and runs it again; its dependents wait for the new build', async () => {
    const rig = new Rig();
    const executor = rig.executor(plan({ a: [], b: ['a'] }));
    const run = executor.run('fake');
    await rig.whenRunning('a');
    expect(executor.restart('a')).toBe(true);
    expect(executor.restart('b')).toBe(false);
    await rig.whenRunning('a');
    expect(rig.started).toEqual(['a()', 'a()']);
    rig.succeed('a');
    await rig.whenRunning('b');
    rig.succeed('b');
    expect(outcomeOf(await run)).toEqual({ a: 'built', b: 'built' });
    expect(rig.started).toEqual(['a()', 'a()', 'b(id-a)']);
  });

  it('takes the IDs of upstream images outside the plan from `known`', async () => {
    const rig = new Rig();
    const p = plan({ b: ['a'] });
    const executor = new Executor({
      plan: p,
      jobs: 1,
      failureMode: 'no-new',
      signal: new AbortController().signal,
      emit: () => undefined,
      buildOne: rig.buildOne,
      known: new Map([['a', 'id-old-a']]),
    });
    const run = executor.run('fake');
    await rig.whenRunning('b');
    rig.succeed('b');
    await run;
    expect(rig.started).toEqual(['b(id-old-a)']);
  });
});

describe('Executor: deciding and building are two slots', () => {
  /** A builder in two phases: it decides (the test releases each decision), then builds in a build slot (released too). */
  class PhasedRig {
    readonly log: string[] = [];
    readonly events: BuildEvent[] = [];
    readonly #gates = new Map<string, () => void>();
    readonly #waiters: (() => void)[] = [];

    #gate(name: string): Promise<void> {
      this.#waiters.splice(0).forEach((w) => w());
      return new Promise((r) => this.#gates.set(name, r));
    }

    async until(...names: string[]): Promise<void> {
      while (!names.every((n) => this.#gates.has(n))) await new Promise<void>((r) => this.#waiters.push(r));
    }

    open(name: string): void {
      const g = this.#gates.get(name)!;
      this.#gates.delete(name);
      g();
    }

    readonly buildOne: BuildOne = async (image, _upstream, _signal, slots) => {
      this.log.push(`decide ${image}`);
      await this.#gate(`decide ${image}`);
      const built = await slots!.build(async () => {
        this.log.push(`build ${image}`);
        this.events.push({ type: 'image-started', image, why: 'test' });
        await this.#gate(`build ${image}`);
        return { kind: 'built' as const, imageId: `id-${image}`, durationMs: 1, size: 1 };
      });
      return built ?? { kind: 'failed', failure: { reason: 'not-started' }, durationMs: 0 };
    };

    executor(p: BuildPlan, jobs: number, mode: FailureMode = 'no-new') {
      return new Executor({
        plan: p,
        jobs,
        failureMode: mode,
        signal: new AbortController().signal,
        emit: (e) => this.events.push(e),
        buildOne: this.buildOne,
      });
    }
  }

  it('at -j 1, the next image decides while one builds, and starts building only once the first is reported done', async () => {
    const rig = new PhasedRig();
    const run = rig.executor(plan({ a: [], b: [] }, { a: 2, b: 1 }), 1).run('fake');
    await rig.until('decide a');
    rig.open('decide a');
    await rig.until('build a');
    // a holds the build slot; b takes the decision slot a gave back.
    await rig.until('decide b');
    rig.open('decide b');
    expect(rig.log.sort()).toEqual(['build a', 'decide a', 'decide b']);
    rig.open('build a');
    await rig.until('build b');
    rig.open('build b');
    expect(outcomeOf(await run)).toEqual({ a: 'built', b: 'built' });
    // Never two builds at once in the events: a is done before b starts.
    const order = rig.events.filter((e) => e.type === 'image-started' || e.type === 'image-done').map((e) => `${e.type} ${e.image}`);
    expect(order).toEqual(['image-started a', 'image-done a', 'image-started b', 'image-done b']);
  });

  it('an image decided while another failed is not started (no-new)', async () => {
    const rig = new PhasedRig();
    const failing: BuildOne = async (image, upstream, signal, slots) => {
      if (image !== 'a') return rig.buildOne(image, upstream, signal, slots);
      const r = await slots!.build(async () => {
        await rig.until('decide b');
        return { kind: 'failed' as const, failure: { reason: 'build-failed' as const, message: 'boom', logTail: [] }, durationMs: 1 };
      });
      return r ?? { kind: 'failed', failure: { reason: 'not-started' }, durationMs: 0 };
    };
    const run = new Executor({
      plan: plan({ a: [], b: [] }, { a: 2, b: 1 }),
      jobs: 1,
      failureMode: 'no-new',
      signal: new AbortController().signal,
      emit: () => undefined,
      buildOne: failing,
    }).run('fake');
    await rig.until('decide b');
    rig.open('decide b');
    expect(outcomeOf(await run)).toEqual({ a: 'build-failed', b: 'not-started' });
    expect(rig.log).toEqual(['decide b']);
  });
});
