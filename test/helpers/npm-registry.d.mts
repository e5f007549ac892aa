// Types of npm-registry.mjs.

export interface NpmPackage {
  /** `@acme/greet` */
  readonly name: string;
  /** `1.0.0` */
  readonly version: string;
  /** Path inside the package → text; a package.json (name, version, main: index.js) is added unless given. */
  readonly files: Readonly<Record<string, string>>;
}

/** `@acme/greet@1.0.0`, whose index.js exports `greet(who)` → `Hello, <who>! (@acme/greet 1.0.0)`. */
export const GREET: NpmPackage;

export interface NpmRequest {
  readonly method: string;
  /** The path, without the query: `/@acme%2fgreet`, `/@acme/greet/-/greet-1.0.0.tgz`. */
  readonly path: string;
  /** Whether it carried `Authorization: Bearer <token>` (the header itself is not kept). */
  readonly authorized: boolean;
  /** Whether it carried an Authorization header at all. */
  readonly withAuthorization: boolean;
}

export interface TestNpmRegistry {
  /** `http://127.0.0.1:PORT/`: npm's `registry` (or `@scope:registry`). */
  readonly url: string;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  /** Every request so far, in order. */
  readonly requests: readonly NpmRequest[];
  /** Closes the server (and its open connections); calling it again waits for the first call. */
  stop(): Promise<void>;
}

/**
 * Starts a node:http npm registry on 127.0.0.1 at a free port serving `packages` (default
 * [GREET]): packument at `/<name>` (also `/@scope%2fname`), tarball at
 * `/<name>/-/<bare name>-<version>.tgz`, only with `Authorization: Bearer <token>`; 401
 * otherwise, 404 for anything else. It runs in the calling process.
 */
export function startNpmRegistry(o: { token: string; packages?: readonly NpmPackage[] }): Promise<TestNpmRegistry>;
