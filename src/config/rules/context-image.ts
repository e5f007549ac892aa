/**
 * `context: {image, path}`: `path` is absolute, and `image` is an image of this file or a
 * local image reference (as a mount's `from`: a bare word that is neither is a typo).
 * Whether the path exists in the image is known only when it is read (the build fails then).
 */
import type { Diagnostic } from '../../core/diagnostic.js';
import { didYouMean } from '../../core/suggest.js';
import { isImageReference } from '../reference.js';
import { error, type Rule } from './rule.js';

export const contextImage: Rule = ({ file }) => {
  const names = [...file.images.keys()];
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    const c = image.contextImage;
    if (c === undefined) continue;
    const at = file.locate.value([...c.origin, 'image']);
    if (c.source.kind === 'external' && !/[:@/]/.test(c.from)) {
      const hint = `${didYouMean(c.from, names)} (an external image needs a tag, e.g. '${c.from}:latest')`;
      out.push(error('unknown-image', `unknown image '${c.from}' in context of image '${image.name}'${hint}`, at));
    } else if (c.source.kind === 'external' && !isImageReference(c.from)) {
      out.push(error('invalid-reference', `'${c.from}' in context of image '${image.name}' is neither an image of this file nor a valid image reference`, at));
    }
    if (!c.path.startsWith('/')) {
      out.push(
        error(
          'context-path-relative',
          `context path '${c.path}' of image '${image.name}' must be absolute: it is a folder inside image '${c.from}'`,
          file.locate.value([...c.origin, 'path']),
        ),
      );
    }
  }
  return out;
};
