/**
 * Parses the NDJSON body of `POST /build` (classic builder and BuildKit alike) into
 * BuildStreamEvents and exactly one BuildOutcome. Owns: byte → text decoding (a
 * StringDecoder, so multi-byte characters split across chunks survive), line splitting
 * across chunks, the junk-line policy, classic `Step n/m` tracking, and where the image
 * ID comes from (the `aux` messages only — never the "Successfully built" text).
 *
 * Policy for lines that are not JSON objects (junk from a proxy, a stream cut mid-line):
 * they become a `warning` event and do not decide the outcome by themselves. The outcome
 * is decided by `error`/`errorDetail` (failed) and the aux image ID (succeeded); a stream
 * that ends with neither is failed ("build stream ended without an image ID").
 *
 * Text from the daemon (output, step names, warnings, errors) is passed on without terminal
 * escape sequences (colours, cursor moves, titles, links: CSI and OSC): it is shown in rows,
 * in failure tails and in the log file, each meant to be read, never interpreted.
 */
import { StringDecoder } from 'node:string_decoder';
import type { BuildOutcome, BuildStreamEvent } from './engine.js';
import { BuildkitTrace } from './buildkit-trace.js';

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
/** Builder bookkeeping printed by the classic builder: not the step's own output. */
const CLASSIC_CHATTER = /^( ---> |Removing intermediate container |Successfully built |Successfully tagged )/;
export const NO_IMAGE_ID = 'build stream ended without an image ID';

/**
 * ECMA-48 escape sequences: OSC strings (titles, links) and DCS/SOS/PM/APC strings, ended by
 * BEL or ST or cut by the line's end; CSI sequences (colours, cursor moves); two-character
 * escapes (`ESC 7`, `ESC ( B`); and any escape character left alone.
 */
const ESCAPES =
  // eslint-disable-next-line no-control-regex -- escape sequences are what it finds
  /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\|$)|\u001b[PX^_][^\u001b]*(?:\u001b\\|$)|(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b[ -/]*[0-~]|[\u001b\u009b]/g;

/** Daemon text as it reads: without terminal escape sequences. */
export const plainText = (text: string): string => (text.includes('\u001b') || text.includes('\u009b') ? text.replace(ESCAPES, '') : text);

function plainEvent(e: BuildStreamEvent): BuildStreamEvent {
  switch (e.type) {
    case 'step-started':
      return { ...e, name: plainText(e.name) };
    case 'step-completed':
      return e.error === undefined ? { ...e, name: plainText(e.name) } : { ...e, name: plainText(e.name), error: plainText(e.error) };
    case 'log':
      return { ...e, text: plainText(e.text) };
    case 'warning':
      return { ...e, text: plainText(e.text) };
  }
}

export class BuildStreamParser {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private readonly classic: ClassicSteps;
  private readonly trace: BuildkitTrace;
  private sawTrace = false;
  private imageId: string | undefined;
  private error: { message: string; step?: { stepId: string; name: string } } | undefined;
  private outcome: BuildOutcome | undefined;

  private readonly emit: (e: BuildStreamEvent) => void;

  constructor(emit: (e: BuildStreamEvent) => void) {
    this.emit = (e) => emit(plainEvent(e));
    this.classic = new ClassicSteps(this.emit);
    this.trace = new BuildkitTrace(this.emit);
  }

  /** Feeds one chunk of the response body. */
  push(chunk: Buffer | string): void {
    if (this.outcome !== undefined) return;
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  /**
   * The stream ended or closed: decides the outcome (idempotent). `reason` says why the
   * stream stopped when that was not a normal end, e.g. a lost connection.
   */
  finish(reason?: string): BuildOutcome {
    if (this.outcome !== undefined) return this.outcome;
    this.buffer += this.decoder.end();
    if (this.buffer !== '') this.line(this.buffer);
    this.buffer = '';
    this.classic.flush();
    this.trace.flush();
    if (this.error !== undefined) {
      this.outcome = this.error.step ? { kind: 'failed', message: this.error.message, step: this.error.step } : { kind: 'failed', message: this.error.message };
    } else if (this.imageId !== undefined) {
      this.classic.complete();
      this.outcome = { kind: 'succeeded', imageId: this.imageId };
    } else {
      const message = reason === undefined ? NO_IMAGE_ID : `${NO_IMAGE_ID} (${reason})`;
      const step = this.classic.complete(message);
      this.outcome = step ? { kind: 'failed', message, step } : { kind: 'failed', message };
    }
    return this.outcome;
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = undefined;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
      this.emit({ type: 'warning', text: `ignored a build-stream line that is not a JSON object: ${shown}` });
      return;
    }
    this.message(msg as Record<string, unknown>);
  }

  private message(m: Record<string, unknown>): void {
    const id = m['id'];
    const aux = m['aux'];
    if (id === 'moby.buildkit.trace') {
      if (typeof aux === 'string') {
        this.sawTrace = true;
        this.trace.push(aux);
      }
      return;
    }
    if (typeof m['stream'] === 'string') this.classic.text(m['stream']);
    if (typeof m['status'] === 'string' && m['progress'] === undefined) {
      const text = typeof id === 'string' && id !== '' ? `${id}: ${m['status']}` : m['status'];
      this.classic.log(text);
    }
    if ((id === undefined || id === 'moby.image.id') && typeof aux === 'object' && aux !== null) {
      const imageId = (aux as Record<string, unknown>)['ID'];
      if (typeof imageId === 'string' && imageId !== '') this.imageId = imageId;
    }
    const detail = m['errorDetail'];
    const detailMessage = typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>)['message'] : undefined;
    const error = typeof detailMessage === 'string' && detailMessage !== '' ? detailMessage : m['error'];
    if ((typeof error === 'string' && error !== '') || detail !== undefined) {
      const message = typeof error === 'string' && error !== '' ? error : 'the build failed (errorDetail without a message)';
      this.fail(message);
    }
  }

  private fail(raw: string): void {
    if (this.error !== undefined) return;
    const message = plainText(raw);
    let step: { stepId: string; name: string } | undefined;
    if (this.sawTrace) {
      const f = this.trace.failedStep;
      if (f) step = { stepId: f.stepId, name: plainText(f.name) };
    } else {
      this.classic.flush();
      step = this.classic.complete(message);
    }
    this.error = step ? { message, step } : { message };
  }
}

/** The classic builder's `{"stream": ...}` text: `Step n/m : …` headers, cache hits, output. */
class ClassicSteps {
  private partial = '';
  private current: { stepId: string; name: string; cached: boolean } | undefined;

  constructor(private readonly emit: (e: BuildStreamEvent) => void) {}

  text(chunk: string): void {
    this.partial += chunk;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      this.line(plainText(line.endsWith('\r') ? line.slice(0, -1) : line));
    }
  }

  log(text: string): void {
    this.emit(this.current ? { type: 'log', stepId: this.current.stepId, text } : { type: 'log', text });
  }

  /** Emits an unterminated last line. */
  flush(): void {
    const rest = this.partial;
    this.partial = '';
    if (rest !== '') this.line(plainText(rest));
  }

  /** Completes the open step, if any, and returns it. */
  complete(error?: string): { stepId: string; name: string } | undefined {
    const c = this.current;
    if (c === undefined) return undefined;
    this.current = undefined;
    const base = { type: 'step-completed', stepId: c.stepId, name: c.name, cached: c.cached } as const;
    this.emit(error === undefined ? base : { ...base, error });
    return { stepId: c.stepId, name: c.name };
  }

  private line(line: string): void {
    const step = STEP.exec(line);
    if (step) {
      this.complete();
      const [, n, m, instruction] = step;
      this.current = { stepId: `classic-${n!}`, name: `[${n!}/${m!}] ${instruction!}`, cached: false };
      this.emit({ type: 'step-started', stepId: this.current.stepId, name: this.current.name });
      return;
    }
    if (line === ' ---> Using cache') {
      if (this.current) this.current.cached = true;
      return;
    }
    if (CLASSIC_CHATTER.test(line) || line === '') return;
    this.log(line);
  }
}
