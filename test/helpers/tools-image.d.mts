// Types of tools-image.mjs.

/** `mbuild-test-tools`: the repository of every tools image tag. */
export const TOOLS_REPOSITORY: string;

/**
 * The tag (`mbuild-test-tools:<16 hex>`) of an image FROM busybox:latest holding this
 * machine's ssh, ssh-add, ssh-keyscan and git (git's builtins in /usr/lib/git-core), their
 * shared libraries, root in /etc/passwd, HOME=/root and /root/.ssh; built (classic builder,
 * `--network none`) when the engine lacks that tag, once per process. The tag hashes every file
 * copied, the recipe and busybox's image ID, so it is reused across runs and rebuilt when the
 * host's tools change. It stays on the engine, like busybox:latest. `force`: build even when
 * the tag exists.
 */
export function toolsImage(o?: { force?: boolean }): string;

/** The shared libraries `ldd` lists for `binary`, the loader included, as absolute paths. */
export function librariesOf(binary: string): string[];
/** Whether the engine has an image by this name or ID (`docker image inspect`). */
export function imageExists(tag: string): boolean;
