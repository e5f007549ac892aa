/**
 * What a message may show of text it did not write: no control characters (a build file
 * could otherwise drive the terminal) and nothing huge (a 300,000-digit scalar is shown as
 * its first and last characters around an ellipsis).
 */

/** C0 and C1 controls but tab and newline, DEL, and the bidirectional overrides ("trojan source"). */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Control characters replaced by '?', one for one (columns stay where they were). */
export const printable = (text: string): string => text.replace(UNPRINTABLE, '?');

/** `text` cut to at most `max` characters (the middle replaced by '…'), and printable. */
export function excerpt(text: string, max = 60): string {
  if (text.length <= max) return printable(text);
  const head = Math.ceil((max - 1) * 0.6);
  return printable(`${safeSlice(text, 0, head)}…${safeSlice(text, text.length - (max - 1 - head), text.length)}`);
}

/** The bounds `[from, to)` moved inwards so that they split no surrogate pair. */
export function inward(text: string, from: number, to: number): [number, number] {
  const low = (i: number): boolean => i > 0 && i < text.length && (text.charCodeAt(i) & 0xfc00) === 0xdc00;
  return [low(from) ? from + 1 : from, low(to) ? to - 1 : to];
}

const safeSlice = (text: string, from: number, to: number): string => text.slice(...inward(text, from, to));

/**
 * A message as it may be printed: each run of more than `word` non-blank characters (a long
 * path, a 300,000-digit number) cut in its middle, then the whole cut to `max` characters. The
 * words around a long value (an error code after a path) stay readable.
 */
export function clipMessage(text: string, word = 200, max = 10_000): string {
  const clipped = text.replace(new RegExp(`\\S{${word + 1},}`, 'g'), (run) => excerpt(run, Math.floor(word * 0.6)));
  return excerpt(clipped, max);
}
