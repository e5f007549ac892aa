/**
 * Maps a builder's step label back to the Dockerfile instruction, to print the failing line:
 * classic `Step 7/8 : RUN make` (numbered over the whole file, global ARGs included) and
 * BuildKit `[stage-1 2/3] RUN make` (numbered per stage: FROM, then RUN/COPY/ADD/WORKDIR).
 */
import type { Instruction, ParsedDockerfile } from './parse.js';
import { resolveStages, type Stage } from './stages.js';

const CLASSIC = /^\s*Step\s+(\d+)\/(\d+)\s*:\s*([\s\S]*)$/;
const BUILDKIT = /^\s*\[([^\]]*?)\s*(\d+)\/\s*(\d+)\]\s*([\s\S]*)$/;
const COUNTED = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const keywordOf = (text: string): string => (/^\S+/.exec(text.trim())?.[0] ?? '').toUpperCase();

/**
 * Instructions of a stage with their BuildKit step numbers. FROM is step 1 when it pulls an
 * image; `scratch` has no step; a stage-based FROM has none either, so its later steps may
 * start at 1 or 2 depending on the BuildKit version: `fromCounts` picks the variant.
 */
function buildkitNumbers(stage: Stage, fromCounts: boolean): { ins: Instruction; n: number | undefined }[] {
  let n = fromCounts ? 1 : 0;
  const out: { ins: Instruction; n: number | undefined }[] = [{ ins: stage.from, n: stage.source.kind === 'image' ? 1 : undefined }];
  for (const ins of stage.instructions) out.push({ ins, n: COUNTED.has(ins.keyword) ? ++n : undefined });
  return out;
}

/** The instruction whose logical line best matches `text` among `candidates`. */
function byText(candidates: readonly Instruction[], text: string): Instruction | null {
  const want = squash(text);
  if (want === '') return null;
  return candidates.find((i) => squash(i.line) === want) ?? candidates.find((i) => squash(i.line).startsWith(want) || want.startsWith(squash(i.line))) ?? null;
}

/**
 * Finds the instruction a step label refers to; null when the label is not understood or
 * does not fit this Dockerfile. Text after the number is used to confirm, and as a fallback.
 */
export function findStep(df: ParsedDockerfile, step: string): Instruction | null {
  const classic = CLASSIC.exec(step);
  if (classic) {
    // Classic numbering: every instruction from the top, global ARGs included.
    const index = Number(classic[1]) - 1;
    const text = classic[3]!;
    const hit = df.instructions[index];
    if (hit && Number(classic[2]) === df.instructions.length && keywordOf(hit.line) === keywordOf(text)) return hit;
    return byText(df.instructions, text);
  }
  const bk = BUILDKIT.exec(step);
  if (!bk) return null;
  const words = bk[1]!.trim().split(/\s+/).filter(Boolean);
  const text = bk[4]!.replace(/^ONBUILD\s+/, '');
  const { stages } = resolveStages(df);
  let stage: Stage | undefined;
  // The last word before the numbers is the stage (a platform may precede it).
  const label = words[words.length - 1];
  if (label === undefined || label.includes('/')) stage = stages.length === 1 ? stages[0] : undefined;
  else {
    const unnamed = /^stage-(\d+)$/.exec(label);
    stage = stages.find((s) => s.name === label.toLowerCase()) ?? (unnamed ? stages[Number(unnamed[1])] : undefined);
  }
  const pool = stage ? [stage] : stages;
  for (const s of pool) {
    const variants = s.source.kind === 'image' ? [true] : s.source.kind === 'scratch' ? [false] : [true, false];
    for (const fromCounts of variants) {
      const hit = buildkitNumbers(s, fromCounts).find((x) => x.n === Number(bk[2]));
      if (hit && keywordOf(hit.ins.line) === keywordOf(text)) return hit.ins;
    }
  }
  return byText(
    pool.flatMap((s) => [s.from, ...s.instructions]),
    text,
  );
}

/**
 * A classic step as mbuild names it (`[3/4] RUN make`, like BuildKit's) in the classic
 * builder's own words (`Step 3/4 : RUN make`), so that findStep numbers it over the whole
 * file rather than as a BuildKit step of one stage.
 */
export const classicStepLabel = (name: string): string => name.replace(/^\[(\d+)\/(\d+)\] /, 'Step $1/$2 : ');

/** The instruction covering a 1-based line (continuations and heredoc bodies included). */
export function instructionAtLine(df: ParsedDockerfile, line: number): Instruction | null {
  return df.instructions.find((i) => i.startLine <= line && line <= i.endLine) ?? null;
}
