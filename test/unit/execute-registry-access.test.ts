/**
 * The push queue and retry of execute/registry-access.ts: pushes into one repository run one
 * at a time (a registry may fail two uploads of one layer into one repository at once),
 * pushes into different repositories share the cap; a push failed by a 5xx or 429 is tried
 * again (three tries in all), a 4xx is not, and Ctrl-C stops the waiting.
 */
import { describe, expect, it } from 'vitest';
import { RegistryAccess, withRetry } from '../../src/execute/registry-access.js';
import type { Credentials } from '../../src/registry/credentials.js';
import { RegistryClient } from '../../src/registry/client.js';

// Neither is asked anything by push().
const credentials: Credentials = { get: () => Promise.resolve({ ok: true, value: undefined }), all: () => Promise.resolve({ ok: true, value: {} }) };
const access = (cap: number): RegistryAccess => new RegistryAccess(credentials, new RegistryClient(credentials), { from: [] }, true, cap);

/** A push that records when it ran and finishes when released. */
function gate(log: string[], name: string): { work: () => Promise<string>; release: () => void } {
  let release = (): void => undefined;
  const done = new Promise<void>((r) => (release = r));
  return {
    work: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    release: () => release(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RegistryAccess.push', () => {
  it('runs pushes into one repository one at a time, in order, and others beside them', async () => {
    const a = access(4);
    const log: string[] = [];
    const [x1, x2, y] = [gate(log, 'x1'), gate(log, 'x2'), gate(log, 'y')];
    const runs = [a.push('reg/x', x1.work), a.push('reg/x', x2.work), a.push('reg/y', y.work)];
    await tick();
    expect(log).toEqual(['start x1', 'start y']);
    x1.release();
    await tick();
    await tick();
    expect(log).toEqual(['start x1', 'start y', 'end x1', 'start x2']);
    x2.release();
    y.release();
    expect(await Promise.all(runs)).toEqual(['x1', 'x2', 'y']);
  });

  it('a failed push does not stop the next one into the same repository', async () => {
    const a = access(1);
    const failed = a.push('reg/x', () => Promise.reject(new Error('denied')));
    const next = a.push('reg/x', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('denied');
    expect(await next).toBe('ok');
  });

  it('keeps to the cap across repositories', async () => {
    const a = access(1);
    const log: string[] = [];
    const [x, y] = [gate(log, 'x'), gate(log, 'y')];
    const runs = [a.push('reg/x', x.work), a.push('reg/y', y.work)];
    await tick();
    expect(log).toEqual(['start x']);
    x.release();
    y.release();
    await Promise.all(runs);
    expect(log).toEqual(['start x', 'end x', 'start y', 'end y']);
  });
});

describe('withRetry', () => {
  it('tries a push again after a 5xx or 429, three tries in all', async () => {
    let tries = 0;
    const signal = new AbortController().signal;
    const work = () => {
      tries++;
      return Promise.reject(new Error('pushing x:1: received unexpected HTTP status: 500 Internal Server Error'));
    };
    await expect(withRetry(signal, work)).rejects.toThrow('500');
    expect(tries).toBe(3);
  }, 10_000);

  it('succeeds on a later try', async () => {
    let tries = 0;
    const result = await withRetry(new AbortController().signal, () =>
      ++tries < 2 ? Promise.reject(new Error('429 Too Many Requests')) : Promise.resolve('ok'),
    );
    expect([result, tries]).toEqual(['ok', 2]);
  });

  it('does not try again after a 4xx or when interrupted', async () => {
    let tries = 0;
    await expect(
      withRetry(new AbortController().signal, () => (tries++, Promise.reject(new Error('unauthorized: authentication required')))),
    ).rejects.toThrow();
    expect(tries).toBe(1);
    const c = new AbortController();
    let later = 0;
    const running = withRetry(c.signal, () => {
      later++;
      if (later === 1) setImmediate(() => c.abort());
      return Promise.reject(new Error('503 Service Unavailable'));
    });
    await expect(running).rejects.toThrow('503');
    expect(later).toBe(1);
  });
});
