/**
 * Decodes BuildKit's progress trace: the base64 protobuf `StatusResponse` carried in the
 * `aux` of `{"id":"moby.buildkit.trace"}` build-stream messages. Owns the vertex state
 * (one step per vertex digest: started once, completed once), per-vertex log line
 * buffering (UTF-8 and lines may be split across log messages) and which step failed.
 * An undecodable payload becomes a `warning` event, never an exception.
 */
import { StringDecoder } from 'node:string_decoder';
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';
import type { BuildStreamEvent } from './engine.js';
import { BUILDKIT_STATUS_PROTO } from './proto/buildkit-status.js';
import { messageOf } from '../core/result.js';

let statusType: protobuf.Type | undefined;

/** The `moby.buildkit.v1.StatusResponse` type, parsed once from the embedded .proto. */
export function statusResponseType(): protobuf.Type {
  // Loaded on the first BuildKit message, not at startup: a no-op run never needs it.
  const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
  statusType ??= pb.parse(BUILDKIT_STATUS_PROTO, { keepCase: true }).root.lookupType('moby.buildkit.v1.StatusResponse');
  return statusType;
}

interface TraceVertex {
  readonly digest: string;
  readonly name: string;
  readonly cached: boolean;
  readonly started: boolean;
  readonly completed: boolean;
  readonly error: string;
}
interface TraceLog {
  readonly vertex: string;
  readonly msg: Uint8Array;
}
interface TraceWarning {
  readonly vertex: string;
  readonly short: Uint8Array;
  readonly url: string;
}
export interface DecodedStatus {
  readonly vertexes: readonly TraceVertex[];
  readonly logs: readonly TraceLog[];
  readonly warnings: readonly TraceWarning[];
}

/** Decodes one base64 `aux` payload; throws when it is not a valid StatusResponse. */
export function decodeStatus(auxBase64: string): DecodedStatus {
  const type = statusResponseType();
  const obj: unknown = type.toObject(type.decode(Buffer.from(auxBase64, 'base64')), { longs: Number, arrays: true });
  const o = record(obj);
  return {
    vertexes: list(o['vertexes']).map((v) => {
      const r = record(v);
      return {
        digest: text(r['digest']),
        name: text(r['name']),
        cached: r['cached'] === true,
        started: r['started'] !== undefined && r['started'] !== null,
        completed: r['completed'] !== undefined && r['completed'] !== null,
        error: text(r['error']),
      };
    }),
    logs: list(o['logs']).map((l) => {
      const r = record(l);
      return { vertex: text(r['vertex']), msg: bytes(r['msg']) };
    }),
    warnings: list(o['warnings']).map((w) => {
      const r = record(w);
      return { vertex: text(r['vertex']), short: bytes(r['short']), url: text(r['url']) };
    }),
  };
}

export interface FailedStep {
  readonly stepId: string;
  readonly name: string;
  readonly error: string;
}

/** BuildKit marks every vertex still running when another one fails with errors like these. */
const CANCELLATION = /\bcancell?ed\b/i;

export class BuildkitTrace {
  private readonly state = new Map<string, { name: string; phase: 'started' | 'completed' }>();
  private readonly partial = new Map<string, { decoder: StringDecoder; text: string }>();
  private failed: FailedStep | undefined;

  constructor(private readonly emit: (e: BuildStreamEvent) => void) {}

  /** The first step that failed on its own (not one cancelled because another failed). */
  get failedStep(): FailedStep | undefined {
    return this.failed;
  }

  /** Decodes one `moby.buildkit.trace` aux payload into events. */
  push(auxBase64: string): void {
    let status: DecodedStatus;
    try {
      status = decodeStatus(auxBase64);
    } catch (e) {
      this.emit({ type: 'warning', text: `ignored an undecodable BuildKit trace message: ${messageOf(e)}` });
      return;
    }
    // Starts first, then logs, then completions: a message may carry a vertex's last
    // output and its completion together, and the output belongs before the completion.
    for (const v of status.vertexes) if (v.started || v.completed) this.start(v);
    for (const l of status.logs) this.log(l.vertex, l.msg);
    for (const v of status.vertexes) if (v.completed) this.complete(v);
    for (const w of status.warnings) {
      const short = Buffer.from(w.short).toString('utf8').trim();
      this.emit({ type: 'warning', text: w.url ? `${short} (${w.url})` : short });
    }
  }

  /** Emits the unterminated last line of every vertex's output. */
  flush(): void {
    for (const digest of [...this.partial.keys()]) this.flushVertex(digest);
  }

  private start(v: TraceVertex): void {
    if (v.digest === '' || this.state.has(v.digest)) return;
    this.state.set(v.digest, { name: v.name, phase: 'started' });
    this.emit({ type: 'step-started', stepId: v.digest, name: v.name });
  }

  private complete(v: TraceVertex): void {
    const s = this.state.get(v.digest);
    if (s === undefined || s.phase === 'completed') return;
    s.phase = 'completed';
    this.flushVertex(v.digest);
    if (v.error !== '') {
      const cancelled = CANCELLATION.test(v.error);
      if (this.failed === undefined || (CANCELLATION.test(this.failed.error) && !cancelled)) {
        this.failed = { stepId: v.digest, name: s.name, error: v.error };
      }
      this.emit({ type: 'step-completed', stepId: v.digest, name: s.name, cached: v.cached, error: v.error });
    } else {
      this.emit({ type: 'step-completed', stepId: v.digest, name: s.name, cached: v.cached });
    }
  }

  private log(digest: string, msg: Uint8Array): void {
    let p = this.partial.get(digest);
    if (p === undefined) {
      p = { decoder: new StringDecoder('utf8'), text: '' };
      this.partial.set(digest, p);
    }
    p.text += p.decoder.write(Buffer.from(msg));
    const end = p.text.lastIndexOf('\n');
    if (end < 0) return;
    const whole = p.text.slice(0, end);
    p.text = p.text.slice(end + 1);
    this.emit({ type: 'log', stepId: digest, text: whole });
  }

  private flushVertex(digest: string): void {
    const p = this.partial.get(digest);
    if (p === undefined) return;
    this.partial.delete(digest);
    const rest = p.text + p.decoder.end();
    if (rest !== '') this.emit({ type: 'log', stepId: digest, text: rest });
  }
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function bytes(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array();
}
