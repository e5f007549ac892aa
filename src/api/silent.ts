/**
 * The CLI's helpers write warnings to a `CliIo`: the library hands them one that prints
 * nothing and keeps each line, so that no call writes to stdout or stderr.
 */
import { Writable } from 'node:stream';
import type { CliIo } from '../cli/io.js';

export interface SilentIo {
  readonly io: CliIo;
  /** The lines written so far, without a `warning: ` prefix. */
  lines(): string[];
}

export function silentIo(cwd: string, env: CliIo['env']): SilentIo {
  let text = '';
  const sink = (): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
  return {
    io: { cwd, env, stdout: sink(), stderr: sink() },
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/^warning: /, '')),
  };
}
