/**
 * Phase 1's memo: the plain value of the last build file text that parsed cleanly, kept in
 * <root>/.mbuild/yaml-cache.json. Parsing is a pure function of the text, the parser's
 * options and the yaml library's version, so a hit is exactly what parsing would give; the
 * YAML document itself (node positions for diagnostics) is then parsed only if a diagnostic
 * needs a location. Parsing costs a no-op run ~8 ms of cold code.
 *
 * The key is a SHA-256 of the text, those options and version (the one bundled, when the CLI
 * runs from the bundle), and the build file's inode and ctime: a cache file that came with
 * the checkout (committed, copied) cannot name them in advance, so it is never trusted over
 * the file itself (any write of the file is a miss, as for the stat cache).
 *
 * It can cost time, never correctness: a missing, corrupt or foreign file is a miss; the
 * file is written atomically, only into an existing .mbuild/ (a first `validate` in a fresh
 * checkout creates nothing), and only for values JSON keeps exactly.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomicSync } from '../core/atomic-write.js';
import { stateDir, yamlCachePath } from '../core/layout.js';

const FORMAT = 'mbuild-yaml-cache-1';

/** Set by scripts/bundle.mjs: the version of the yaml library compiled into the bundle. */
declare const __MBUILD_YAML_VERSION__: string | undefined;

let yamlVersion: string | undefined;
function yamlPackageVersion(): string {
  if (typeof __MBUILD_YAML_VERSION__ === 'string') return __MBUILD_YAML_VERSION__;
  try {
    return String((createRequire(import.meta.url)('yaml/package.json') as { version: unknown }).version);
  } catch {
    return 'unknown';
  }
}

/**
 * The cache key of `text`: `options` is what the parse depends on besides the text; `file`
 * the build file's inode and ctime (which file it is, as it is now).
 */
export function yamlCacheKey(text: string, options: string, file: { readonly ino: number; readonly ctimeMs: number }): string {
  yamlVersion ??= yamlPackageVersion();
  return createHash('sha256').update(`${FORMAT}\0${yamlVersion}\0${options}\0${file.ino}:${file.ctimeMs}\0${text}`).digest('hex');
}

/** The value cached under `key`, or undefined. */
export function cachedValue(root: string, key: string): { value: unknown } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(yamlCachePath(root), 'utf8'));
  } catch {
    return undefined;
  }
  const d = data as { format?: unknown; key?: unknown; value?: unknown } | null;
  if (d === null || typeof d !== 'object' || d.format !== FORMAT || d.key !== key || !('value' in d)) return undefined;
  return { value: d.value };
}

/** Plain objects, arrays, strings, booleans, null and finite numbers other than -0: what JSON round-trips. */
export function jsonExact(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (Number.isFinite(v) && !Object.is(v, -0)) continue;
      return false;
    }
    if (Array.isArray(v)) for (const item of v) pending.push(item);
    else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const item of Object.values(v)) pending.push(item);
    else return false;
  }
  return true;
}

/** Remembers `value` under `key`; best effort. */
export function storeValue(root: string, key: string, value: unknown): void {
  if (!existsSync(stateDir(root)) || !jsonExact(value)) return;
  try {
    writeFileAtomicSync(yamlCachePath(root), JSON.stringify({ format: FORMAT, key, value }));
  } catch {
    // the next run parses again
  }
}
