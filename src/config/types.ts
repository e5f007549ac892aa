/**
 * The build file in its two stages (changesets' WrittenConfig -> Config):
 * `WrittenBuildFile` is the shape the schema accepts; `BuildFile` is the validated,
 * interpolated, normalised model that plan/ and execute/ accept.
 */
import type { Location, SourceFile } from '../core/diagnostic.js';
import type { SecretSource } from '../core/secret-value.js';

export type { SecretSource } from '../core/secret-value.js';
/** Whether a build needs a BuildKit session (secrets or ssh); lives in core/ so that execute/ may call it too. */
export { needsSession } from '../core/session-need.js';

/** A path into the YAML document, e.g. `['images', 'api', 'mounts', 0, 'to']`. */
export type YamlPath = readonly (string | number)[];

export type WrittenArg = string | { image: string };

/** A named context as written: an image reference, an image of this file, or a folder inside one. */
export type WrittenContext = string | { image: string; path?: string };

/** A secret as written: an environment variable, or a file relative to the build file's folder. */
export type WrittenSecret = { env: string } | { file: string };

/**
 * `ssh` as written: `[id, id=path[,path]]` as compose and bake write it, or
 * `{id: path | [paths] | null}`; no path: the agent at $SSH_AUTH_SOCK.
 */
export type WrittenSsh = string[] | Record<string, string | string[] | null>;

export interface WrittenImage {
  context?: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  target?: string;
  args?: Record<string, WrittenArg>;
  tags?: string[];
  labels?: Record<string, string>;
  extends?: string;
  depends_on?: string[];
  mounts?: { from: string; path: string; to: string }[];
  contexts?: Record<string, WrittenContext>;
  outputs?: { path: string; to: string; replace?: boolean }[];
  inputs?: 'read' | 'whole';
  network?: 'default' | 'none' | 'host';
  platform?: string;
  pull?: boolean;
  push?: boolean;
  no_cache?: boolean;
  secrets?: Record<string, WrittenSecret>;
  secret_in_key?: boolean;
  ssh?: WrittenSsh;
}

export interface WrittenCache {
  to?: string;
  from?: string[];
}

export interface WrittenBuildFile {
  version: 1;
  name?: string;
  vars?: Record<string, string>;
  defaults?: WrittenImage;
  cache?: WrittenCache;
  gc?: boolean | { keep?: number };
  images: Record<string, WrittenImage>;
  groups?: Record<string, string[]>;
}

/** Finds the YAML node for a path; used by every phase that reports a problem. */
export interface Locator {
  /** The value node at `path` (or the nearest existing parent). */
  value(path: YamlPath): Location;
  /** The key node of the last segment of `path` (falls back to the value). */
  key(path: YamlPath): Location;
}

export type ArgValue = { readonly kind: 'literal'; readonly value: string } | { readonly kind: 'image'; readonly image: string };

/** One side of a mount source: an image of this file or any image reference. */
export type ImageRef = { readonly kind: 'image'; readonly image: string } | { readonly kind: 'external'; readonly ref: string };

export type MountSource = ImageRef | { readonly kind: 'diff'; readonly base: ImageRef; readonly head: ImageRef };

/**
 * A name a Dockerfile may use in FROM / COPY --from / RUN --mount=from (`contexts:`): an
 * image of this file (`path`: a folder inside it), or any image reference.
 */
export type NamedContext =
  | { readonly kind: 'image'; readonly image: string; readonly path?: string; readonly origin: YamlPath }
  | { readonly kind: 'external'; readonly ref: string; readonly origin: YamlPath };

export interface MountSpec {
  readonly from: string;
  readonly source: MountSource;
  /** Absolute path inside the source image. */
  readonly path: string;
  /** Normalised relative path inside the context (posix, no `./`). */
  readonly to: string;
  /** Where it is written, for diagnostics. */
  readonly origin: YamlPath;
}

export interface OutputSpec {
  readonly path: string;
  /** Absolute host path. */
  readonly to: string;
  /** May replace what is at `to` though mbuild did not write it (default false). */
  readonly replace: boolean;
  readonly origin: YamlPath;
}

/** A build secret (`secrets:`), served by the BuildKit session; its value is read only when needed (core/secret-value.ts). */
export interface SecretSpec {
  readonly id: string;
  readonly source: SecretSource;
  /** The entry under `secrets`, for diagnostics. */
  readonly origin: YamlPath;
}

/** An ssh forwarding (`ssh:`) served by the BuildKit session's agent. */
export interface SshSpec {
  readonly id: string;
  /** Absolute key files or agent sockets; empty = $SSH_AUTH_SOCK. */
  readonly paths: readonly string[];
  /** The entry (a list item or a map key's value), for diagnostics. */
  readonly origin: YamlPath;
}

export type DockerfileSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'inline'; readonly text: string };

export interface ImageSpec {
  readonly name: string;
  /** Absolute path of the build context folder. */
  readonly context: string;
  readonly dockerfile: DockerfileSource;
  readonly target?: string;
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
  readonly mounts: readonly MountSpec[];
  /** `contexts:` by the name the Dockerfile uses. */
  readonly contexts: ReadonlyMap<string, NamedContext>;
  readonly outputs: readonly OutputSpec[];
  /** `read`: only what the Dockerfile can read is sent and hashed; `whole`: the whole context. */
  readonly inputs: 'read' | 'whole';
  readonly network?: 'default' | 'none' | 'host';
  readonly platform?: string;
  readonly pull: boolean;
  /** Push every tag once built or up to date (`push: true`; `--push` sets it for every image). */
  readonly push: boolean;
  readonly noCache: boolean;
  /** Sorted by id. */
  readonly secrets: readonly SecretSpec[];
  /** Sorted by id. */
  readonly ssh: readonly SshSpec[];
  /** `secret_in_key`: a salted slow hash of each secret's value enters the key (a rotated secret rebuilds). Default false. */
  readonly secretInKey: boolean;
  /** Where each setting was written (after `defaults` and `extends`), for diagnostics. */
  readonly origins: ImageOrigins;
}

export interface ImageOrigins {
  /** The image's own key under `images`. */
  readonly self: YamlPath;
  /** Per top-level setting (`context`, `tags`, ...). */
  readonly keys: Readonly<Record<string, YamlPath>>;
  /** Per entry of `args` and `labels`. */
  readonly args: Readonly<Record<string, YamlPath>>;
  readonly labels: Readonly<Record<string, YamlPath>>;
}

export interface BuildFile {
  readonly source: SourceFile;
  /** The folder of the build file: every relative path resolves from here. */
  readonly root: string;
  readonly name: string;
  readonly vars: Readonly<Record<string, string>>;
  /**
   * The env files `${...}` was read from: the `--env-file`s, else `.env` beside the build
   * file whether or not it exists (watch mode reloads when one changes). Absent: none (a
   * model made by hand).
   */
  readonly envFiles?: readonly string[];
  /**
   * The environment `{env: VAR}` secrets and `$SSH_AUTH_SOCK` are read from: the process
   * environment over the env files' variables (the same `${VAR}` sees, without `--var` and
   * `vars`). Absent: a model made by hand (no variables). Never printed.
   */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** Sorted by name. */
  readonly images: ReadonlyMap<string, ImageSpec>;
  /** Group members resolved to image names (nested groups expanded). */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** The shared cache (`cache:`): repositories as written, without tags. */
  readonly cache: SharedCache;
  /** The garbage policy (`gc:`, cache/gc.ts); `false`: off. Absent: a model made by hand (the default). */
  readonly gc?: GcPolicy | false;
  readonly locate: Locator;
}

/** `gc: {keep}`: builds kept per image, the current one included. */
export interface GcPolicy {
  readonly keep: number;
}

/** The policy when the build file says nothing. */
export const DEFAULT_GC: GcPolicy = { keep: 3 };

export interface SharedCache {
  readonly to?: string;
  /** As written in the build file; cli/registries.ts puts `to` first when it looks. */
  readonly from: readonly string[];
}
