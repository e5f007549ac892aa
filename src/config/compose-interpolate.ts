/**
 * Phase 2 for a compose file: compose's own interpolation of every string value (keys are
 * not interpolated), with interpolate.ts's grammar (`${VAR}`, `${VAR:-default}`, `$$`, ...).
 * As compose does, a variable that is not set stands for an empty string, with a warning at
 * the expression (mbuild's own files refuse it); every other problem is an error.
 */
import { interpolateString, type Lookup } from './interpolate.js';
import type { YamlPath } from './types.js';

export interface ComposeInterpolation {
  readonly value: unknown;
  readonly errors: readonly { readonly path: YamlPath; readonly message: string; readonly expression: string }[];
  /** Variables that were not set, each with the first expression that named it. */
  readonly unset: readonly { readonly path: YamlPath; readonly name: string; readonly expression: string }[];
}

/** Explicit stack: a compose file nested 200 levels deep costs no call stack. */
export function interpolateCompose(raw: unknown, lookup: Lookup): ComposeInterpolation {
  const errors: { path: YamlPath; message: string; expression: string }[] = [];
  const unset: { path: YamlPath; name: string; expression: string }[] = [];
  const warned = new Set<string>();
  const one = (text: string, path: YamlPath): string => {
    const blank = new Set<string>();
    const withBlanks: Lookup = (name) => lookup(name) ?? (blank.has(name) ? '' : undefined);
    for (;;) {
      const r = interpolateString(text, withBlanks);
      if (r.ok) return r.value;
      const problem = r.error.problem;
      if (problem.kind !== 'unset' || blank.has(problem.name)) {
        errors.push({ path, message: r.error.message, expression: r.error.expression });
        return text;
      }
      blank.add(problem.name);
      if (!warned.has(problem.name)) unset.push({ path, name: problem.name, expression: r.error.expression });
      warned.add(problem.name);
    }
  };
  const root: { value: unknown } = { value: raw };
  const stack: { holder: Record<string | number, unknown>; key: string | number; path: YamlPath }[] = [{ holder: root, key: 'value', path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { holder, key, path } = next;
    const node = holder[key];
    if (typeof node === 'string') holder[key] = one(node, path);
    else if (Array.isArray(node)) {
      const copy = [...(node as unknown[])];
      holder[key] = copy;
      for (let i = copy.length - 1; i >= 0; i--) stack.push({ holder: copy as unknown as Record<number, unknown>, key: i, path: [...path, i] });
    } else if (node !== null && typeof node === 'object') {
      const copy: Record<string, unknown> = { ...(node as Record<string, unknown>) };
      holder[key] = copy;
      for (const k of Object.keys(copy).reverse()) stack.push({ holder: copy, key: k, path: [...path, k] });
    }
  }
  return { value: root.value, errors, unset };
}
