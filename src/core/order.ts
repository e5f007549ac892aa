/**
 * Text order for everything mbuild sorts (args in a cache key, edges, plans, messages): by
 * UTF-16 code units, the same on every machine. `localeCompare` is not: its order depends on
 * the locale, and its first call loads ICU's collator (about 6 ms of every run).
 */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
