/**
 * The names mbuild gives its own files, in one place: the state folder `.mbuild/` of a
 * project and what it holds, and the Dockerfile it injects into a context. None of them is
 * ever an input: a context leaves `.mbuild/` out, watch never watches it, no output writes
 * into it.
 *
 *   .mbuild/stat-cache.json      size, mtime, inode, ctime -> hash, and folder listings (cache/stat-cache.ts; binary
 *                                since format 3, the old name kept so that a JSON cache is converted in place)
 *   .mbuild/yaml-cache.json      the parsed build file (config/yaml-cache.ts)
 *   .mbuild/state/<image>.json   the inputs of the image's last build, and its `.key` history (cache/manifest.ts)
 *   .mbuild/built.json           the image IDs this checkout built, for the garbage policy (cache/gc-record.ts)
 *   .mbuild/logs/<image>.log     the full log of its last build (execute/build-log.ts)
 *   .mbuild/outputs/             a record and a lock per output (outputs/state.ts, outputs/lock.ts)
 */
import { join } from 'node:path';

/** The state folder's name: at the project root, and left out at the top of every context. */
export const STATE_DIR = '.mbuild';

/** The name of the Dockerfile mbuild adds to a context when it is not in it (inline, or outside the context). */
export const DEFAULT_INJECTED_DOCKERFILE = '.mbuild.Dockerfile';

export const stateDir = (root: string): string => join(root, STATE_DIR);
export const statCachePath = (root: string): string => join(stateDir(root), 'stat-cache.json');
export const yamlCachePath = (root: string): string => join(stateDir(root), 'yaml-cache.json');
export const manifestsDir = (root: string): string => join(stateDir(root), 'state');
export const manifestPath = (root: string, image: string): string => join(manifestsDir(root), `${image}.json`);
export const builtRecordPath = (root: string): string => join(stateDir(root), 'built.json');
export const logsDir = (root: string): string => join(stateDir(root), 'logs');
export const logPath = (root: string, image: string): string => join(logsDir(root), `${image}.log`);
export const outputsStateDir = (root: string): string => join(stateDir(root), 'outputs');
