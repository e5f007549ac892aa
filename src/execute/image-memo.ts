/**
 * One run's engine, as the executor uses it: an image asked for by its ID (`sha256:…`) is
 * inspected once per run. An image ID names one image for good, so what the engine said of
 * it stays true while the image exists; mbuild removing it (`removeImage`) forgets it. So an
 * image inspected right after its build (execute/finish.ts) is not asked for again by the
 * images built FROM it (their key reads its environment and ONBUILD triggers): one round
 * trip less between two builds of a chain. Tags and other references are always asked.
 */
import type { Engine, ImageInfo } from '../docker/engine.js';

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

export function rememberImageIds(engine: Engine): Engine {
  const known = new Map<string, Promise<ImageInfo | undefined>>();
  const inspectImage = (ref: string, signal?: AbortSignal): Promise<ImageInfo | undefined> => {
    // An inspect that can be dropped is the caller's own: never shared.
    if (!IMAGE_ID.test(ref) || signal !== undefined) return engine.inspectImage(ref, signal);
    const asked = known.get(ref);
    if (asked !== undefined) return asked;
    const asking = engine.inspectImage(ref);
    known.set(ref, asking);
    // A missing image or a failed request is asked again next time.
    asking.then(
      (info) => info === undefined && known.delete(ref),
      () => known.delete(ref),
    );
    return asking;
  };
  const removeImage: Engine['removeImage'] = (ref, opts) => {
    known.clear();
    return engine.removeImage(ref, opts);
  };
  return new Proxy(engine, {
    get(target, property, receiver) {
      if (property === 'inspectImage') return inspectImage;
      if (property === 'removeImage') return removeImage;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
