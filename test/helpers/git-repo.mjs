// Bare git repositories for the session tests: what a build clones over forwarded SSH
// (`git clone ssh://root@127.0.0.1:PORT<path>` against sshd.mjs). One commit on `main`, made
// in a scratch work tree that is removed again; no user or system git config is read. Plain
// JavaScript (types in git-repo.d.mts) because the benches run plain node.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The commit a bare repository's `main` points at. */
export const headOf = (repo) => git(repo, 'rev-parse', 'main');

/** git with no global or system config, a fixed identity and fixed dates (the same files give the same commit). */
function git(cwd, ...args) {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
    },
  }).trim();
}

/**
 * Creates the bare repository `<dir>/<name>` (default `repo.git`) whose branch `main` has one
 * commit holding `files` (path relative to the repository root → text); returns its absolute
 * path. The same files make the same commit (fixed identity and dates).
 */
export function bareRepo(dir, files, name = 'repo.git') {
  const path = join(dir, name);
  const work = mkdtempSync(join(dir, '.mbt-work-'));
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      writeFileSync(join(work, file), text);
    }
    git(work, 'init', '-q');
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'mbt fixture');
    git(dir, 'clone', '-q', '--bare', work, path);
    return path;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
