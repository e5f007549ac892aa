/**
 * One writer per output at a time, across processes: `.mbuild/outputs/<hash of to>.lock`
 * holds `<pid> <host>` of the mbuild writing it, from the decision what may be replaced
 * until the record of what was written. Two runs at once (two terminals, watch and up)
 * otherwise each decide against the other's half-written record. A run that finds the lock
 * held by a live process of this host waits for it; a lock whose process is gone is taken
 * over (moved aside and checked to be that very file first, so that two runs taking over
 * at once cannot both win); a lock of another host is never taken over: the output fails,
 * naming the file to remove.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { link, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { shownPath } from '../core/folders.js';
import { outputsStateDir } from '../core/layout.js';
import { byText } from '../core/order.js';
import { processAlive } from '../core/process.js';
import { err, ok, type Result } from '../core/result.js';
import { outputStatePath } from './state.js';

/** How often a waiting run looks at the lock again. */
const POLL_MS = 100;

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly ino: number;
}

function holderOf(path: string): Holder | undefined {
  try {
    const ino = lstatSync(path).ino;
    const [pid = '', host = ''] = readFileSync(path, 'utf8').trim().split(' ');
    return { pid: Number(pid), host, ino };
  } catch {
    return undefined;
  }
}

/** Creates the lock with its content in one step (a hard link of a finished file), or says it exists. */
async function create(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content);
    await link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
    return await writeFile(path, content, { flag: 'wx' }).then(
      () => true,
      (w: unknown) => ((w as NodeJS.ErrnoException).code === 'EEXIST' ? false : Promise.reject(w)),
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Removes the lock of a process that is gone, if it is still that very file. */
async function takeOver(path: string, stale: Holder): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // gone already
  }
  if (lstatSync(aside).ino !== stale.ino) await link(aside, path).catch(() => undefined); // a live lock: put it back
  await unlink(aside);
}

export interface LockOptions {
  readonly signal: AbortSignal;
  /** Said once when the lock is held by another live mbuild. */
  readonly onWait: (message: string) => void;
}

/** Waits for the lock of output `to` (shown); an error when it cannot be had. */
async function acquire(root: string, to: string, opts: LockOptions): Promise<Result<void, string>> {
  const path = outputStatePath(root, to, 'lock');
  const me = `${process.pid} ${hostname()}\n`;
  let said = false;
  for (;;) {
    if (await create(path, me)) return ok(undefined);
    const holder = holderOf(path);
    if (holder === undefined) continue; // released meanwhile
    if (holder.host !== hostname()) {
      return err(`${to} is being written by mbuild ${holder.pid} on host ${holder.host || '?'}; if no mbuild runs there, remove ${shownPath(root, path)}`);
    }
    if (!Number.isInteger(holder.pid) || holder.pid <= 0 || !processAlive(holder.pid)) {
      await takeOver(path, holder);
      continue;
    }
    if (!said) opts.onWait(`waiting for mbuild ${holder.pid}, which is writing output ${to}`);
    said = true;
    try {
      await delay(POLL_MS, undefined, { signal: opts.signal });
    } catch {
      return err(`cancelled while waiting for mbuild ${holder.pid}, which is writing output ${to}`);
    }
  }
}

/**
 * Takes the locks of the outputs `tos` (shown), in one order so that two runs never wait
 * for each other; the release function, or an error (then none is held).
 */
export async function lockOutputs(root: string, tos: readonly string[], opts: LockOptions): Promise<Result<() => Promise<void>, string>> {
  await mkdir(outputsStateDir(root), { recursive: true });
  const held: string[] = [];
  const release = async (): Promise<void> => {
    for (const to of held) await rm(outputStatePath(root, to, 'lock'), { force: true });
  };
  for (const to of [...new Set(tos)].sort(byText)) {
    const got = await acquire(root, to, opts);
    if (!got.ok) {
      await release();
      return got;
    }
    held.push(to);
  }
  return ok(release);
}
