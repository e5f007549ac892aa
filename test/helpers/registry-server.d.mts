// Types of registry-server.mjs.
import type { ChildProcess } from 'node:child_process';

export const REGISTRY_BIN: string;

export interface BasicUser {
  readonly user: string;
  readonly password: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  /** The temp folder that holds all of it. */
  readonly dir: string;
  /** Its storage, inside `dir`. */
  readonly dataDir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** `prefix`: of its temp folder (default `mbt-registry-`). */
export function startRegistry(o?: { port?: number; auth?: BasicUser; prefix?: string }): Promise<TestRegistry>;
export function basicHeader(auth: BasicUser | undefined): Record<string, string>;
export function tagsOf(host: string, repo: string, auth?: BasicUser): Promise<string[]>;
export function freePort(): Promise<number>;
export function exitOf(child: ChildProcess): Promise<void>;
export function waitFor(condition: () => Promise<boolean>, exited: Promise<void>, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'>;
export function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void>;
export function bcrypt(password: string): string;
