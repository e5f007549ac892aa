/** Hostile inputs for secret masking (session/redact.ts): sizes, characters, and output cut short. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_BYTES } from '../../src/core/secret-value.js';
import { Redactor } from '../../src/session/redact.js';

const masking = (...values: string[]): Redactor => {
  const r = new Redactor();
  for (const v of values) r.add(Buffer.from(v));
  return r;
};

describe('secret masking, attacked', () => {
  it('a 500 KiB value on one line is masked, and masking never throws (its message would hold the value)', () => {
    const big = randomBytes(MAX_SECRET_BYTES).toString('base64').slice(0, MAX_SECRET_BYTES);
    const r = masking(big);
    expect(r.redact(`got ${big}.`)).toBe('got ****.');
    expect(r.redact('ordinary output')).toBe('ordinary output');
    const same = 'y'.repeat(MAX_SECRET_BYTES); // the pattern V8 refused ("Regular expression too large", the value in the message)
    expect(masking(same).redact(`<${same}>`)).toBe('<****>');
  });

  it('a 500 KiB value of 10,000 lines: each line masked, and fast', () => {
    const lines = Array.from({ length: 10_000 }, () => randomBytes(24).toString('base64'));
    const r = masking(lines.join('\n'));
    const started = performance.now();
    for (let i = 0; i < 1000; i++) expect(r.redact(`npm notice line ${i}`)).toBe(`npm notice line ${i}`);
    expect(r.redact(`x ${lines[5000]!} y`)).toBe('x **** y');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('output that BuildKit cut short (a clipped line, a value folded over lines) is masked', () => {
    const token = randomBytes(48).toString('base64');
    const r = masking(token);
    expect(r.redact(`${token.slice(0, 30)}\n[output clipped, log limit 200KiB/s reached]`)).toBe('****\n[output clipped, log limit 200KiB/s reached]');
    const folded = token.match(/.{1,16}/g)!.join('\n');
    expect(r.redact(folded)).not.toContain(token.slice(0, 16));
    // Short ordinary lines stay: a fragment is only masked from 12 characters on.
    expect(r.redact('done')).toBe('done');
  });

  it('regex characters, unicode, one character, empty, a trailing newline', () => {
    expect(masking('p$&s.*(x)[').redact('a p$&s.*(x)[ b')).toBe('a **** b');
    expect(masking('ünï✓🔑kéy').redact('[ünï✓🔑kéy]')).toBe('[****]');
    expect(masking('Q').redact('a Q b')).toBe('a **** b');
    expect(masking('').redact('nothing')).toBe('nothing');
    expect(masking('tok-123\n').redact('tok-123\n')).toBe('****\n');
    expect(masking('$&').redact('x $& y')).toBe('x **** y');
  });
});
