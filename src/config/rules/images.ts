/** Rules about each image's own settings: tags, labels, args, Dockerfile source. */
import type { Diagnostic } from '../../core/diagnostic.js';
import { excerpt } from '../../core/excerpt.js';
import { RESERVED_PREFIX } from '../../core/labels.js';
import type { ImageSpec } from '../types.js';
import { tagProblem } from '../reference.js';
import { error, warning, type Rule } from './rule.js';
import type { BuildFile } from '../types.js';

function tagLocation(file: BuildFile, image: ImageSpec, index: number) {
  const tags = image.origins.keys['tags'];
  return tags ? file.locate.value([...tags, index]) : file.locate.key(image.origins.self);
}

export const invalidTag: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    image.tags.forEach((tag, i) => {
      const problem = tagProblem(tag);
      if (problem === undefined) return;
      const defaulted = image.origins.keys['tags'] === undefined ? ` (the default tag of image '${image.name}')` : '';
      out.push(error('invalid-tag', `invalid tag '${excerpt(tag)}'${defaulted}: ${problem}`, tagLocation(file, image, i)));
    });
  }
  return out;
};

/** `'a', 'b' and 'c'`; a long list as its first names and how many more. */
function nameList(names: readonly string[], shown = 5): string {
  const quoted = names.slice(0, shown).map((n) => `'${n}'`);
  if (names.length > shown) return `${quoted.join(', ')} and ${names.length - shown} more`;
  return quoted.join(', ').replace(/, ([^,]*)$/, ' and $1');
}

export const duplicateTag: Rule = ({ file }) => {
  const byTag = new Map<string, { image: ImageSpec; index: number }[]>();
  for (const image of file.images.values()) {
    image.tags.forEach((tag, index) => {
      const key = tag.includes(':', tag.lastIndexOf('/') + 1) ? tag : `${tag}:latest`;
      const uses = byTag.get(key);
      if (uses === undefined) byTag.set(key, [{ image, index }]);
      else uses.push({ image, index });
    });
  }
  const out: Diagnostic[] = [];
  for (const [tag, uses] of byTag) {
    const names = [...new Set(uses.map((u) => u.image.name))];
    if (names.length < 2) continue;
    // One diagnostic per place the tag is written (an inherited tag is written once).
    const places = new Map<number, { location: ReturnType<typeof tagLocation>; images: string[] }>();
    for (const use of uses) {
      const location = tagLocation(file, use.image, use.index);
      const place = places.get(location.range.offset) ?? { location, images: [] };
      place.images.push(use.image.name);
      places.set(location.range.offset, place);
    }
    const [first, ...rest] = [...places.values()];
    const list = nameList(names);
    if (rest.length === 0) {
      out.push(error('duplicate-tag', `tag '${excerpt(tag)}' is used by images ${list} (through extends)`, first!.location));
      continue;
    }
    const note = {
      message: `image${first!.images.length > 1 ? 's' : ''} ${nameList(first!.images)} use${first!.images.length > 1 ? '' : 's'} it here`,
      location: first!.location,
    };
    for (const place of rest) out.push(error('duplicate-tag', `tag '${excerpt(tag)}' is used by images ${list}`, place.location, [note]));
  }
  return out;
};

export const dockerfileAndInline: Rule = ({ written, file }) => {
  const out: Diagnostic[] = [];
  for (const [scope, image] of [['defaults', written.defaults] as const, ...Object.entries(written.images).map(([n, i]) => [n, i] as const)]) {
    if (image?.dockerfile !== undefined && image.dockerfile_inline !== undefined) {
      const base = scope === 'defaults' ? ['defaults'] : ['images', scope];
      out.push(
        error(
          'dockerfile-and-inline',
          `${scope === 'defaults' ? 'defaults' : `image '${scope}'`} sets both 'dockerfile' and 'dockerfile_inline'; keep one`,
          file.locate.key([...base, 'dockerfile_inline']),
        ),
      );
    }
  }
  return out;
};

/** Labels under io.mbuild. carry mbuild's own metadata (cache keys); a build file may not forge them. */
export const reservedLabel: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    for (const key of Object.keys(image.labels).filter((k) => k.startsWith(RESERVED_PREFIX))) {
      out.push(
        error(
          'reserved-label',
          `label '${key}' is reserved: keys under ${RESERVED_PREFIX} are set by mbuild`,
          file.locate.key(image.origins.labels[key] ?? image.origins.self),
        ),
      );
    }
  }
  return out;
};

const SECRET_NAME = /TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/** Build args end up in the image's history; secret-looking names get a warning. */
export const secretLikeArg: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const image of file.images.values()) {
    for (const arg of Object.keys(image.args).filter((a) => SECRET_NAME.test(a))) {
      const origin = image.origins.args[arg] ?? image.origins.self;
      const key = origin.join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(
        warning(
          'secret-like-arg',
          `build arg '${arg}' looks like a secret; build args are stored in the image's history, anyone with the image can read it`,
          file.locate.key(origin),
        ),
      );
    }
  }
  return out;
};
