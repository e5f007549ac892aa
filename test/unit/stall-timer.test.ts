/** docker/stall.ts: the moving deadline of a pull or push (issue 17's stall timeout). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StallTimer } from '../../src/docker/stall.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('StallTimer', () => {
  it('aborts once nothing touched it for its time, and says it stalled', () => {
    const t = new StallTimer(3000);
    vi.advanceTimersByTime(2999);
    expect(t.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(t.signal.aborted).toBe(true);
    expect(t.stalled).toBe(true);
    expect((t.signal.reason as Error).message).toBe('no progress for 3 s');
  });

  it('a touch moves the deadline: progress every 2 s never stalls a 3 s timer', () => {
    const t = new StallTimer(3000);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(2000);
      t.touch();
    }
    expect(t.signal.aborted).toBe(false);
    vi.advanceTimersByTime(3000);
    expect(t.stalled).toBe(true);
  });

  it('the outer signal (Ctrl-C) aborts it without a stall', () => {
    const outer = new AbortController();
    const t = new StallTimer(3000, outer.signal);
    outer.abort(new Error('cancelled'));
    expect(t.signal.aborted).toBe(true);
    expect(t.stalled).toBe(false);
    t.dispose();
  });

  it('disposed: it never fires', () => {
    const t = new StallTimer(3000);
    t.dispose();
    vi.advanceTimersByTime(10_000);
    expect(t.signal.aborted).toBe(false);
    expect(t.stalled).toBe(false);
  });
});
