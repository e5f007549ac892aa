/** Rules about names: every reference points at a declared image or group. */
import type { Diagnostic, Location } from '../../core/diagnostic.js';
import { didYouMean } from '../../core/suggest.js';
import { isImageReference } from '../reference.js';
import { error, type Rule } from './rule.js';

/** `args: {X: {image: NAME}}`, `depends_on` and `extends` must name an image of this file. */
export const unknownImageReference: Rule = ({ written, file }) => {
  const names = Object.keys(written.images);
  const out: Diagnostic[] = [];
  for (const [name, image] of Object.entries(written.images)) {
    const check = (target: string, path: (string | number)[], what: string) => {
      if (Object.hasOwn(written.images, target)) return;
      out.push(error('unknown-image', `unknown image '${target}' in ${what} of image '${name}'${didYouMean(target, names)}`, file.locate.value(path)));
    };
    for (const [arg, value] of Object.entries(image.args ?? {})) {
      if (typeof value !== 'string') check(value.image, ['images', name, 'args', arg, 'image'], `args.${arg}`);
    }
    (image.depends_on ?? []).forEach((dep, i) => check(dep, ['images', name, 'depends_on', i], 'depends_on'));
    if (image.extends !== undefined) check(image.extends, ['images', name, 'extends'], 'extends');
  }
  return out;
};

/**
 * A mount's `from` (each side of `A..B`) is an image of this file or an external
 * reference. A bare word that is neither an in-file image nor tagged is almost always
 * a typo, so an external image must carry a tag, a digest or a registry path.
 */
export const unknownMountSource: Rule = ({ written, file }) => {
  const names = Object.keys(written.images);
  const out: Diagnostic[] = [];
  for (const [name, image] of Object.entries(written.images)) {
    (image.mounts ?? []).forEach((mount, i) => {
      const at = (): Location => file.locate.value(['images', name, 'mounts', i, 'from']);
      const parts = mount.from.includes('..') ? mount.from.split('..') : [mount.from];
      if (parts.length > 2 || parts.some((p) => p === '')) {
        out.push(error('invalid-mount-source', `invalid mount source '${mount.from}': write IMAGE or A..B`, at()));
        return;
      }
      for (const part of parts) {
        if (Object.hasOwn(written.images, part)) continue;
        const external = /[:@/]/.test(part) && isImageReference(part);
        if (!external) {
          out.push(
            error(
              'unknown-image',
              `unknown image '${part}' in mounts of image '${name}'${didYouMean(part, names)} (an external image needs a tag, e.g. '${part}:latest')`,
              at(),
            ),
          );
        }
      }
    });
  }
  return out;
};

/** `contexts: {NAME: {image: Y}}` names another image of this file; a string entry is an image reference. */
export const unknownContextImage: Rule = ({ file }) => {
  const names = [...file.images.keys()];
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    for (const [name, c] of image.contexts) {
      if (c.kind === 'external') {
        if (!isImageReference(c.ref))
          out.push(
            error('invalid-reference', `contexts.${name} of image '${image.name}': '${c.ref}' is not a valid image reference`, file.locate.value(c.origin)),
          );
      } else if (c.image === image.name) {
        out.push(error('unknown-image', `contexts.${name} of image '${image.name}' names the image itself`, file.locate.value([...c.origin, 'image'])));
      } else if (!file.images.has(c.image)) {
        out.push(
          error(
            'unknown-image',
            `unknown image '${c.image}' in contexts.${name} of image '${image.name}'${didYouMean(c.image, names)}`,
            file.locate.value([...c.origin, 'image']),
          ),
        );
      }
    }
  }
  return out;
};

/** Group members name images or other groups. */
export const unknownGroupMember: Rule = ({ written, file }) => {
  const candidates = [...Object.keys(written.images), ...Object.keys(written.groups ?? {})];
  const out: Diagnostic[] = [];
  for (const [group, members] of Object.entries(written.groups ?? {})) {
    members.forEach((member, i) => {
      if (Object.hasOwn(written.images, member) || Object.hasOwn(written.groups ?? {}, member)) return;
      out.push(
        error(
          'unknown-image',
          `unknown image or group '${member}' in group '${group}'${didYouMean(member, candidates)}`,
          file.locate.value(['groups', group, i]),
        ),
      );
    });
  }
  return out;
};

/** `mbuild up NAME` must not be ambiguous. */
export const groupNamedLikeImage: Rule = ({ written, file }) =>
  Object.keys(written.groups ?? {})
    .filter((group) => Object.hasOwn(written.images, group))
    .map((group) =>
      error('ambiguous-name', `group '${group}' has the same name as an image`, file.locate.key(['groups', group]), [
        { message: `image '${group}' is declared here`, location: file.locate.key(['images', group]) },
      ]),
    );

/** `extends` belongs to an image, not to `defaults`. */
export const extendsInDefaults: Rule = ({ written, file }) =>
  written.defaults?.extends === undefined
    ? []
    : [error('extends-in-defaults', "'extends' is not allowed in defaults", file.locate.key(['defaults', 'extends']))];
