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
  /** Removes the folder and every image of the project; returns the images left (expected: none). */
  cleanup(): string[];
}

/**
 * `folderIsName`: the project folder is named after the project (for a build file without
 * `name:`, whose project name is its folder's), inside a temporary parent.
 */
export function tempProject(
  label: string,
  files: (name: string) => Record<string, string>,
  prefix = 'mbt-project-',
  opts: { readonly folderIsName?: boolean } = {},
): TempProject {
  const name = uniqueName(label);
  const parent = mkdtempSync(join(tmpdir(), `${prefix}${label}-`));
  const dir = opts.folderIsName === true ? join(parent, name) : parent;
  for (const [path, text] of Object.entries(files(name))) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return {
    name,
    dir,
    cleanup: () => {
      rmSync(parent, { recursive: true, force: true });
      return removeProjectImages(name);
    },
  };
}
