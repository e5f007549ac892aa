// Types of node-image.mjs.

/** `mbuild-test-node`: the repository of every node image tag. */
export const NODE_REPOSITORY: string;

/**
 * The tag (`mbuild-test-node:<16 hex>`) of an image FROM the tools image (tools-image.mjs:
 * ssh, ssh-add, git on busybox) holding this machine's /usr/bin/node and its shared libraries,
 * npm's folder /usr/lib/node_modules/npm with /usr/bin/npm and /usr/bin/npx linking into it,
 * and /usr/bin/env; built (classic builder, `--network none`) when the engine lacks that tag,
 * once per process. The tag hashes every file copied (by size, mtime and inode), the recipe
 * and the tools image's tag, so it is reused across runs and rebuilt when the host's node or
 * npm change. It stays on the engine. `force`: build even when the tag exists.
 */
export function nodeImage(o?: { force?: boolean }): string;
/** How long this process spent building the node image, in ms (0: the engine had it). */
export function nodeImageBuildMs(): number;
