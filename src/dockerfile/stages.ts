/**
 * Build stages of a parsed Dockerfile (after BuildKit's instructions.Parse): global ARGs and
 * their values under given build args, `FROM` base resolution, and the stage or image each
 * `COPY/ADD --from` and `RUN --mount=from=` refers to.
 */
import type { DockerfileProblem, Instruction, ParsedDockerfile } from './parse.js';
import { expandWord, parseCsvFields, splitWordsRaw, type Lookup } from './words.js';

export type BuildArgs = Readonly<Record<string, string>>;

/** What a name in FROM / --from / from= resolves to. */
export type Source = { readonly kind: 'stage'; readonly index: number } | { readonly kind: 'image'; readonly ref: string } | { readonly kind: 'scratch' };

export interface GlobalArg {
  readonly name: string;
  /** The default as written (null: none). */
  readonly default: string | null;
  /** Effective value: build arg, else expanded default; undefined when unset. */
  readonly value: string | undefined;
  readonly line: number;
}

export type ReferenceKind = 'from' | 'copy-from' | 'mount-from';

/** How each kind of reference is written, for messages: `FROM x`, `COPY --from=x`, `RUN --mount=from=x`. */
export const REFERENCE_PREFIX: Readonly<Record<ReferenceKind, string>> = { from: 'FROM ', 'copy-from': 'COPY --from=', 'mount-from': 'RUN --mount=from=' };

export interface StageReference {
  readonly kind: ReferenceKind;
  /** As written (flag value / FROM word), before expansion. */
  readonly text: string;
  readonly source: Source;
  readonly line: number;
}

export interface Stage {
  readonly index: number;
  /** Lower-cased `AS` name, or null. */
  readonly name: string | null;
  readonly from: Instruction;
  /** Base image text as written, and after ARG substitution. */
  readonly baseText: string;
  readonly base: string;
  readonly platform: string | null;
  readonly source: Source;
  /** Instructions after FROM, up to the next FROM. */
  readonly instructions: readonly Instruction[];
  /** The FROM reference followed by every --from / mount from= of the stage. */
  readonly references: readonly StageReference[];
}

export interface StageGraph {
  readonly globalArgs: readonly GlobalArg[];
  readonly stages: readonly Stage[];
  readonly errors: readonly DockerfileProblem[];
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** `NAME`, `NAME=value` words of an ARG instruction. */
function argWords(ins: Instruction): { name: string; def: string | null }[] {
  return splitWordsRaw(ins.args).map((w) => {
    const eq = w.indexOf('=');
    return eq === -1 ? { name: w, def: null } : { name: w.slice(0, eq), def: w.slice(eq + 1) };
  });
}

/**
 * The stages of `df` under `buildArgs`. A pure function of both (parsed Dockerfiles are never
 * changed), so each parse keeps its answers: the load asks it several times per Dockerfile
 * (syntax errors, target, references, reads, diffs).
 */
export function resolveStages(df: ParsedDockerfile, buildArgs: BuildArgs = {}): StageGraph {
  // The same args object as the last ask (the load passes one per image): no key made (issue 22).
  const last = lastAsked.get(df);
  if (last !== undefined && last.args === buildArgs) return last.graph;
  let byArgs = resolved.get(df);
  if (byArgs === undefined) resolved.set(df, (byArgs = new Map<string, StageGraph>()));
  const key = JSON.stringify(Object.getOwnPropertyNames(buildArgs).map((name) => [name, buildArgs[name]]));
  let graph = byArgs.get(key);
  if (graph === undefined) byArgs.set(key, (graph = resolveStagesOnce(df, buildArgs)));
  lastAsked.set(df, { args: buildArgs, graph });
  return graph;
}

const resolved = new WeakMap<ParsedDockerfile, Map<string, StageGraph>>();
const lastAsked = new WeakMap<ParsedDockerfile, { readonly args: BuildArgs; readonly graph: StageGraph }>();

function resolveStagesOnce(df: ParsedDockerfile, buildArgs: BuildArgs): StageGraph {
  const errors: DockerfileProblem[] = [];
  const globalArgs: GlobalArg[] = [];
  const stages: Stage[] = [];
  const esc = df.escape;
  const globals = new Map<string, string | undefined>();
  const globalLookup: Lookup = (n) => globals.get(n);
  const expand = (text: string, lookup: Lookup, line: number): string => {
    const r = expandWord(text, lookup, esc);
    if ('error' in r) {
      errors.push({ line, message: r.error });
      return text;
    }
    return r.value;
  };

  // Every stage's name, known before resolving so that --from may name any stage.
  const stagesAll: { name: string | null; index: number }[] = [];
  /** FROM may name an earlier stage; --from / from= any stage, or a stage index. */
  const resolve = (name: string, kind: 'from' | 'ref', current: number): Source => {
    if (kind === 'ref' && /^\d+$/.test(name)) return { kind: 'stage', index: Number(name) };
    const lower = name.toLowerCase();
    const hit = (kind === 'from' ? stagesAll.slice(0, current) : stagesAll).find((s) => s.name === lower);
    if (hit) return { kind: 'stage', index: hit.index };
    if (lower === 'scratch') return { kind: 'scratch' };
    return { kind: 'image', ref: name };
  };

  let current: { from: Instruction; instructions: Instruction[] } | null = null;
  const groups: { from: Instruction; instructions: Instruction[] }[] = [];
  for (const ins of df.instructions) {
    if (ins.keyword === 'FROM') {
      current = { from: ins, instructions: [] };
      groups.push(current);
    } else if (current) current.instructions.push(ins);
    else if (ins.keyword === 'ARG') {
      for (const { name, def } of argWords(ins)) {
        const value = Object.hasOwn(buildArgs, name) ? buildArgs[name] : def === null ? undefined : expand(def, globalLookup, ins.startLine);
        globals.set(name, value);
        globalArgs.push({ name, default: def, value, line: ins.startLine });
      }
    } else errors.push({ line: ins.startLine, endLine: ins.endLine, message: `no build stage in current context: ${ins.keyword} before the first FROM` });
  }
  if (groups.length === 0 && df.instructions.length > 0)
    errors.push({ line: df.instructions[0]!.startLine, message: 'dockerfile contains no stages to build (no FROM)' });

  const parsedFrom = groups.map((g, index) => {
    const words = splitWordsRaw(g.from.args);
    let name: string | null = null;
    if (words.length === 3 && words[1]!.toLowerCase() === 'as') {
      name = words[2]!.toLowerCase();
      if (!STAGE_NAME.test(name))
        errors.push({
          line: g.from.startLine,
          message: `invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`,
        });
      else if (stagesAll.some((s) => s.name === name)) errors.push({ line: g.from.startLine, message: `duplicate stage name ${JSON.stringify(name)}` });
    } else if (words.length !== 1) errors.push({ line: g.from.startLine, message: 'FROM requires either one or three arguments' });
    for (const f of g.from.flags) if (f.name !== 'platform') errors.push({ line: g.from.startLine, message: `unknown flag for FROM: --${f.name}` });
    stagesAll.push({ name, index });
    return { name, baseText: words[0] ?? '' };
  });

  groups.forEach((g, index) => {
    const { name, baseText } = parsedFrom[index]!;
    const line = g.from.startLine;
    const base = expand(baseText, globalLookup, line);
    if (base === '' && baseText !== '') errors.push({ line, message: `base name (${baseText}) should not be blank` });
    const platformFlag = g.from.flags.find((f) => f.name === 'platform');
    const source = resolve(base, 'from', index);
    const references: StageReference[] = [{ kind: 'from', text: baseText, source, line }];

    // Stage scope: ARGs declared in the stage (inheriting global values), then ENV.
    const scope = new Map<string, string | undefined>();
    const lookup: Lookup = (n) => scope.get(n);
    for (const ins of g.instructions) {
      if (ins.keyword === 'ARG') {
        for (const { name: n, def } of argWords(ins)) {
          scope.set(n, Object.hasOwn(buildArgs, n) ? buildArgs[n] : def !== null ? expand(def, lookup, ins.startLine) : globals.get(n));
        }
      } else if (ins.keyword === 'ENV') {
        for (const w of splitWordsRaw(ins.args, esc)) {
          const eq = w.indexOf('=');
          if (eq > 0) scope.set(w.slice(0, eq), expand(w.slice(eq + 1), lookup, ins.startLine));
        }
      } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        const from = ins.flags.find((f) => f.name === 'from');
        if (from?.value) {
          references.push({
            kind: 'copy-from',
            text: from.value,
            source: resolve(expand(from.value, lookup, ins.startLine), 'ref', index),
            line: ins.startLine,
          });
        }
      } else if (ins.keyword === 'RUN') {
        for (const f of ins.flags) {
          if (f.name !== 'mount' || f.value === null) continue;
          const text = parseCsvFields(f.value).get('from');
          if (text) references.push({ kind: 'mount-from', text, source: resolve(expand(text, lookup, ins.startLine), 'ref', index), line: ins.startLine });
        }
      }
    }
    for (const r of references) {
      if (r.source.kind === 'stage' && r.kind !== 'from' && r.source.index === index) {
        errors.push({ line: r.line, message: `${r.text} refers to the stage it is used in (circular dependency)` });
      } else if (r.source.kind === 'stage' && r.source.index >= groups.length) {
        errors.push({ line: r.line, message: `${r.text} refers to stage ${r.source.index}, but there are only ${groups.length}` });
      }
    }
    stages.push({
      index,
      name,
      from: g.from,
      baseText,
      base,
      platform: platformFlag?.value ?? null,
      source,
      instructions: g.instructions,
      references,
    });
  });
  return { globalArgs, stages, errors };
}

/** Names given with `AS`, in order (lower-cased). */
export function stageNames(df: ParsedDockerfile): string[] {
  return resolveStages(df).stages.flatMap((s) => (s.name ? [s.name] : []));
}

export interface ImageReference {
  readonly ref: string;
  /** As written (flag value / FROM word), before ARG substitution. */
  readonly text: string;
  readonly line: number;
  readonly kind: ReferenceKind;
  /** Index of the stage the reference appears in. */
  readonly stage: number;
}

/** External images the build needs (not internal stages, not `scratch`, not a diff `a..b`: dockerfile/diff-refs.ts), in source order. */
export function referencedImages(df: ParsedDockerfile, buildArgs: BuildArgs = {}): ImageReference[] {
  return resolveStages(df, buildArgs).stages.flatMap((s) =>
    s.references.flatMap((r) =>
      r.source.kind === 'image' && !r.source.ref.includes('..') ? [{ ref: r.source.ref, text: r.text, line: r.line, kind: r.kind, stage: s.index }] : [],
    ),
  );
}
