/**
 * Once per test run: the V8 code caches of the CLIs the tests spawn (bin/mbuild.js keeps them
 * in $XDG_CACHE_HOME/mbuild) go to a temp folder removed at the end, not to the user's cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'mbt-xdg-cache-'));
  process.env['XDG_CACHE_HOME'] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
