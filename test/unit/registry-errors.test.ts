/** Registry errors: what a registry said, the kind of a status, and no secret in any message. */
import { describe, expect, it } from 'vitest';
import { redact, registrySaid, statusError } from '../../src/registry/errors.js';

const body = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('registry errors', () => {
  it("reads a registry's error body, or its first line of text, or says the status's name", () => {
    expect(registrySaid(body({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'x' } }] }))).toBe(
      'MANIFEST_UNKNOWN: manifest unknown',
    );
    expect(registrySaid(body({ errors: [{ code: 'A' }, { code: 'B', message: 'b' }] }))).toBe('A; B: b');
    expect(registrySaid(Buffer.from('<html>\nnope'))).toBe('<html>');
    expect(registrySaid(Buffer.from('x'.repeat(400))).length).toBe(301);
    expect(statusError(404, Buffer.alloc(0), 'HEAD r/a:1').message).toBe('HEAD r/a:1: 404 Not Found');
  });

  it('maps statuses to kinds', () => {
    const kind = (status: number) => statusError(status, Buffer.alloc(0), 'x').kind;
    expect([401, 403, 400, 404, 405, 429, 500, 503, 302].map(kind)).toEqual([
      'unauthorized',
      'unauthorized',
      'refused',
      'refused',
      'refused',
      'refused',
      'unreachable',
      'unreachable',
      'protocol',
    ]);
  });

  it('cuts every secret of the credentials out of a message, and their Basic encoding', () => {
    const auth = { username: 'alice', password: 'hunter2', identitytoken: 'idt-123', registrytoken: 'rt-456', serveraddress: 'r' };
    const basic = Buffer.from('alice:hunter2').toString('base64');
    const e = redact({ kind: 'protocol', message: `said hunter2 and idt-123, rt-456, Basic ${basic}` }, auth);
    expect(e).toEqual({ kind: 'protocol', message: 'said *** and ***, ***, Basic ***' });
    expect(redact({ kind: 'refused', message: 'nothing secret' }, auth)).toEqual({ kind: 'refused', message: 'nothing secret' });
  });
});
