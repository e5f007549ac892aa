/** Phase 0: find the build file: `-f/--file`, else mbuild.yaml / mbuild.yml here or in the nearest parent. */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';

export const BUILD_FILE_NAMES = ['mbuild.yaml', 'mbuild.yml'] as const;

export function findBuildFile(explicit: string | undefined, cwd: string): Result<string, Diagnostic> {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) return err(problem(`build file ${explicit} does not exist`));
    if (statSync(path).isDirectory()) {
      const inside = BUILD_FILE_NAMES.map((n) => join(path, n)).find((p) => existsSync(p));
      return inside ? ok(inside) : err(problem(`no ${BUILD_FILE_NAMES.join(' or ')} in folder ${explicit}`));
    }
    return ok(path);
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = BUILD_FILE_NAMES.map((n) => join(dir, n)).find((p) => existsSync(p));
    if (found) return ok(found);
    if (dirname(dir) === dir) break;
  }
  return err(problem(`no ${BUILD_FILE_NAMES.join(' or ')} found in ${resolve(cwd)} or any parent folder (use -f FILE)`));
}

const problem = (message: string): Diagnostic => ({ severity: 'error', code: 'no-build-file', message });
