/**
 * Text order for everything mbuild sorts (args in a cache key, edges, plans, messages): by
 * UTF-16 code units, the same on every machine. `localeCompare` is not: its order depends on
 * the locale, and its first call loads ICU's collator (about 6 ms of every run).
 */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Code units at which UTF-16 order and UTF-8 byte order may part (U+D800 and up), or a replaced invalid byte (U+FFFD). */
export const BEYOND_BMP_ORDER = /[\uD800-\uFFFF]/;

/** By UTF-8 bytes (a context walk's order): code units below U+D800 agree with it, and are cheaper to compare. */
export function byUtf8(a: string, b: string): number {
  if (BEYOND_BMP_ORDER.test(a) || BEYOND_BMP_ORDER.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return byText(a, b);
}
