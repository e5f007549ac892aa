/** A private npm registry on loopback for builds that install with a token: see npm-registry.mjs (plain .mjs, for the benches too). */
export { GREET, startNpmRegistry, type NpmPackage, type NpmRequest, type TestNpmRegistry } from './npm-registry.mjs';
