import { describe, expect, it } from 'vitest';
import { WatchStateMachine, type Change, type WatchState } from '../../src/watch/state.js';
import { affectedImages } from '../../src/watch/affected.js';
import type { BuildPlan } from '../../src/plan/types.js';

const change = (...images: string[]): Change => ({ images: new Set(images), buildFile: false });

function rig(opts: { debounceMs?: number; ceilingMs?: number } = {}) {
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
      return new Promise<void>((r) => (release = r));
    },
    duringRun: (c) => during.push([...c.images]),
    onState: (s) => states.push(s),
  });
  return {
    machine, runs, during, states,
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
    let stop = false;
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

describe('affectedImages', () => {
  it('adds everything downstream, in plan order, and nothing else', () => {
    const img = (name: string, dependents: string[]) => ({ name, dependsOn: [], dependents, wave: 0, remainingPath: 1 });
    const plan: BuildPlan = {
      project: 'p', requested: [], waves: [], criticalPath: [],
      images: [img('base', ['api', 'web']), img('tools', ['docs']), img('web', ['api']), img('api', []), img('docs', [])],
    };
    expect(affectedImages(plan, new Set(['web']))).toEqual(['web', 'api']);
    expect(affectedImages(plan, new Set(['base', 'docs']))).toEqual(['base', 'web', 'api', 'docs']);
    expect(affectedImages(plan, new Set())).toEqual([]);
  });
});
