/**
 * The little of protobuf and gRPC framing the session services need, written out: every
 * message they exchange holds only strings, bytes, one enum and one map, so a reader of
 * length-delimited fields and a writer of them are enough. protobufjs would parse the same
 * bytes; grpc-js would frame them, but loading it costs 65 ms a run (`require('@grpc/grpc-js')`
 * on the CI machine) against a 30 ms budget for the whole session.
 */

/** Wire types (protobuf encoding): 0 varint, 2 length-delimited. */
const VARINT = 0;
const BYTES = 2;

/** Field number -> every value it had (length-delimited fields as bytes, varints as numbers). */
export type Fields = Map<number, (Buffer | number)[]>;

function readVarint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && shift < 64; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('truncated varint');
}

/** Decodes a message's top-level fields; fixed-width fields are skipped. Throws on malformed bytes. */
export function readFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let at = 0;
  while (at < buf.length) {
    const [tag, next] = readVarint(buf, at);
    at = next;
    const field = Math.floor(tag / 8);
    let value: Buffer | number | undefined;
    switch (tag & 7) {
      case VARINT:
        [value, at] = readVarint(buf, at);
        break;
      case BYTES: {
        const [length, start] = readVarint(buf, at);
        if (start + length > buf.length) throw new Error('truncated field');
        value = buf.subarray(start, start + length);
        at = start + length;
        break;
      }
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${tag & 7}`);
    }
    if (value !== undefined) fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

/** The first value of a string field, '' when absent (proto3 default). */
export function stringField(fields: Fields, n: number): string {
  const v = fields.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : '';
}

/** The first value of a bytes field, empty when absent. */
export function bytesField(fields: Fields, n: number): Buffer {
  const v = fields.get(n)?.[0];
  return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

/** One length-delimited field (string or bytes); proto3 leaves empty values out. */
export function bytesOf(field: number, value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return data.length === 0 ? Buffer.alloc(0) : Buffer.concat([varint(field * 8 + BYTES), varint(data.length), data]);
}

/** One varint field (an enum); 0 is left out. */
export function varintOf(field: number, value: number): Buffer {
  return value === 0 ? Buffer.alloc(0) : Buffer.concat([varint(field * 8 + VARINT), varint(value)]);
}

/** A gRPC message on the wire: a 1-byte compression flag (0), a 4-byte big-endian length, the bytes. */
export function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** The largest message a session accepts from the daemon (its requests are small; agent traffic comes in ≤ 32 KiB). */
export const MAX_MESSAGE = 4 * 1024 * 1024;

/** Splits a stream of gRPC frames into messages, whatever the chunking. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the whole messages it completed. Throws on a compressed or oversized message. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    while (this.pending.length >= 5) {
      if (this.pending[0] !== 0) throw new Error('compressed gRPC messages are not accepted');
      const length = this.pending.readUInt32BE(1);
      if (length > MAX_MESSAGE) throw new Error(`a gRPC message of ${length} bytes is too large`);
      if (this.pending.length < 5 + length) break;
      out.push(this.pending.subarray(5, 5 + length));
      this.pending = this.pending.subarray(5 + length);
    }
    return out;
  }

  /** Whether a partial message is left over. */
  get partial(): boolean {
    return this.pending.length > 0;
  }
}
