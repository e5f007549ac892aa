/**
 * The bytes of a build file -> its text. A build file is UTF-8 text: a NUL byte says it is
 * not text at all (a binary given to `-f`), and an invalid UTF-8 sequence is refused where
 * it is, never read as U+FFFD into a label or a tag. A UTF-8 byte order mark is dropped.
 */

export type TextProblem = { readonly kind: 'binary' | 'encoding'; readonly offset: number; readonly byte: number };

const fatal = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/** The text, or the first problem: `offset` is where it is in `text` (the bytes before it, decoded). */
export function decodeText(bytes: Uint8Array): { text: string; problem?: TextProblem } {
  const nul = bytes.indexOf(0);
  let text: string;
  try {
    text = fatal.decode(bytes);
    if (nul === -1) return { text };
  } catch {
    text = lossy.decode(bytes);
  }
  const bad = nul === -1 ? firstInvalid(bytes) : nul;
  return { text, problem: { kind: nul === -1 ? 'encoding' : 'binary', offset: lossy.decode(bytes.subarray(0, bad)).length, byte: bytes[bad] ?? 0 } };
}

/** Bytes a sequence starting with `lead` takes, or 0 for a byte no sequence starts with. */
const sequenceLength = (lead: number): number => (lead < 0x80 ? 1 : lead < 0xc2 ? 0 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : lead < 0xf5 ? 4 : 0);

/** The index of the first byte of the first invalid sequence (the WHATWG decoder's rules), or the length. */
export function firstInvalid(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    const n = sequenceLength(lead);
    if (n === 0) return i;
    // The second byte's range depends on the lead (no overlongs, no surrogates, nothing above U+10FFFF).
    const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < n; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n;
  }
  return bytes.length;
}
