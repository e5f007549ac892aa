/**
 * Phase 0: find the build file: `-f/--file`, else the nearest folder (here or a parent) with
 * mbuild.yaml / mbuild.yml, or, when it has neither, a compose file (config/compose.ts reads
 * its build sections).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostic.js';
import { err, ok, type Result } from '../core/result.js';

export const BUILD_FILE_NAMES = ['mbuild.yaml', 'mbuild.yml'] as const;

/** Compose's own names, in the order `docker compose` looks for them. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

const NAMES = [...BUILD_FILE_NAMES, ...COMPOSE_FILE_NAMES];

/** The first of NAMES in `dir`. */
const inFolder = (dir: string): string | undefined => NAMES.map((n) => join(dir, n)).find((p) => existsSync(p));

export function findBuildFile(explicit: string | undefined, cwd: string): Result<string, Diagnostic> {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) return err(problem(`build file ${explicit} does not exist`));
    if (statSync(path).isDirectory()) {
      const inside = inFolder(path);
      return inside ? ok(inside) : err(problem(`no ${BUILD_FILE_NAMES.join(' or ')} in folder ${explicit}${NOR_COMPOSE}`));
    }
    return ok(path);
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = inFolder(dir);
    if (found) return ok(found);
    if (dirname(dir) === dir) break;
  }
  return err(problem(`no ${BUILD_FILE_NAMES.join(' or ')} found in ${resolve(cwd)} or any parent folder (use -f FILE)${NOR_COMPOSE}`));
}

const NOR_COMPOSE = `; no compose file (${COMPOSE_FILE_NAMES.join(', ')}) either`;

const problem = (message: string): Diagnostic => ({ severity: 'error', code: 'no-build-file', message });
