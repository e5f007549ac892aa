/**
 * `vars` values are interpolated too: a var may use the environment, `--var` and other vars
 * (every compose form). `--var` and the environment still win over a var of the same name,
 * so an overridden var's own value is never read. Vars are resolved in dependency order, each
 * once: first in the order their written references suggest (a var after the vars it names),
 * then, for a var whose value turns out to need one not resolved yet, by resolving that one
 * first, with an explicit stack. A var that needs itself, directly or through others, is a
 * cycle. No recursion.
 */
import { closedCycle } from '../core/cycles.js';
import { byText } from '../core/order.js';
import { interpolateString, type Lookup } from './interpolate.js';

export interface VarError {
  readonly name: string;
  readonly message: string;
  readonly expression: string;
}

export interface ResolvedVars {
  /** The value of each var that resolved (overridden vars are not here: their value comes from outside). */
  readonly values: ReadonlyMap<string, string>;
  /** Vars in a cycle or with an error: they read as '' elsewhere, so one mistake is reported once. */
  readonly failed: ReadonlySet<string>;
  readonly errors: readonly VarError[];
  /** Each cycle as `[a, b, a]`: a uses b, b uses a. */
  readonly cycles: readonly string[][];
}

/** Names a value refers to (`$NAME`, `${NAME...}`, also inside words), whether or not they are needed. */
export function namesIn(value: string): string[] {
  const out: string[] = [];
  const name = /[A-Za-z_][A-Za-z0-9_]*/y;
  for (let i = value.indexOf('$'); i !== -1; i = value.indexOf('$', i + 1)) {
    if (value[i + 1] === '$') {
      i++;
      continue;
    }
    name.lastIndex = value[i + 1] === '{' ? i + 2 : i + 1;
    const m = name.exec(value);
    if (m) out.push(m[0]);
  }
  return out;
}

export function resolveVars(written: Readonly<Record<string, string>>, outside: Lookup): ResolvedVars {
  const resolver = new Resolver(written, outside);
  for (const root of likelyOrder(written, (n) => resolver.own(n))) resolver.resolve(root);
  const cycles = [...resolver.cycles.values()].sort((a, b) => byText(a.join(' '), b.join(' ')));
  return { values: resolver.values, failed: resolver.failed, errors: resolver.errors, cycles };
}

class Resolver {
  readonly values = new Map<string, string>();
  readonly failed = new Set<string>();
  readonly errors: VarError[] = [];
  readonly cycles = new Map<string, string[]>();

  constructor(
    private readonly written: Readonly<Record<string, string>>,
    private readonly outside: Lookup,
  ) {}

  /** A var whose value is read from the file (not overridden by --var or the environment). */
  own(name: string): boolean {
    return Object.hasOwn(this.written, name) && this.outside(name) === undefined;
  }

  /** Resolves `root`, and first each var it turns out to need, with a stack. */
  resolve(root: string): void {
    const stack = [root];
    const onStack = new Map([[root, 0]]);
    const pop = (from: number): string[] => {
      const gone = stack.splice(from);
      for (const n of gone) onStack.delete(n);
      return gone;
    };
    while (stack.length > 0) {
      const name = stack[stack.length - 1]!;
      const waiting = this.values.has(name) || this.failed.has(name) ? undefined : this.attempt(name);
      const at = waiting === undefined ? undefined : onStack.get(waiting);
      if (waiting === undefined) {
        pop(stack.length - 1);
      } else if (at !== undefined) {
        // Each var on the stack from `waiting` up needs the next one, and the last needs `waiting`.
        const cycle = closedCycle(pop(at));
        for (const n of cycle) this.failed.add(n);
        this.cycles.set(cycle.join('\0'), cycle);
      } else {
        onStack.set(waiting, stack.length);
        stack.push(waiting);
      }
    }
  }

  /** Interpolates the value of `name` (a value or an error), or returns the own var it needs first. */
  private attempt(name: string): string | undefined {
    let waiting: string | undefined;
    const lookup = (n: string): string | undefined => {
      if (!this.own(n)) return this.outside(n);
      if (this.failed.has(n)) return ''; // reported once, where it fails
      if (!this.values.has(n)) waiting ??= n;
      return this.values.get(n);
    };
    const r = interpolateString(this.written[name]!, lookup);
    if (waiting !== undefined) return waiting;
    if (r.ok) this.values.set(name, r.value);
    else {
      this.failed.add(name);
      this.errors.push({ name, message: r.error.message, expression: r.error.expression });
    }
    return undefined;
  }
}

/** Own vars, each after the own vars its value names (a depth-first post-order; cycles cut anywhere). */
function likelyOrder(written: Readonly<Record<string, string>>, own: (n: string) => boolean): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  for (const root of Object.keys(written).filter(own).sort()) {
    if (seen.has(root)) continue;
    seen.add(root);
    const frames = [{ name: root, next: namesIn(written[root]!), i: 0 }];
    while (frames.length > 0) {
      const top = frames[frames.length - 1]!;
      const next = top.next[top.i++];
      if (next === undefined) {
        frames.pop();
        order.push(top.name);
      } else if (own(next) && !seen.has(next)) {
        seen.add(next);
        frames.push({ name: next, next: namesIn(written[next]!), i: 0 });
      }
    }
  }
  return order;
}
