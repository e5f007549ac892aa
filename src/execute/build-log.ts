/**
 * The build log of one image: `.mbuild/logs/<image>.log` on disk (every line, as the reporters
 * show it: no terminal escapes) and the last LOG_TAIL_LINES lines in memory for the failure
 * report. Step headers are written as `docker build --progress=plain` prints them
 * (`#3 [2/3] RUN make`).
 *
 * The log is a convenience, never the build's outcome: a log that cannot be written (a full
 * disk, no permission, an I/O error, `.mbuild/logs` replaced by a file, the log file replaced
 * by a symbolic link, a folder or a device) is reported once through `onError`, what was written of it is removed,
 * and the build goes on; the tail is still kept. Nothing here throws.
 */
import { closeSync, constants, createWriteStream, fstatSync, ftruncateSync, mkdirSync, openSync, unlinkSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join, relative } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { messageOf } from '../core/result.js';

export const LOG_TAIL_LINES = 30;

// A symbolic link in place of the log is not mbuild's: nothing is written through it (O_NOFOLLOW).
// Nor into a FIFO or a device (O_NONBLOCK: opening a FIFO never waits for a reader), nor into a
// file with another name elsewhere (a hard link): the file is truncated only once checked.
const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface BuildLogOptions {
  /** The folder of the logs (created when missing). */
  readonly dir: string;
  readonly image: string;
  /** The project root: the log's path is named relative to it. */
  readonly root: string;
  /** Called at most once, with a sentence saying which log could not be written and why. */
  readonly onError: (message: string) => void;
}

export class BuildLog {
  readonly #o: BuildLogOptions;
  readonly #path: string;
  readonly #tail: string[] = [];
  #stream: WriteStream | undefined;
  #failed = false;
  #steps = 0;

  private constructor(o: BuildLogOptions) {
    this.#o = o;
    this.#path = join(o.dir, `${o.image}.log`);
  }

  /** Opens (truncates) the image's log; a log that cannot be opened is reported and skipped. */
  static open(o: BuildLogOptions): BuildLog {
    const log = new BuildLog(o);
    log.#openFile();
    return log;
  }

  /** A line of the build's output: in the file and in the tail. */
  line(text: string): void {
    this.#write(text);
    this.#tail.push(text);
    if (this.#tail.length > LOG_TAIL_LINES) this.#tail.shift();
  }

  /** A step header, numbered in the order the steps started, as the daemon's plain progress does. */
  step(name: string): void {
    this.line(`#${++this.#steps} ${name}`);
  }

  /** A line for the file only (mbuild's own bookkeeping, not the build's output). */
  note(text: string): void {
    this.#write(text);
  }

  /** The log could not be written (reported through `onError`): there is no file of it. */
  get lost(): boolean {
    return this.#failed;
  }

  /** The last LOG_TAIL_LINES lines. */
  get tail(): readonly string[] {
    return [...this.#tail];
  }

  /** Flushes and closes the file; resolves once it is closed (or removed after an error). */
  async close(): Promise<void> {
    const stream = this.#stream;
    if (stream === undefined) return;
    stream.end();
    await finished(stream).catch(() => undefined);
  }

  #openFile(): void {
    let fd: number;
    try {
      mkdirSync(this.#o.dir, { recursive: true });
    } catch (e) {
      return this.#fail(e, 'mkdir');
    }
    try {
      fd = openOwnFile(this.#path);
    } catch (e) {
      return this.#fail(e, 'open');
    }
    const stream = createWriteStream(this.#path, { fd });
    stream.on('error', (e) => {
      this.#fail(e, 'write');
      // What was written is not the full log: it does not stay to pass for one.
      try {
        unlinkSync(this.#path);
      } catch {
        /* already gone, or not ours to remove */
      }
    });
    this.#stream = stream;
  }

  #write(text: string): void {
    if (this.#failed || this.#stream === undefined) return;
    this.#stream.write(`${text}\n`);
  }

  #fail(e: unknown, op: 'mkdir' | 'open' | 'write'): void {
    if (this.#failed) return;
    this.#failed = true;
    const shown = relative(this.#o.root, this.#path) || this.#path;
    this.#o.onError(`cannot write the build log ${shown}: ${reason(e, op, relative(this.#o.root, this.#o.dir) || this.#o.dir)}; the build goes on without it`);
  }
}

/** Opens the log, emptied; throws for a file that is not mbuild's to overwrite. */
function openOwnFile(path: string): number {
  const fd = openSync(path, OPEN_FLAGS, 0o644);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('it is not a regular file');
    if (st.nlink > 1) throw new Error('it is a hard link to another file');
    ftruncateSync(fd, 0);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Why a log could not be written, in words (`no space left on device`). */
function reason(e: unknown, op: 'mkdir' | 'open' | 'write', dir: string): string {
  const { code, errno } = (e ?? {}) as { code?: string; errno?: number };
  if (op === 'mkdir' && (code === 'EEXIST' || code === 'ENOTDIR')) return `${dir} is not a folder`;
  if (op === 'open' && code === 'ELOOP') return 'it is a symbolic link, and mbuild writes through none';
  if (op === 'open' && code === 'EISDIR') return 'it is a folder';
  // A FIFO with no reader (O_NONBLOCK).
  if (op === 'open' && code === 'ENXIO') return 'it is not a regular file';
  const words = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return words ?? messageOf(e);
}
