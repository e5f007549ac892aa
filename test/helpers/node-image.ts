/** The image with node, npm, ssh and git for builds with private dependencies: see node-image.mjs (plain .mjs, for the benches too). */
export { NODE_REPOSITORY, nodeImage, nodeImageBuildMs } from './node-image.mjs';
