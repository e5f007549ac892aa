// Types of second-engine.mjs.

export interface SecondEngine {
  /** `<dir>/docker.sock` */
  readonly socket: string;
  /** `unix://<dir>/docker.sock` */
  readonly host: string;
  /** The temp folder that holds all of it. */
  readonly dir: string;
  readonly pid: number;
  /** Stops dockerd and its containerd, unmounts and removes `dir`; calling it again waits for the first call. */
  stop(): Promise<void>;
}

/** Whether the engine at `socket` answers `/_ping`. */
export function ping(socket: string): Promise<boolean>;
/** `prefix`: of its temp folder (default `mbt-dockerd-`). */
export function startEngine(o?: { prefix?: string }): Promise<SecondEngine>;
/** The PID of the containerd that dockerd started under its exec root, while it runs. */
export function containerdPid(dir: string): number | undefined;
