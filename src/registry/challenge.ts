/**
 * `WWW-Authenticate` challenges (RFC 7235 §4.1; distribution `registry/client/auth/challenge`):
 * `Basic realm="x"`, `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"`.
 * One header may hold several challenges separated by commas; node joins repeated headers
 * with `, `, which reads the same. Scheme and parameter names are case-insensitive (lowercased
 * here); values are tokens or quoted strings with `\` escapes. A token68 is skipped.
 */

export interface Challenge {
  /** Lowercase: `basic`, `bearer`. */
  readonly scheme: string;
  /** Lowercase names → values. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const SPACE = /[ \t]*/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;

/** Every challenge of a header's value, in order; malformed text ends the list. */
export function parseChallenges(header: string): Challenge[] {
  const reader = new Reader(header);
  const out: Challenge[] = [];
  for (;;) {
    reader.skipSeparators();
    const scheme = reader.token();
    if (scheme === undefined) return out;
    const params: Record<string, string> = {};
    out.push({ scheme: scheme.toLowerCase(), params });
    reader.space();
    if (!reader.params(params)) reader.token68();
  }
}

/** The challenge to answer: Bearer when offered, else Basic. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

class Reader {
  private pos = 0;

  constructor(private readonly text: string) {}

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null || m[0] === '') return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }

  space(): void {
    this.match(SPACE);
  }

  skipSeparators(): void {
    while (this.pos < this.text.length && /[ \t,]/.test(this.text[this.pos]!)) this.pos++;
  }

  token(): string | undefined {
    return this.match(TOKEN);
  }

  token68(): void {
    this.match(TOKEN68);
  }

  /** `name=value` pairs separated by commas into `params`; false when none is there. Stops before the next challenge's scheme. */
  params(params: Record<string, string>): boolean {
    let any = false;
    for (;;) {
      const start = this.pos;
      const name = this.token();
      this.space();
      if (name === undefined || this.text[this.pos] !== '=' || this.text[this.pos + 1] === '=') {
        this.pos = start;
        return any;
      }
      this.pos++;
      this.space();
      const value = this.text[this.pos] === '"' ? this.quoted() : (this.token() ?? '');
      params[name.toLowerCase()] = value;
      any = true;
      this.space();
      if (this.text[this.pos] !== ',') return any;
      this.pos++;
      this.space();
    }
  }

  /** A quoted string from its opening quote; `\x` is `x`. An unclosed string runs to the end. */
  private quoted(): string {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\' && this.pos < this.text.length) out += this.text[this.pos++]!;
      else out += c;
    }
    return out;
  }
}
