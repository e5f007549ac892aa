/**
 * The JSON-lines stream of `POST /images/{name}/push` and `POST /images/create` (pull):
 * `{status, id, progressDetail{current,total}, aux, error, errorDetail}` per line. An HTTP
 * 200 does not mean success: an error after streaming began is a last `error` line. Owns
 * reading such a stream to one result: the digest the registry gave (push's `aux`), the
 * bytes moved summed over layers, or the first error's message.
 */
import type { IncomingMessage } from 'node:http';
import { rec } from './api-json.js';

export interface ProgressResult {
  /** `aux.Digest` (push) or the `Digest: sha256:…` status line (pull). */
  readonly digest?: string;
  /** The first `error` / `errorDetail.message`, when the engine reported one. */
  readonly error?: string;
}

export type OnProgress = (current: number, total: number) => void;

/** Tracks per-layer progress and the result as lines arrive. */
export class ProgressParser {
  readonly #layers = new Map<string, { current: number; total: number }>();
  #pending = '';
  #digest: string | undefined;
  #error: string | undefined;

  constructor(private readonly onProgress?: OnProgress) {}

  push(chunk: Buffer | string): void {
    this.#pending += chunk.toString();
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) !== -1) {
      this.#line(this.#pending.slice(0, nl));
      this.#pending = this.#pending.slice(nl + 1);
    }
  }

  finish(): ProgressResult {
    if (this.#pending.trim() !== '') this.#line(this.#pending);
    this.#pending = '';
    return { ...(this.#digest !== undefined && { digest: this.#digest }), ...(this.#error !== undefined && { error: this.#error }) };
  }

  #line(text: string): void {
    if (text.trim() === '') return;
    let line: Record<string, unknown>;
    try {
      line = rec(JSON.parse(text));
    } catch {
      return; // not JSON: the engine's streams are JSON lines; ignore noise
    }
    const error = errorOf(line);
    if (error !== undefined) this.#error ??= error;
    const aux = rec(line['aux']);
    if (typeof aux['Digest'] === 'string') this.#digest = aux['Digest'];
    const status = typeof line['status'] === 'string' ? line['status'] : '';
    const pulled = /^Digest: (sha256:[0-9a-f]{64})$/.exec(status);
    if (pulled) this.#digest = pulled[1];
    this.#layerProgress(line, status);
  }

  #layerProgress(line: Record<string, unknown>, status: string): void {
    const id = typeof line['id'] === 'string' ? line['id'] : undefined;
    if (id === undefined || this.onProgress === undefined) return;
    const detail = rec(line['progressDetail']);
    const total = typeof detail['total'] === 'number' ? detail['total'] : undefined;
    const current = typeof detail['current'] === 'number' ? detail['current'] : undefined;
    const layer = this.#layers.get(id) ?? { current: 0, total: 0 };
    if (total !== undefined) layer.total = total;
    if (current !== undefined) layer.current = current;
    if (/^(Pushed|Layer already exists|Pull complete|Download complete|Already exists)$/.test(status)) layer.current = layer.total;
    this.#layers.set(id, layer);
    let sumCurrent = 0;
    let sumTotal = 0;
    for (const l of this.#layers.values()) {
      sumCurrent += l.current;
      sumTotal += l.total;
    }
    this.onProgress(sumCurrent, sumTotal);
  }
}

function errorOf(line: Record<string, unknown>): string | undefined {
  const detail = rec(line['errorDetail']);
  if (typeof detail['message'] === 'string' && detail['message'] !== '') return detail['message'];
  return typeof line['error'] === 'string' && line['error'] !== '' ? line['error'] : undefined;
}

/** Reads a 200 response to its end (or until `signal` aborts: the response is dropped and this rejects with the signal's reason). */
export function readProgress(res: IncomingMessage, signal: AbortSignal | undefined, onProgress?: OnProgress): Promise<ProgressResult> {
  const parser = new ProgressParser(onProgress);
  return new Promise<ProgressResult>((resolve, reject) => {
    let settled = false;
    const settle = (r: ProgressResult | Error): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const onAbort = (): void => {
      res.destroy();
      settle(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    res.on('data', (chunk: Buffer) => parser.push(chunk));
    const broken = (why: string): ProgressResult => {
      const r = parser.finish();
      return { ...r, error: r.error ?? why };
    };
    res.on('end', () => settle(parser.finish()));
    res.on('error', (e) => settle(broken(`connection lost: ${e.message}`)));
    res.on('close', () => settle(res.complete ? parser.finish() : broken('the connection closed before the stream ended')));
    if (signal?.aborted) onAbort();
  });
}
