import { describe, expect, it } from 'vitest';
import { WatchStateMachine, type Change, type WatchState } from '../../src/watch/state.js';
import { affectedImages } from '../../src/watch/affected.js';
import type { BuildPlan } from '../../src/plan/types.js';

const change = (...images: string[]): Change => ({ images: new Set(images), reload: false });

function rig(opts: { debounceMs?: number; ceilingMs?: number; throwOnce?: boolean } = {}) {
  const runs: string[][] = [];
  const during: string[][] = [];
  const states: WatchState[] = [];
  let release: (() => void) | undefined;
  let started: (() => void) | undefined;
  const machine = new WatchStateMachine({
    debounceMs: opts.debounceMs ?? 20,
    ceilingMs: opts.ceilingMs ?? 10_000,
    run: (c) => {
      runs.push([...c.images].sort());
      started?.();
      if (opts.throwOnce && runs.length === 1) return Promise.reject(new Error('boom'));
      return new Promise<void>((r) => (release = r));
    },
    duringRun: (c) => during.push([...c.images]),
    onState: (s) => states.push(s),
  });
  return {
    machine,
    runs,
    during,
    states,
    nextRun: () => new Promise<void>((r) => (started = r)),
    finishRun: () => release?.(),
  };
}

describe('WatchStateMachine', () => {
  it('debounces a burst into one run with every dirty image', async () => {
    const r = rig();
    const first = r.nextRun();
    for (let i = 0; i < 100; i++) r.machine.changed(change(i % 2 ? 'a' : 'b'));
    expect(r.machine.state).toBe('debouncing');
    await first;
    expect(r.runs).toEqual([['a', 'b']]);
    r.finishRun();
    await r.machine.settled();
    expect(r.states).toEqual(['debouncing', 'running', 'watching']);
  });

  it('a change during a run queues exactly one follow-up run', async () => {
    const r = rig();
    const first = r.nextRun();
    r.machine.changed(change('a'));
    await first;
    r.machine.changed(change('b'));
    r.machine.changed(change('c'));
    expect(r.machine.state).toBe('queued');
    expect(r.during).toEqual([['b'], ['c']]);
    const second = r.nextRun();
    r.finishRun();
    await second;
    r.finishRun();
    await r.machine.settled();
    expect(r.runs).toEqual([['a'], ['b', 'c']]);
  });

  it('a never-ending stream of events still builds within the ceiling', async () => {
    const r = rig({ debounceMs: 50, ceilingMs: 120 });
    const first = r.nextRun();
    let stop = false as boolean; // set below, after the loop started: TypeScript's narrowing does not see it
    const stream = (async () => {
      while (!stop) {
        r.machine.changed(change('a'));
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    await first;
    stop = true;
    await stream;
    expect(r.runs.length).toBe(1);
    r.finishRun();
  });

  it('abort stops everything and waits for the run in progress', async () => {
    const r = rig();
    const first = r.nextRun();
    r.machine.changed(change('a'));
    await first;
    let aborted = false;
    const done = r.machine.abort().then(() => (aborted = true));
    r.machine.changed(change('b'));
    expect(aborted).toBe(false);
    r.finishRun();
    await done;
    expect(r.machine.state).toBe('aborted');
    expect(r.runs).toEqual([['a']]);
  });
});

describe('WatchStateMachine: more', () => {
  it('the debounce is trailing: each change restarts the quiet timer', async () => {
    const r = rig({ debounceMs: 60 });
    const first = r.nextRun();
    const t0 = performance.now();
    r.machine.changed(change('a'));
    await new Promise((res) => setTimeout(res, 40));
    r.machine.changed(change('b'));
    await first;
    // The run waited 60 ms after the second change, not after the first.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(r.runs).toEqual([['a', 'b']]);
    r.finishRun();
  });

  it('runNow runs at once, and a change meanwhile queues one follow-up', async () => {
    const r = rig({ debounceMs: 10_000 });
    const first = r.nextRun();
    const done = r.machine.runNow(change('a', 'b'));
    await first;
    expect(r.machine.state).toBe('running');
    r.machine.changed(change('a'));
    expect(r.machine.state).toBe('queued');
    r.finishRun();
    await done;
    expect(r.machine.state).toBe('debouncing');
    expect(r.runs).toEqual([['a', 'b']]);
    await r.machine.abort();
  });

  it('the reload flag is carried into the next run and then cleared', async () => {
    const seen: boolean[] = [];
    const machine = new WatchStateMachine({ debounceMs: 5, run: async (c) => void seen.push(c.reload) });
    machine.changed({ images: new Set(), reload: true });
    machine.changed(change('a'));
    await new Promise<void>((res) => setTimeout(res, 30));
    await machine.settled();
    machine.changed(change('a'));
    await new Promise<void>((res) => setTimeout(res, 30));
    await machine.settled();
    expect(seen).toEqual([true, false]);
  });

  it('a run that throws does not leave the machine stuck in running', async () => {
    const r = rig({ throwOnce: true });
    const errors: unknown[] = [];
    const onRejection = (e: unknown) => errors.push(e);
    process.on('unhandledRejection', onRejection);
    try {
      const first = r.nextRun();
      r.machine.changed(change('a'));
      await first;
      await new Promise<void>((res) => setTimeout(res, 10));
      expect(r.machine.state).toBe('watching');
      const second = r.nextRun();
      r.machine.changed(change('b'));
      await second;
      expect(r.runs).toEqual([['a'], ['b']]);
      r.finishRun();
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('affectedImages', () => {
  it('adds everything downstream, in plan order, and nothing else', () => {
    const img = (name: string, dependents: string[]) => ({ name, tags: [], dependsOn: [], dependents, wave: 0, remainingPath: 1 });
    const plan: BuildPlan = {
      project: 'p',
      requested: [],
      waves: [],
      criticalPath: [],
      images: [img('base', ['api', 'web']), img('tools', ['docs']), img('web', ['api']), img('api', []), img('docs', [])],
    };
    expect(affectedImages(plan, new Set(['web']))).toEqual(['web', 'api']);
    expect(affectedImages(plan, new Set(['base', 'docs']))).toEqual(['base', 'web', 'api', 'docs']);
    expect(affectedImages(plan, new Set())).toEqual([]);
  });
});
