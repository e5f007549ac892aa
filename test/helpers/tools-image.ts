/** The image with ssh, ssh-add and git for builds with forwarded SSH: see tools-image.mjs (plain .mjs, for the benches too). */
export { TOOLS_REPOSITORY, toolsImage } from './tools-image.mjs';
