/**
 * A read-only view of an ssh agent, as the docker CLI gives a build: the build may list
 * keys and ask for signatures, never add, remove or lock keys in the user's agent. Requests
 * (length-prefixed, draft-miller-ssh-agent) are split out of the forwarded byte stream; a
 * refused one is answered SSH_AGENT_FAILURE here, in order with the agent's own answers.
 */

const REQUEST_IDENTITIES = 11;
const SIGN_REQUEST = 13;
const FAILURE = Buffer.from([0, 0, 0, 1, 5]);
/** An agent message larger than this is refused (OpenSSH's own limit is 256 KiB). */
const MAX_AGENT_MESSAGE = 256 * 1024;

/** Splits length-prefixed agent messages out of a byte stream. */
class MessageSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length > MAX_AGENT_MESSAGE) throw new Error(`an ssh agent message of ${length} bytes`);
      if (this.pending.length < 4 + length) break;
      out.push(this.pending.subarray(0, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return out;
  }
}

export class AgentFilter {
  private readonly requests = new MessageSplitter();
  private readonly replies = new MessageSplitter();
  /** For each request still unanswered: whether the agent answers it (else it was refused). */
  private readonly queue: boolean[] = [];

  constructor(
    private readonly toAgent: (bytes: Buffer) => void,
    private readonly toBuild: (bytes: Buffer) => void,
  ) {}

  /** Bytes from the build's ssh client. Throws on a malformed stream. */
  fromBuild(chunk: Buffer): void {
    for (const m of this.requests.push(chunk)) {
      const allowed = m.length > 4 && (m[4] === REQUEST_IDENTITIES || m[4] === SIGN_REQUEST);
      this.queue.push(allowed);
      if (allowed) this.toAgent(m);
    }
    this.flushRefused();
  }

  /** Bytes from the agent. */
  fromAgent(chunk: Buffer): void {
    for (const m of this.replies.push(chunk)) {
      this.queue.shift();
      this.toBuild(m);
      this.flushRefused();
    }
  }

  private flushRefused(): void {
    while (this.queue[0] === false) {
      this.queue.shift();
      this.toBuild(FAILURE);
    }
  }
}
