/** An ssh-agent holding given keys, for the session tests: see ssh-agent.mjs (plain .mjs, for the benches too). */
export { agentFingerprints, sshAdd, startAgent, type SshAddResult, type TestAgent } from './ssh-agent.mjs';
