/**
 * Where the problems of one image's build become a `Failure` (a value with a `reason`),
 * whether a lower layer returned them or threw them. The layers below throw their own
 * error classes (EngineError, TransferError, CollisionError, ContextChangedError…); this is
 * the one place that tells them apart. Anything else thrown is a bug: it goes on to the
 * executor, which reports it as `unknown-error`.
 */
import { contextErrorText, type ContextPlanError } from '../context/source.js';
import { CollisionError } from '../context/tar.js';
import type { Failure } from '../core/events.js';
import { err, messageOf, unreachable, type Result } from '../core/result.js';
import { EngineError } from '../docker/engine.js';
import { TransferError } from '../mounts/errors.js';

/**
 * What the build was doing when something was thrown:
 *  - `engine`: asking the engine (deciding, resolving mounts, building, moving the tags of
 *    an up-to-date image): an EngineError is the engine's failure;
 *  - `sending`: streaming the context, mounted entries included: a mount's refusal or
 *    collision is the mount's failure, anything else (a file changed or unreadable) the context's;
 *  - `tagging`: tagging a freshly built image: whatever fails there is the engine's.
 */
export type During = 'engine' | 'sending' | 'tagging';

/** The Failure an exception stands for; undefined for a bug. */
export function failureOf(e: unknown, during: 'sending' | 'tagging'): Failure;
export function failureOf(e: unknown, during: During): Failure | undefined;
export function failureOf(e: unknown, during: During): Failure | undefined {
  switch (during) {
    case 'sending':
      return e instanceof TransferError || e instanceof CollisionError
        ? { reason: 'mount-failed', message: e.message }
        : { reason: 'context-error', message: messageOf(e) };
    case 'tagging':
      return { reason: 'engine-error', message: messageOf(e) };
    case 'engine':
      return e instanceof EngineError ? { reason: 'engine-error', message: e.message } : undefined;
    default:
      return unreachable(during);
  }
}

/** Runs a step's work; what it throws becomes its Failure (a bug is thrown on). */
export async function guarded<T>(during: During, work: () => Promise<Result<T, Failure>>): Promise<Result<T, Failure>> {
  try {
    return await work();
  } catch (e) {
    const failure = failureOf(e, during);
    if (failure === undefined) throw e;
    return err(failure);
  }
}

/** A context that cannot be planned or read (missing folder, invalid ignore file at its line). */
export const contextFailure = (e: ContextPlanError): Failure => ({ reason: 'context-error', message: contextErrorText(e) });

/** An output that could not be copied; `cancelled` when Ctrl-C is why. */
export const outputFailure = (message: string, signal: AbortSignal): Failure =>
  signal.aborted ? { reason: 'cancelled' } : { reason: 'output-failed', message };
