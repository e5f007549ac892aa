/**
 * DiffOp in Dockerfiles (BuildKit's proposal moby/buildkit#4239): `FROM a..b [AS x]`,
 * `COPY --from=a..b` and `RUN --mount=from=a..b`, where each side is a stage of the same
 * Dockerfile (by name or index) or an image reference (an in-file image or a local one: the
 * build file decides, load/dockerfile-diffs.ts). This module finds each use, after ARG
 * substitution, with the instruction that holds it, and what the Dockerfile alone can say is
 * wrong with it. mbuild builds it by rewriting (diff-rewrite.ts); stages.ts still resolves
 * `a..b` as an image name, which `referencedImages` leaves out.
 */
import type { Instruction, ParsedDockerfile } from './parse.js';
import { resolveStages, type BuildArgs, type ImageReference, type ReferenceKind, type Stage, type StageReference } from './stages.js';
import { parseCsvFields } from './words.js';

/** One side of `a..b`: a stage of this Dockerfile, or an image reference (in-file image or local). */
export type DiffSide = { readonly kind: 'stage'; readonly index: number; readonly text: string } | { readonly kind: 'ref'; readonly ref: string };

export interface DiffUse {
  readonly kind: ReferenceKind;
  /** As written, and after ARG substitution. */
  readonly text: string;
  readonly value: string;
  readonly line: number;
  /** The stage the use is in, and its instruction. */
  readonly stage: number;
  readonly instruction: Instruction;
  /** For `RUN --mount=from=`: the index of that `--mount` flag in `instruction.flags`. */
  readonly flag?: number;
  readonly base: DiffSide;
  readonly head: DiffSide;
  /** One per distinct pair of sides, in order of first use: the diff lands in `.mbuild-diff/<slot>/`. */
  readonly slot: number;
}

/** A problem of one use, located at its word on its line. */
export interface DiffProblem {
  readonly line: number;
  /** The text to underline on the line. */
  readonly word: string;
  readonly message: string;
  readonly code: string;
}

export interface DockerfileDiffs {
  readonly uses: readonly DiffUse[];
  readonly problems: readonly DiffProblem[];
}

/** Whether a reference (after ARG substitution) is written as a diff. */
export const isDiffText = (ref: string): boolean => ref.includes('..');

const REFERENCE_OF: Readonly<Record<ReferenceKind, string>> = { from: 'FROM ', 'copy-from': 'COPY --from=', 'mount-from': 'RUN --mount=from=' };
const shown = (kind: ReferenceKind, text: string): string => `${REFERENCE_OF[kind]}${text}`;

/** `a..b` -> its two sides as written; an error for `a..b..c` and an empty side. */
export function splitDiff(value: string): { base: string; head: string } | { error: string } {
  const parts = value.split('..');
  if (parts.length > 2) return { error: `has ${parts.length} sides; a diff has two: base..head` };
  const [base = '', head = ''] = parts;
  if (base === '' || head === '') return { error: `has an empty ${base === '' ? 'base (before ..)' : 'head (after ..)'}` };
  return { base, head };
}

/** A side: a stage by name (lower-cased, any stage of the file) or index, else an image reference. */
function sideOf(stages: readonly Stage[], text: string): DiffSide {
  if (/^\d+$/.test(text) && Number(text) < stages.length) return { kind: 'stage', index: Number(text), text };
  const hit = stages.find((s) => s.name === text.toLowerCase());
  return hit ? { kind: 'stage', index: hit.index, text } : { kind: 'ref', ref: text };
}

const sideKey = (s: DiffSide): string => (s.kind === 'stage' ? `stage ${s.index}` : `ref ${s.ref}`);

/** The instruction of a reference: the stage's FROM, or its instruction on that line. */
function instructionOf(stage: Stage, r: StageReference): Instruction | undefined {
  if (r.kind === 'from') return stage.from;
  const keywords = r.kind === 'copy-from' ? ['COPY', 'ADD'] : ['RUN'];
  return stage.instructions.find((i) => i.startLine === r.line && keywords.includes(i.keyword));
}

/** The `--mount` flags of a RUN that name `from=<text>`, in order. */
const mountFlags = (ins: Instruction, text: string): number[] =>
  ins.flags.flatMap((f, i) => (f.name === 'mount' && f.value !== null && parseCsvFields(f.value).get('from') === text ? [i] : []));

/** Every diff use of the Dockerfile (under `args`), and what is wrong with the Dockerfile's own view of each. */
export function dockerfileDiffs(df: ParsedDockerfile, args: BuildArgs = {}): DockerfileDiffs {
  const { stages } = resolveStages(df, args);
  const uses: DiffUse[] = [];
  const problems: DiffProblem[] = [];
  const slots = new Map<string, number>();
  for (const stage of stages) {
    const seenFlags = new Map<string, number>();
    for (const r of stage.references) {
      if (r.source.kind !== 'image' || !isDiffText(r.source.ref)) continue;
      const value = r.source.ref;
      const at = { line: r.line, word: r.text, code: 'dockerfile-diff-reference' };
      const split = splitDiff(value);
      if ('error' in split) {
        problems.push({ ...at, message: `${shown(r.kind, r.text)}${r.text === value ? '' : ` (${value})`} ${split.error}` });
        continue;
      }
      const instruction = instructionOf(stage, r);
      if (instruction === undefined) continue;
      if (instruction.keyword === 'ADD') {
        problems.push({ ...at, message: `ADD --from=${r.text}: a diff is read by COPY --from, not ADD` });
        continue;
      }
      let flag: number | undefined;
      if (r.kind === 'mount-from') {
        const key = `${r.line} ${r.text}`;
        const nth = seenFlags.get(key) ?? 0;
        seenFlags.set(key, nth + 1);
        flag = mountFlags(instruction, r.text)[nth];
        const type = flag === undefined ? undefined : (parseCsvFields(instruction.flags[flag]!.value!).get('type') ?? 'bind');
        if (type !== undefined && type !== 'bind') {
          problems.push({ ...at, message: `RUN --mount=type=${type},from=${r.text}: a diff can only be a bind mount (type=bind)` });
          continue;
        }
      }
      const base = sideOf(stages, split.base);
      const head = sideOf(stages, split.head);
      const pair = `${sideKey(base)}..${sideKey(head)}`;
      if (!slots.has(pair)) slots.set(pair, slots.size);
      uses.push({
        kind: r.kind,
        text: r.text,
        value,
        line: r.line,
        stage: stage.index,
        instruction,
        ...(flag !== undefined && { flag }),
        base,
        head,
        slot: slots.get(pair)!,
      });
    }
  }
  problems.push(...sideStageProblems(stages, uses));
  return { uses, problems };
}

/** Stage indices that `r` names as sides of a diff (for what the target reaches: reads.ts). */
export function diffSideStages(stages: readonly Stage[], r: StageReference): number[] {
  if (r.source.kind !== 'image' || !isDiffText(r.source.ref)) return [];
  const split = splitDiff(r.source.ref);
  if ('error' in split) return [];
  return [split.base, split.head].flatMap((text) => {
    const side = sideOf(stages, text);
    return side.kind === 'stage' ? [side.index] : [];
  });
}

/** The stages BuildKit builds for `start`: FROM, --from, mount from= and diff sides, followed. */
export function stagesReached(stages: readonly Stage[], start: number): Set<number> {
  const reached = new Set<number>();
  const todo = [start];
  for (let i = todo.pop(); i !== undefined; i = todo.pop()) {
    const stage = stages[i];
    if (reached.has(i) || stage === undefined) continue;
    reached.add(i);
    for (const r of stage.references) {
      if (r.source.kind === 'stage') todo.push(r.source.index);
      todo.push(...diffSideStages(stages, r));
    }
  }
  return reached;
}

/** The classic builder runs every stage up to the target, and mbuild builds each diff side stage as a target of its own. */
export function classicLastStage(stages: readonly Stage[], start: number): number {
  let last = start;
  for (const s of stages.slice(0, start + 1)) for (const r of s.references) for (const i of diffSideStages(stages, r)) last = Math.max(last, i);
  return last;
}

const stageName = (stages: readonly Stage[], i: number): string => (stages[i]?.name ? `'${stages[i].name}'` : `${i}`);

/** A side stage is built on its own, before the diff: it must reach no diff itself (nor the stage that uses it: a cycle). */
function sideStageProblems(stages: readonly Stage[], uses: readonly DiffUse[]): DiffProblem[] {
  const using = new Map<number, DiffUse>();
  for (const u of uses) if (!using.has(u.stage)) using.set(u.stage, u);
  const out: DiffProblem[] = [];
  for (const u of uses) {
    for (const side of [u.base, u.head]) {
      if (side.kind !== 'stage') continue;
      const at = { line: u.line, word: u.text, code: 'dockerfile-diff-reference' };
      const reached = stagesReached(stages, side.index);
      if (reached.has(u.stage)) {
        out.push({
          ...at,
          message: `${shown(u.kind, u.text)}: stage ${stageName(stages, side.index)} needs the stage that uses the diff (circular dependency)`,
        });
        continue;
      }
      const inner = [...reached].sort((a, b) => a - b).find((i) => using.has(i));
      if (inner !== undefined) {
        const other = using.get(inner)!;
        out.push({
          ...at,
          message: `${shown(u.kind, u.text)}: stage ${stageName(stages, side.index)} uses a diff itself (${shown(other.kind, other.text)} on line ${other.line}); a diff side is built without one`,
        });
      }
    }
  }
  return out;
}

/** What the classic builder cannot do: a diff bind mount (it has no RUN --mount), a side stage after a stage using a diff (it runs every stage up to its target). */
export function classicDiffProblems(df: ParsedDockerfile, args: BuildArgs = {}): DiffProblem[] {
  const { stages } = resolveStages(df, args);
  const { uses } = dockerfileDiffs(df, args);
  const out: DiffProblem[] = [];
  for (const u of uses) {
    const at = { line: u.line, word: u.text, code: 'dockerfile-diff-classic' };
    if (u.kind === 'mount-from') {
      out.push({
        ...at,
        message: `${shown(u.kind, u.text)}: the classic builder has no RUN --mount; use BuildKit (--builder buildkit) or COPY --from=${u.text}`,
      });
      continue;
    }
    for (const side of [u.base, u.head]) {
      if (side.kind !== 'stage') continue;
      const before = uses.find((o) => o.stage <= side.index);
      if (before !== undefined)
        out.push({
          ...at,
          message: `${shown(u.kind, u.text)}: the classic builder runs every stage up to ${stageName(stages, side.index)}, and stage ${stageName(stages, before.stage)} uses a diff (line ${before.line}); a diff side is built without one`,
        });
    }
  }
  return out;
}

/**
 * The image references the sides of the diffs name, as the plan, the reference checks and
 * the key see them: an in-file image named by its name stands for its first tag (`tagOf`),
 * as an `{image: X}` arg does; `valid` leaves out what is no reference (load/ reports it).
 */
export function diffSideRefs(uses: readonly DiffUse[], tagOf: (name: string) => string | undefined, valid: (ref: string) => boolean): ImageReference[] {
  return uses.flatMap((u) =>
    [u.base, u.head].flatMap((s) => {
      if (s.kind !== 'ref') return [];
      const ref = tagOf(s.ref) ?? s.ref;
      return valid(ref) ? [{ ref, text: u.text, line: u.line, kind: u.kind, stage: u.stage }] : [];
    }),
  );
}

/** diffSideRefs of a Dockerfile already checked (load/ refused every side that is no reference). */
export const checkedDiffSideRefs = (df: ParsedDockerfile, args: BuildArgs, tagOf: (name: string) => string | undefined): ImageReference[] =>
  diffSideRefs(dockerfileDiffs(df, args).uses, tagOf, () => true);
