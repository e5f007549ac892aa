// Types of git-repo.mjs.

/**
 * Creates the bare repository `<dir>/<name>` (default `repo.git`) whose branch `main` has one
 * commit holding `files` (path relative to the repository root → text); returns its absolute
 * path, to clone as `ssh://root@127.0.0.1:PORT<path>`. The same files make the same commit.
 * The caller owns `dir` (and removes it).
 */
export function bareRepo(dir: string, files: Readonly<Record<string, string>>, name?: string): string;
/** The commit a bare repository's `main` points at. */
export function headOf(repo: string): string;
