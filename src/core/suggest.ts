/** "Did you mean" suggestions by edit distance. */
import { byText } from './order.js';

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance proportional to the word's length, if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  // Ties go to the candidate closest in length (a transposition beats a truncation), then by name.
  const scored = [...candidates]
    .map((c) => ({ c, d: editDistance(word.toLowerCase(), c.toLowerCase()), l: Math.abs(c.length - word.length) }))
    .filter((s) => s.d <= limit && s.d < Math.max(word.length, s.c.length))
    .sort((a, b) => a.d - b.d || a.l - b.l || byText(a.c, b.c));
  return scored[0]?.c;
}

export const didYouMean = (word: string, candidates: Iterable<string>): string => {
  const match = closest(word, candidates);
  return match === undefined ? '' : `; did you mean '${match}'?`;
};
