/**
 * What a Dockerfile can read from its build context, found statically from the stages the
 * built target reaches (stages it does not reach read nothing): the sources of `COPY` and
 * `ADD` without `--from` (not heredocs, not `ADD <url>` or `<git>`), and the `source` of
 * `RUN --mount=type=bind` without `from` (none: the whole context). Paths are expanded with
 * the stage's ARG and ENV values, cleaned and made relative to the context root as the
 * builders do; wildcards stay, for `context/read-set.ts` to match with Go's rules.
 *
 * When a read cannot be known before the build, the answer is the whole context and why:
 * a `# syntax=` frontend other than Docker's own, an in-file stage with `ONBUILD` used as a
 * base, or a source using a variable the Dockerfile does not set (the base image's ENV, an
 * ARG with no value). External bases with ONBUILD triggers need the engine: the caller
 * checks `bases`.
 */
import { cleanPath, globComponent, hasGlobMeta } from '../core/gopath.js';
import type { Instruction, ParsedDockerfile } from './parse.js';
import { classicLastStage, stagesReached } from './diff-refs.js';
import { resolveStages, type BuildArgs, type Stage } from './stages.js';
import { expandWord, parseCsvFields, splitWordsRaw } from './words.js';

export interface ContextRead {
  /** Context-relative, cleaned, '/'-separated; '' is the whole context. Wildcards per component. */
  readonly path: string;
  /** The source as written in the Dockerfile. */
  readonly written: string;
  /** The instruction's first line, and its logical text. */
  readonly line: number;
  readonly text: string;
}

export interface StaticReads {
  readonly kind: 'paths';
  readonly reads: readonly ContextRead[];
  /** Images the reached stages are built `FROM` (after ARG substitution): their ONBUILD triggers would read too. */
  readonly bases: readonly { readonly ref: string; readonly line: number }[];
}

export interface WholeContext {
  readonly kind: 'whole';
  /** Why, in words: `# syntax=x/y is not Docker's own frontend`. */
  readonly reason: string;
  readonly line: number | null;
}

export type ContextReads = StaticReads | WholeContext;

/**
 * A read that names one path the build fails without: not the whole context, no wildcard
 * (BuildKit accepts one that matches nothing), and no `$` left (a bind-mount source as
 * written, which newer frontends expand: it is read both ways, neither is certain).
 */
export const namesOnePath = (r: ContextRead): boolean => r.path !== '' && !hasGlobMeta(r.path) && !r.path.includes('$');

const DOCKER_FRONTEND = /^(docker\.io\/)?docker\/dockerfile(-upstream)?(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/;
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i;
const HEREDOC_WORD = /^\d*<<-?/;

/** Thrown inside the analysis to end it with the whole context. */
class Whole extends Error {
  constructor(
    readonly reason: string,
    readonly line: number | null,
  ) {
    super(reason);
  }
}

export interface ReadsOptions {
  /** Whose variable rules apply; none (the builder is not known yet: validate, watch, `mbuild context`): what either builder reads. */
  readonly builder?: VariableRules;
  /** The ENV of an image a stage is built FROM, when known (from the engine): its variables are then known too. */
  readonly baseEnv?: (ref: string) => ReadonlyMap<string, string> | undefined;
}

/** What the target's stages read (see the module comment). */
export function contextReads(df: ParsedDockerfile, args: BuildArgs, target: string | null, o: ReadsOptions = {}): ContextReads {
  if (o.builder !== undefined) return readsUnder(df, args, target, o.builder, o.baseEnv);
  const kit = readsUnder(df, args, target, 'buildkit', o.baseEnv);
  const classic = readsUnder(df, args, target, 'classic', o.baseEnv);
  if (kit.kind === 'whole') return kit;
  if (classic.kind === 'whole') return classic;
  const seen = new Set(kit.reads.map((r) => `${r.line} ${r.path}`));
  return { ...kit, reads: [...kit.reads, ...classic.reads.filter((r) => !seen.has(`${r.line} ${r.path}`))] };
}

function readsUnder(df: ParsedDockerfile, args: BuildArgs, target: string | null, rules: VariableRules, baseEnv: ReadsOptions['baseEnv']): ContextReads {
  try {
    return analyse(df, args, target, rules, baseEnv);
  } catch (e) {
    if (e instanceof Whole) return { kind: 'whole', reason: e.reason, line: e.line };
    throw e;
  }
}

function analyse(df: ParsedDockerfile, args: BuildArgs, target: string | null, rules: VariableRules, baseEnv: ReadsOptions['baseEnv']): StaticReads {
  const syntax = df.directives.find((d) => d.name === 'syntax');
  if (syntax && !DOCKER_FRONTEND.test(syntax.value)) throw new Whole(`# syntax=${syntax.value} is not Docker's own frontend`, syntax.line);
  if (df.errors.length > 0) throw new Whole('the Dockerfile does not parse', df.errors[0]!.line);
  const graph = resolveStages(df, args);
  if (graph.errors.length > 0) throw new Whole('the Dockerfile does not parse', graph.errors[0]!.line);
  const { stages } = graph;
  const reached = reachedStages(stages, target, rules);
  const globals = new Map(graph.globalArgs.map((a) => [a.name, a.value]));
  const envs = new Map<number, Scope>();
  const reads: ContextRead[] = [];
  const bases: { ref: string; line: number }[] = [];
  for (const stage of stages) {
    // Every stage's ENV is computed (a later stage may be FROM it); only reached ones read.
    const parent = stage.source.kind === 'stage' ? envs.get(stage.source.index) : undefined;
    const env = stage.source.kind === 'image' ? baseEnv?.(stage.source.ref) : undefined;
    const unknownFrom = stage.source.kind === 'image' && env === undefined ? stage.from.startLine : (parent?.unknownFrom ?? null);
    const scope = new Scope(rules, parent, unknownFrom, env);
    if (stage.source.kind === 'stage' && reached.has(stage.index)) onbuildIn(stages[stage.source.index]);
    if (reached.has(stage.index) && stage.source.kind === 'image') bases.push({ ref: stage.source.ref, line: stage.from.startLine });
    for (const ins of stage.instructions) {
      if (reached.has(stage.index)) reads.push(...readsOf(ins, scope, df.escape));
      scope.apply(ins, args, globals, df.escape);
    }
    envs.set(stage.index, scope);
  }
  return { kind: 'paths', reads, bases };
}

/**
 * The target stage (the last one when none is named) and every stage it reaches through
 * FROM, --from, mount from= and the sides of a diff `a..b` (BuildKit); the classic builder runs every stage up to the
 * target, in file order, reached or not.
 */
function reachedStages(stages: readonly Stage[], target: string | null, rules: VariableRules): Set<number> {
  const start = target === null ? stages.length - 1 : stages.findIndex((s) => s.name === target.toLowerCase());
  if (rules === 'classic') return new Set(stages.slice(0, start === -1 ? 0 : classicLastStage(stages, start) + 1).map((s) => s.index));
  return start === -1 ? new Set() : stagesReached(stages, start);
}

/** A stage with ONBUILD used as a base: its triggers run in the child, reading what they say. */
function onbuildIn(parent: Stage | undefined): void {
  const trigger = parent?.instructions.find((i) => i.keyword === 'ONBUILD');
  if (trigger) throw new Whole(`stage ${parent!.name ?? parent!.index} has ONBUILD triggers and is used as a base`, trigger.startLine);
}

/** How a builder resolves variables in a source path; they differ (moby 20.10's classic builder, BuildKit 0.8). */
export type VariableRules = 'classic' | 'buildkit';

/**
 * The variables a stage's instructions see. BuildKit: the last ARG or ENV of a name wins,
 * and a stage built FROM another inherits both. Classic: ENV wins over ARG, a child stage
 * inherits ENV only, and an image base's ENV (unknown here) may hide any ARG.
 */
class Scope {
  readonly env: Map<string, string | undefined>;
  readonly args: Map<string, string | undefined>;
  constructor(
    readonly rules: VariableRules,
    parent: Scope | undefined,
    /** The FROM line of an image base whose ENV is unknown here (null: every variable is known). */
    readonly unknownFrom: number | null,
    /** The ENV of the image base, when known. */
    baseEnv?: ReadonlyMap<string, string>,
  ) {
    this.env = new Map(parent?.env ?? baseEnv);
    this.args = new Map(rules === 'buildkit' ? (parent?.args ?? baseEnv) : undefined);
  }

  /** Expands a word; a variable that may come from the base image's ENV (unknown here) means the whole context. */
  expand(word: string, escape: string, line: number): string {
    const r = expandWord(word, (name) => this.lookup(name, line), escape);
    if ('error' in r) throw new Whole(`${word}: ${r.error}`, line);
    return r.value;
  }

  private lookup(name: string, line: number): string | undefined {
    const unknown = (): never => {
      throw new Whole(`$${name} in a source path is not known before the build`, line);
    };
    if (this.rules === 'buildkit') {
      const v = this.args.get(name);
      return v !== undefined ? v : this.unknownFrom !== null ? unknown() : undefined;
    }
    const env = this.env.get(name);
    if (env !== undefined) return env;
    return this.unknownFrom !== null ? unknown() : this.args.get(name);
  }

  /** ARG and ENV: every value of one instruction is expanded with the variables as they were before it. */
  apply(ins: Instruction, buildArgs: BuildArgs, globals: ReadonlyMap<string, string | undefined>, escape: string): void {
    if (ins.keyword !== 'ARG' && ins.keyword !== 'ENV') return;
    const pairs = ins.keyword === 'ARG' ? this.argPairs(ins, buildArgs, globals, escape) : this.envPairs(ins, escape);
    for (const [name, value] of pairs) {
      if (this.rules === 'buildkit') {
        // BuildKit keeps one map: the last ARG or ENV of a name wins (an ARG without a value keeps what is there).
        if (value !== undefined || !this.args.has(name)) this.args.set(name, value);
        if (ins.keyword === 'ENV') this.env.set(name, value);
      } else (ins.keyword === 'ARG' ? this.args : this.env).set(name, value);
    }
  }

  private argPairs(ins: Instruction, buildArgs: BuildArgs, globals: ReadonlyMap<string, string | undefined>, escape: string): [string, string | undefined][] {
    return splitWordsRaw(ins.args, escape).map((w) => {
      const eq = w.indexOf('=');
      const name = eq === -1 ? w : w.slice(0, eq);
      if (Object.hasOwn(buildArgs, name)) return [name, buildArgs[name]];
      return [name, eq !== -1 ? this.expandOrUnset(w.slice(eq + 1), escape) : globals.get(name)];
    });
  }

  private envPairs(ins: Instruction, escape: string): [string, string | undefined][] {
    const words = splitWordsRaw(ins.args, escape);
    if (words.length > 0 && !words[0]!.includes('=')) {
      // Legacy `ENV NAME value with spaces`.
      const rest = ins.args.slice(ins.args.indexOf(words[0]!) + words[0]!.length).trim();
      return [[words[0]!, this.expandOrUnset(rest, escape)]];
    }
    return words.flatMap((w) => {
      const eq = w.indexOf('=');
      return eq > 0 ? [[w.slice(0, eq), this.expandOrUnset(w.slice(eq + 1), escape)] as [string, string | undefined]] : [];
    });
  }

  /** A value that cannot be known leaves the variable unknown rather than ending the analysis: only a read using it does. */
  private expandOrUnset(word: string, escape: string): string | undefined {
    try {
      return this.expand(word, escape, 0);
    } catch (e) {
      if (e instanceof Whole) return undefined;
      throw e;
    }
  }
}

/** The context reads of one instruction of a reached stage. */
function readsOf(ins: Instruction, scope: Scope, escape: string): ContextRead[] {
  const at = (written: string, expanded: string): ContextRead => ({ path: contextPath(expanded, ins.startLine), written, line: ins.startLine, text: ins.line });
  if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
    // `--from=` with no value reads the context, as both builders do.
    if (ins.flags.some((f) => f.name === 'from' && f.value)) return [];
    // Words are split on blanks first (quotes and escapes do not join them), then each goes through the shell lexer.
    const words = ins.json ?? ins.args.split(/\s+/).filter((w) => w !== '');
    const sources = words.slice(0, -1).filter((w) => !(ins.heredocs.length > 0 && HEREDOC_WORD.test(w)));
    return sources.flatMap((w) => {
      const path = scope.expand(w, escape, ins.startLine);
      return ins.keyword === 'ADD' && REMOTE.test(path) ? [] : [at(w, path)];
    });
  }
  if (ins.keyword !== 'RUN') return [];
  return ins.flags.flatMap((f) => {
    if (f.name !== 'mount' || f.value === null) return [];
    const fields = parseCsvFields(f.value);
    if ((fields.get('type') ?? 'bind').toLowerCase() !== 'bind' || fields.has('from')) return [];
    // Docker 20.10's frontend takes the source literally; dockerfile frontends 1.3 and later expand it: both are read.
    const source = fields.get('source') ?? fields.get('src') ?? '';
    const expanded = source.includes('$') ? expandedOrNone(scope, source, escape, ins.startLine) : undefined;
    return [at(`--mount=${f.value}`, source), ...(expanded !== undefined && expanded !== source ? [at(`--mount=${f.value}`, expanded)] : [])];
  });
}

/** A mount source expanded as newer frontends do, or undefined when a variable in it is not known (the literal is read anyway). */
function expandedOrNone(scope: Scope, source: string, escape: string, line: number): string | undefined {
  try {
    return scope.expand(source, escape, line);
  } catch (e) {
    if (e instanceof Whole) return undefined;
    throw e;
  }
}

/** A source as the builders take it: cleaned, relative to the context root (`../x` is `x`); a bad wildcard ends the analysis. */
function contextPath(source: string, line: number): string {
  const path = cleanPath(`/${source}`).slice(1);
  if (hasGlobMeta(path) && path.split('/').some((c) => globComponent(c) === null)) throw new Whole(`${source} is not a valid wildcard pattern`, line);
  return path;
}
