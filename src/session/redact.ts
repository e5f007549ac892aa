/**
 * Keeps secret values out of everything mbuild writes: a build step that prints a secret
 * (`cat /run/secrets/x`) has its output rewritten before it reaches a log, an event or an
 * error. Each value is replaced whole, and so is each of its lines of 4 characters or more
 * (a key file printed line by line). Values shorter than 4 characters are replaced only whole.
 */
const MASK = '****';
const MIN_LINE = 4;

export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  /** Adds a value to hide (as served to a build: its UTF-8 text). */
  add(value: Buffer): void {
    const text = value.toString('utf8');
    const parts = [text.trim(), ...text.split(/\r?\n/).map((l) => l.trim())].filter((p, i) => p !== '' && (i === 0 || p.length >= MIN_LINE));
    let changed = false;
    for (const p of parts) {
      if (this.values.has(p)) continue;
      this.values.add(p);
      changed = true;
    }
    if (!changed) return;
    // Longest first, so a value is not half-masked by one of its own lines.
    const escaped = [...this.values].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(escaped.join('|'), 'g');
  }

  redact(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, MASK);
  }
}
