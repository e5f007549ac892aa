/** Rules about the project as a whole. */
import { basename } from 'node:path';
import { excerpt } from '../../core/excerpt.js';
import { error, type Rule } from './rule.js';

/**
 * With no `name:`, the project is named after its folder, sanitised. A folder whose name
 * keeps nothing (`ÄÖÜ`, `___`) gives no name; a shared fallback would let two such
 * checkouts label, list and clean each other's images.
 */
export const projectNameMissing: Rule = ({ written, file }) =>
  written.name === undefined && file.name === ''
    ? [
        error(
          'project-name-missing',
          `the folder name '${excerpt(basename(file.root))}' leaves no project name (lowercase letters, digits, '.', '_' and '-' are kept); ` +
            "write one at the top of the build file, e.g. 'name: my-project'",
          file.locate.value([]),
        ),
      ]
    : [];
