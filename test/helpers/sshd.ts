/** A loopback sshd and ssh keys for the session tests: see sshd.mjs (plain .mjs, for the benches too). */
export { SSH_BIN, SSHD_BIN, makeKey, startSshd, type KeyPair, type SshClientEnv, type TestSshd } from './sshd.mjs';
