/** The CLI's view of the outside world, injectable for tests. */
export interface CliIo {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export const processIo = (): CliIo => ({ cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr });

/** Exit codes: 0 ok, 1 build failed, 2 invalid input or usage, 130 interrupted. */
export const ExitCode = { ok: 0, failed: 1, invalid: 2, interrupted: 130 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const useColor = (io: CliIo, stream: 'stdout' | 'stderr'): boolean =>
  io[stream].isTTY === true && io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb';
