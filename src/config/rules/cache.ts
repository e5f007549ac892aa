/** Rules about the shared cache (`cache:`). */
import type { Diagnostic } from '../../core/diagnostic.js';
import { excerpt } from '../../core/excerpt.js';
import { repositoryProblem } from '../reference.js';
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
