/** The second engine of the engine tests: see second-engine.mjs (shared with the benches). */
export { containerdPid, ping, startEngine, type SecondEngine } from './second-engine.mjs';
