/** The session's protobuf fields, gRPC frames, read-only agent filter and secret masking. */
import { describe, expect, it } from 'vitest';
import { AgentFilter } from '../../src/session/agent-filter.js';
import { Redactor } from '../../src/session/redact.js';
import { bytesField, bytesOf, frame, FrameReader, readFields, stringField, varintOf } from '../../src/session/wire.js';

const agentMessage = (type: number, body = Buffer.alloc(0)): Buffer => {
  const m = Buffer.alloc(5 + body.length);
  m.writeUInt32BE(1 + body.length, 0);
  m[4] = type;
  body.copy(m, 5);
  return m;
};

describe('protobuf fields', () => {
  it('round-trips strings, bytes and an enum, and reads what protobufjs writes', () => {
    const msg = Buffer.concat([bytesOf(1, 'tok'), bytesOf(2, Buffer.from([0, 255])), varintOf(3, 300)]);
    const f = readFields(msg);
    expect(stringField(f, 1)).toBe('tok');
    expect(bytesField(f, 2)).toEqual(Buffer.from([0, 255]));
    expect(f.get(3)).toEqual([300]);
    // GetSecretRequest{ID:"tok", annotations:{a:"b"}} as the daemon sends it.
    const fromDaemon = Buffer.from('0a03746f6b12060a01611201 62'.replace(/ /g, ''), 'hex');
    expect(stringField(readFields(fromDaemon), 1)).toBe('tok');
    expect(stringField(readFields(Buffer.alloc(0)), 1)).toBe('');
  });

  it('leaves proto3 defaults out and rejects truncated input', () => {
    expect(bytesOf(1, '')).toHaveLength(0);
    expect(varintOf(1, 0)).toHaveLength(0);
    expect(() => readFields(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(/truncated/);
  });
});

describe('gRPC frames', () => {
  it('reassembles messages whatever the chunking', () => {
    const bytes = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.alloc(0)), frame(Buffer.from('three'))]);
    for (const size of [1, 2, 7, bytes.length]) {
      const reader = new FrameReader();
      const out: string[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...reader.push(bytes.subarray(i, i + size)).map(String));
      expect(out).toEqual(['one', '', 'three']);
      expect(reader.partial).toBe(false);
    }
  });

  it('refuses compressed and oversized messages', () => {
    expect(() => new FrameReader().push(Buffer.from([1, 0, 0, 0, 0]))).toThrow(/compressed/);
    expect(() => new FrameReader().push(Buffer.from([0, 0x7f, 0, 0, 0]))).toThrow(/too large/);
  });
});

describe('the read-only agent filter', () => {
  it('forwards listing and signing, refuses adding and removing keys, in order', () => {
    const toAgent: Buffer[] = [];
    const toBuild: Buffer[] = [];
    const f = new AgentFilter(
      (b) => toAgent.push(b),
      (b) => toBuild.push(b),
    );
    const list = agentMessage(11);
    const add = agentMessage(17, Buffer.from('key'));
    const sign = agentMessage(13, Buffer.from('data'));
    const all = Buffer.concat([list, add, sign]);
    f.fromBuild(all.subarray(0, 3));
    f.fromBuild(all.subarray(3));
    expect(toAgent).toEqual([list, sign]);
    expect(toBuild).toEqual([]); // the refusal waits for the answer to the listing before it
    const answer = agentMessage(12, Buffer.alloc(4));
    f.fromAgent(answer);
    expect(toBuild).toEqual([answer, Buffer.from([0, 0, 0, 1, 5])]);
    f.fromAgent(agentMessage(14));
    expect(toBuild).toHaveLength(3);
    f.fromBuild(agentMessage(19)); // remove all identities
    expect(toBuild.at(-1)).toEqual(Buffer.from([0, 0, 0, 1, 5]));
    expect(toAgent).toHaveLength(2);
  });
});

describe('secret masking', () => {
  it('masks a value whole and line by line, longest first', () => {
    const r = new Redactor();
    expect(r.redact('nothing yet')).toBe('nothing yet');
    r.add(Buffer.from('s3cr.t+\n'));
    r.add(Buffer.from('-----BEGIN KEY-----\nAAAABBBB\nxy\n-----END KEY-----\n'));
    expect(r.redact('token=s3cr.t+ s3crxt')).toBe('token=**** s3crxt');
    expect(r.redact('line AAAABBBB and xy')).toBe('line **** and xy');
  });
});
