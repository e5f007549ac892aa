/** Rules about the shared cache (`cache:`). */
import type { Diagnostic } from '../../core/diagnostic.js';
import { excerpt } from '../../core/excerpt.js';
import { officialImageRepository, repositoryProblem } from '../reference.js';
import { error, type Rule } from './rule.js';

/** `cache.to` and every `cache.from` name a repository: mbuild adds the key as the tag. */
export const invalidCacheRepository: Rule = ({ written, file }) => {
  const out: Diagnostic[] = [];
  const check = (text: string, path: (string | number)[]): void => {
    const problem = repositoryProblem(text);
    if (problem !== undefined) out.push(error('invalid-cache-repository', `invalid cache repository '${excerpt(text)}': ${problem}`, file.locate.value(path)));
  };
  if (written.cache?.to !== undefined) check(written.cache.to, ['cache', 'to']);
  (written.cache?.from ?? []).forEach((text, i) => check(text, ['cache', 'from', i]));
  return out;
};

/**
 * `push: true` with a tag naming no registry and no namespace (every default tag): a push
 * would go to Docker Hub's official images (`docker.io/library/…`), which no one may push to.
 * `up --push` and `mbuild push` check the other images they push (cli/registries.ts).
 */
export const pushToOfficialImages: Rule = ({ file }) => {
  const out: Diagnostic[] = [];
  for (const image of file.images.values()) {
    if (!image.push) continue;
    image.tags.forEach((tag, i) => {
      if (officialImageRepository(tag) === undefined) return;
      const where = image.origins.keys['tags']
        ? file.locate.value([...image.origins.keys['tags'], i])
        : file.locate.key(image.origins.keys['push'] ?? image.origins.self);
      out.push(
        error(
          'push-official-image',
          `image '${image.name}' has push: true, but its tag '${excerpt(tag)}' would be pushed to Docker Hub's official images; give it a registry or a namespace, e.g. registry.example.com/${excerpt(tag)}`,
          where,
        ),
      );
    });
  }
  return out;
};
