/** Bare git repositories to clone over SSH in the session tests: see git-repo.mjs (plain .mjs, for the benches too). */
export { bareRepo, headOf } from './git-repo.mjs';
