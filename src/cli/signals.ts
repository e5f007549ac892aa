import { stopHelpers } from '../registry/helpers.js';

/**
 * SIGINT/SIGTERM -> one AbortController for the whole run (wireit, lint-staged). A second
 * signal while cleaning up exits at once with 130.
 */
export function abortOnSignals(onSecond: () => void = () => process.exit(130)): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = () => {
    if (controller.signal.aborted) onSecond();
    else {
      controller.abort(new Error('interrupted'));
      // A credential helper that hangs would hold the run until its timeout.
      stopHelpers();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
