/**
 * The engine's build stream as mbuild shows it: step events become BuildEvents for the
 * reporters and lines of the build log. Classic step names are counted over the
 * Dockerfile's own steps; mbuild's label steps go to the log file only.
 */
import type { EmitEvent } from '../core/events.js';
import type { BuildStreamEvent } from '../docker/engine.js';
import { LABEL_STEP, userStepName } from '../dockerfile/label-line.js';
import type { BuildLog } from './build-log.js';

export function buildEvents(emit: EmitEvent, image: string, log: BuildLog, labelSteps: number): (e: BuildStreamEvent) => void {
  const hidden = new Set<string>();
  return (e) => {
    switch (e.type) {
      case 'step-started': {
        const step = userStepName(e.name, labelSteps);
        if (step === undefined) {
          hidden.add(e.stepId);
          log.note(`# ${LABEL_STEP} (${e.name.replace(/^\[\d+\/\d+\] /, '')})`);
          return;
        }
        log.step(step);
        emit({ type: 'image-step', image, step, cached: false });
        return;
      }
      case 'step-completed': {
        const step = userStepName(e.name, labelSteps) ?? LABEL_STEP;
        if (e.cached && !hidden.has(e.stepId)) emit({ type: 'image-step', image, step, cached: true });
        if (e.error) log.line(`ERROR ${step}: ${e.error}`);
        return;
      }
      case 'log':
        for (const l of e.text.replace(/\n$/, '').split('\n')) {
          log.line(l);
          emit({ type: 'image-log', image, line: l });
        }
        return;
      case 'warning':
        log.line(`WARNING ${e.text}`);
        emit({ type: 'image-warning', image, message: e.text });
        return;
    }
  };
}
