/**
 * A throwaway project written from a map of files (`name` is a unique project name, so tags
 * never collide with other tests), removed with its images by `cleanup`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeProjectImages } from './engine-docker.js';
import { uniqueName } from './engine-project.js';

export interface TempProject {
  readonly name: string;
  readonly dir: string;
  /** Removes the folder and every image of the project. */
  cleanup(): void;
}

export function tempProject(label: string, files: (name: string) => Record<string, string>, prefix = 'mbt-project-'): TempProject {
  const name = uniqueName(label);
  const dir = mkdtempSync(join(tmpdir(), `${prefix}${label}-`));
  for (const [path, text] of Object.entries(files(name))) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return {
    name,
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      removeProjectImages(name);
    },
  };
}
