/**
 * Where a build's exceptions become Failures (src/execute/failure.ts): each error class of
 * the layers below, in each thing the build was doing; a bug is thrown on, for the executor.
 */
import { describe, expect, it } from 'vitest';
import { CollisionError } from '../../src/context/tar.js';
import { ContextChangedError } from '../../src/context/walk.js';
import { err, ok } from '../../src/core/result.js';
import { EngineError } from '../../src/docker/engine.js';
import { contextFailure, failureOf, guarded, outputFailure } from '../../src/execute/failure.js';
import { TransferError } from '../../src/mounts/errors.js';

const endpoint = { url: 'unix:///fake', source: 'default' } as never;

describe('failureOf', () => {
  const engine = new EngineError('inspecting image x: boom (HTTP 500)', endpoint, 500);
  const transfer = new TransferError('mount web:/app -> static: not a folder');
  const collision = new CollisionError('mount web:/app -> static collides with context folder static');
  const changed = new ContextChangedError('src/a.txt', 'changed after its hash was taken');
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");

  it('asking the engine: its EngineError is an engine-error; anything else is a bug', () => {
    expect(failureOf(engine, 'engine')).toEqual({ reason: 'engine-error', message: 'inspecting image x: boom (HTTP 500)' });
    for (const e of [transfer, collision, changed, bug, 'a string']) expect(failureOf(e, 'engine')).toBeUndefined();
  });

  it("sending the context: a mount's refusal or collision is mount-failed, anything else context-error", () => {
    expect(failureOf(transfer, 'sending')).toEqual({ reason: 'mount-failed', message: transfer.message });
    expect(failureOf(collision, 'sending')).toEqual({ reason: 'mount-failed', message: collision.message });
    expect(failureOf(changed, 'sending')).toEqual({
      reason: 'context-error',
      message: 'context changed while it was sent: src/a.txt (changed after its hash was taken)',
    });
    expect(failureOf(engine, 'sending')).toEqual({ reason: 'context-error', message: engine.message });
    expect(failureOf('EACCES', 'sending')).toEqual({ reason: 'context-error', message: 'EACCES' });
  });

  it('tagging a built image: whatever fails is an engine-error', () => {
    expect(failureOf(engine, 'tagging')).toEqual({ reason: 'engine-error', message: engine.message });
    expect(failureOf(bug, 'tagging')).toEqual({ reason: 'engine-error', message: bug.message });
  });
});

describe('guarded', () => {
  it('passes a result through, turns what it stands for into a Failure, and throws a bug on', async () => {
    expect(await guarded('engine', async () => ok(1))).toEqual(ok(1));
    expect(await guarded('engine', async () => err({ reason: 'cancelled' as const }))).toEqual(err({ reason: 'cancelled' }));
    expect(
      await guarded('engine', async () => {
        throw new EngineError('gone', endpoint);
      }),
    ).toEqual(err({ reason: 'engine-error', message: 'gone' }));
    await expect(
      guarded('engine', async () => {
        throw new TypeError('a bug');
      }),
    ).rejects.toThrow('a bug');
  });
});

describe('failures from results', () => {
  it('a context that cannot be read names its file (and line)', () => {
    expect(contextFailure({ kind: 'ignore-invalid', path: '/p/app/.dockerignore', line: 3, message: 'bad pattern' })).toEqual({
      reason: 'context-error',
      message: '/p/app/.dockerignore:3: bad pattern',
    });
    expect(contextFailure({ kind: 'context-unreadable', path: '/p/app', message: 'no such folder' })).toEqual({
      reason: 'context-error',
      message: '/p/app: no such folder',
    });
  });

  it('an output that could not be copied, unless Ctrl-C is why', () => {
    const c = new AbortController();
    expect(outputFailure('no space', c.signal)).toEqual({ reason: 'output-failed', message: 'no space' });
    c.abort();
    expect(outputFailure('no space', c.signal)).toEqual({ reason: 'cancelled' });
  });
});
