/**
 * The siblings an output is written through: `<to>.mbuild-tmp-<pid>-<random>` (the new
 * output being written) and `<to>.mbuild-old-<pid>-<random>` (the previous one, moved aside
 * when a rename cannot replace it). A process that was killed leaves them behind; the next
 * run that writes the output removes those whose process no longer runs (and those of
 * older versions of mbuild, which had no PID in the name). Nothing else is ever removed.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../core/process.js';

export type SiblingKind = 'tmp' | 'old';

export const siblingPath = (to: string, kind: SiblingKind): string =>
  join(dirname(to), `${basename(to)}.mbuild-${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);

const lstatOrNull = (p: string) => {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
};

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The siblings of `to` left by processes that no longer run. */
export function staleSiblings(to: string): string[] {
  const pattern = new RegExp(`^${escapeRe(basename(to))}\\.mbuild-(?:tmp|old)-(?:(\\d+)-)?[0-9a-f]{12}$`);
  let names: string[];
  try {
    names = readdirSync(dirname(to));
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      const m = pattern.exec(name);
      if (m === null) return false;
      const pid = m[1] === undefined ? undefined : Number(m[1]);
      return pid === undefined || (pid !== process.pid && !processAlive(pid));
    })
    .map((name) => join(dirname(to), name));
}

/** Removes a tree mbuild wrote, also where it made folders read-only (walked with an explicit stack). */
export async function removeTree(path: string): Promise<void> {
  const stack = lstatOrNull(path)?.isDirectory() ? [path] : [];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      chmodSync(p, 0o700);
      for (const d of readdirSync(p, { withFileTypes: true })) if (d.isDirectory()) stack.push(join(p, d.name));
    } catch {
      // gone already, or not ours to open: rm says what is wrong
    }
  }
  await rm(path, { recursive: true, force: true });
}

/** Removes the stale siblings of `to`; returns their names. */
export async function removeStaleSiblings(to: string): Promise<string[]> {
  const stale = staleSiblings(to);
  for (const p of stale) await removeTree(p);
  return stale.map((p) => basename(p));
}
