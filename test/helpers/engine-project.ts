/**
 * A throwaway copy of a fixture project under test/fixtures/up/, with a unique project
 * name. Every `__PROJECT__` in the copied files (mbuild.yaml, Dockerfiles) becomes that
 * name, so tags (`<project>/x:t`, `<project>-x:latest`, `mbuild-pin/<project>-x:…`) never
 * collide across tests and test files running at the same time, and every RUN line that
 * mentions it misses the build cache of earlier runs.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type CliResult } from './run-cli.js';
import { removeProjectImages } from './engine-docker.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/up/', import.meta.url));
export const PLACEHOLDER = '__PROJECT__';

export interface TestProject {
  /** The project name, also the prefix of every tag the project makes. */
  readonly name: string;
  /** The folder holding mbuild.yaml. */
  readonly dir: string;
  /** `mbuild up ARGS` in-process, from the project folder, with this process's environment. */
  up(args: readonly string[], env?: Record<string, string | undefined>): Promise<CliResult>;
  /** Removes the copy and every image of the project; returns images left behind (expected: none). */
  cleanup(): string[];
}

/** `mbt-<label>-<8 hex>`: valid as a project name and as the first part of a repository name. */
export const uniqueName = (label: string): string => `mbt-${label}-${randomBytes(4).toString('hex')}`;

export function copyFixture(fixture: string, label: string): TestProject {
  const name = uniqueName(label);
  // Not named mbuild*: the interrupt test watches the temp folder for mbuild's own leftovers.
  const dir = mkdtempSync(join(tmpdir(), `mbt-up-${label}-`));
  cpSync(join(FIXTURES, fixture), dir, { recursive: true, verbatimSymlinks: true });
  substitute(dir, name);
  return {
    name,
    dir,
    up: (args, env = {}) => runCli(['up', ...args], { cwd: dir, env: { ...process.env, ...env } }),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return removeProjectImages(name);
    },
  };
}

function substitute(dir: string, name: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const st = lstatSync(path);
    if (st.isDirectory()) substitute(path, name);
    else if (st.isFile()) {
      const text = readFileSync(path, 'utf8');
      if (text.includes(PLACEHOLDER)) writeFileSync(path, text.replaceAll(PLACEHOLDER, name));
    }
  }
}
