// Types of second-engine.mjs.

export interface SecondEngine {
  /** `<dir>/docker.sock` */
  readonly socket: string;
  /** `unix://<dir>/docker.sock` */
  readonly host: string;
  /** The temp folder that holds all of it. */
  readonly dir: string;
  readonly pid: number;
  /** With `tls: true`: `tcp://127.0.0.1:PORT`, where it also listens, TLS with client certificates (`--tlsverify`). */
  readonly tcpHost?: string;
  /**
   * With `tls: true`: a folder (inside `dir`) holding ca.pem, cert.pem and key.pem, a client
   * certificate signed by its CA, as DOCKER_CERT_PATH expects: `{ DOCKER_HOST: tcpHost,
   * DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }`. The server's certificate is for IP:127.0.0.1.
   */
  readonly certDir?: string;
  /** Stops dockerd and its containerd, unmounts and removes `dir`; calling it again waits for the first call. */
  stop(): Promise<void>;
}

/** Whether the engine at `socket` answers `/_ping`. */
export function ping(socket: string): Promise<boolean>;
/**
 * `prefix`: of its temp folder (default `mbt-dockerd-`). `tls`: also listen on tcp://127.0.0.1 at a
 * free port with TLS, clients verified (certificates made by openssl; `tcpHost` and `certDir`).
 */
export function startEngine(o?: { prefix?: string; tls?: boolean }): Promise<SecondEngine>;
/** The PID of the containerd that dockerd started under its exec root, while it runs. */
export function containerdPid(dir: string): number | undefined;
