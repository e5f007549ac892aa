/**
 * Keeps secret values out of everything mbuild writes: a build step that prints a secret
 * (`cat /run/secrets/x`) has its output rewritten before it reaches a log, an event or an
 * error. Each value is replaced whole, and so is each of its lines of 4 characters or more
 * (a key file printed line by line). Values shorter than 4 characters are replaced only whole.
 * A line of output that is a piece of a value, 12 characters or more, is replaced too: BuildKit
 * clips a step's output past 200 KiB/s, mid-line, and a tool may fold a value over lines.
 * Plain string search, no regular expression: a 500 KiB value is too large for V8's, whose
 * error message would hold it.
 */
const MASK = '****';
const MIN_LINE = 4;
const MIN_FRAGMENT = 12;

export class Redactor {
  /** Values and their lines, longest first, so a value is not half-masked by one of its own lines. */
  private values: string[] = [];
  private readonly known = new Set<string>();
  /** The values whole, where a fragment is looked for. */
  private readonly wholes: string[] = [];

  /** Adds a value to hide (as served to a build: its UTF-8 text). */
  add(value: Buffer): void {
    const text = value.toString('utf8');
    const parts = [text.trim(), ...text.split(/\r?\n/).map((l) => l.trim())].filter((p, i) => p !== '' && (i === 0 || p.length >= MIN_LINE));
    if (parts[0] !== undefined && !this.known.has(parts[0])) this.wholes.push(parts[0]);
    const fresh = parts.filter((p) => !this.known.has(p) && this.known.add(p));
    if (fresh.length > 0) this.values = [...this.values, ...fresh].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    if (this.values.length === 0) return text;
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out
      .split('\n')
      .map((line) => {
        const piece = line.trim();
        return piece.length >= MIN_FRAGMENT && this.wholes.some((v) => v.includes(piece)) ? line.replace(piece, MASK) : line;
      })
      .join('\n');
  }
}
