/**
 * The library entry (package.json `exports`): load a build file, plan it, build it. Every
 * expected problem is a value (`Result`, `ApiFailure`); nothing is printed. docs/api.md.
 */
export { load } from './project.js';
export { plan } from './plan.js';
export { build } from './build.js';
export { formatDiagnostics } from './format.js';
export type * from './types.js';
export type { FormatOptions } from './format.js';
