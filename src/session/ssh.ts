/**
 * `moby.sshforward.v1.SSH`: the ssh agents a build may use (`RUN --mount=type=ssh[,id=X]`).
 * CheckAgent says whether an id is served; each connection the build makes to the agent
 * socket BuildKit puts in the container becomes one ForwardAgent stream, piped to the
 * agent through AgentFilter (read-only). An id is an agent socket ($SSH_AUTH_SOCK or one
 * given path) or key files served by a private agent (private-agent.ts).
 */
import { connect } from 'node:net';
import { err, ok, type Result } from '../core/result.js';
import { AgentFilter } from './agent-filter.js';
import { GrpcError, Status, type BidiMethod, type UnaryMethod } from './grpc.js';
import { startPrivateAgent, type PrivateAgent } from './private-agent.js';
import { bytesField, bytesOf, readFields, stringField } from './wire.js';

export const CHECK_AGENT = '/moby.sshforward.v1.SSH/CheckAgent';
export const FORWARD_AGENT = '/moby.sshforward.v1.SSH/ForwardAgent';
/** The largest message sent to the daemon (BuildKit copies in 32 KiB pieces too). */
const CHUNK = 32 * 1024;

export type AgentSource = { readonly kind: 'socket'; readonly path: string } | { readonly kind: 'keys'; readonly paths: readonly string[] };

/** The agents of a session by id; private agents started on first use and stopped by `close`. */
export class Agents {
  private readonly started = new Map<string, Promise<Result<PrivateAgent, string>>>();

  constructor(private readonly sources: ReadonlyMap<string, AgentSource>) {}

  /** The agent socket for an id (`''` means `default`); undefined when the id is not served. */
  async socket(id: string): Promise<Result<string, string> | undefined> {
    const source = this.sources.get(id === '' ? 'default' : id);
    if (source === undefined) return undefined;
    if (source.kind === 'socket') return ok(source.path);
    let agent = this.started.get(id);
    if (agent === undefined) this.started.set(id, (agent = startPrivateAgent(source.paths)));
    const a = await agent;
    return a.ok ? ok(a.value.socket) : err(a.error);
  }

  async close(): Promise<void> {
    const agents = await Promise.all([...this.started.values()]);
    await Promise.all(agents.flatMap((a) => (a.ok ? [a.value.stop()] : [])));
  }
}

async function socketOf(agents: Agents, id: string): Promise<string> {
  const s = await agents.socket(id);
  if (s === undefined) throw new GrpcError(Status.NOT_FOUND, `no ssh agent "${id === '' ? 'default' : id}" for this build`);
  if (!s.ok) throw new GrpcError(Status.UNAVAILABLE, s.error);
  return s.value;
}

/** `CheckAgent{ID}` -> `{}` when the id is served. */
export function checkAgent(agents: Agents): UnaryMethod {
  return { kind: 'unary', handle: async (request) => (await socketOf(agents, stringField(readFields(request), 1)), Buffer.alloc(0)) };
}

/** `ForwardAgent`: `BytesMessage{data}` both ways between the build and the agent, read-only. */
export function forwardAgent(agents: Agents): BidiMethod {
  return {
    kind: 'bidi',
    handle: async (call) => {
      const raw = call.metadata['buildkit.ssh.id'];
      const path = await socketOf(agents, (Array.isArray(raw) ? raw[0] : raw) ?? '');
      const agent = connect(path);
      const filter = new AgentFilter(
        (bytes) => agent.write(bytes),
        (bytes) => {
          for (let at = 0; at < bytes.length; at += CHUNK) call.send(bytesOf(1, bytes.subarray(at, at + CHUNK)));
        },
      );
      await new Promise<void>((resolve, reject) => {
        agent.once('error', (e) => reject(new GrpcError(Status.UNAVAILABLE, `ssh agent ${path}: ${e.message}`)));
        agent.on('data', (d: Buffer) => filter.fromAgent(d));
        agent.once('close', () => resolve());
        call.messages.on('data', (m: Buffer) => {
          try {
            filter.fromBuild(bytesField(readFields(m), 1));
          } catch (e) {
            agent.destroy();
            reject(new GrpcError(Status.INVALID_ARGUMENT, (e as Error).message));
          }
        });
        call.messages.once('end', () => agent.end());
        call.messages.once('error', () => agent.destroy());
        call.closed.addEventListener('abort', () => agent.destroy(), { once: true });
      });
    },
  };
}
